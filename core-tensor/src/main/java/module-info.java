/**
 * lens4j's tensor core: {@code Tensor} (heap or memory-mapped storage, zero-copy views), the kernels
 * and the GEMM, safetensors and {@code .npy} I/O. Depends on nothing but the JDK.
 *
 * <p>The Vector API kernels ({@code dev.lens4j.tensor.kernel.panama}) are not exported: they are
 * chosen by {@link dev.lens4j.tensor.kernel.KernelProvider} when the JVM runs with
 * {@code --add-modules jdk.incubator.vector}, and are otherwise never loaded (the scalar kernels run),
 * which is why the incubator module is only a {@code requires static}. The JSON helpers of
 * {@code dev.lens4j.tensor.internal} are exported to lens4j's own modules only.
 */
module dev.lens4j.tensor {
    requires static jdk.incubator.vector;

    exports dev.lens4j.tensor;
    exports dev.lens4j.tensor.io;
    exports dev.lens4j.tensor.kernel;
    exports dev.lens4j.tensor.matmul;
    exports dev.lens4j.tensor.internal to dev.lens4j.hooks, dev.lens4j.transformer, dev.lens4j.analysis, dev.lens4j.report, dev.lens4j.testing;
}
