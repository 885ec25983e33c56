/**
 * The Vector API implementations of lens4j's kernels ({@link dev.lens4j.tensor.kernel.panama.PanamaKernels})
 * and of the GEMM micro-kernel ({@link dev.lens4j.tensor.kernel.panama.PanamaGemmKernel}). This is the only
 * package that imports {@code jdk.incubator.vector}; it is loaded by reflection, only when that module is
 * present, so the rest of lens4j runs without it. Internal: use {@link dev.lens4j.tensor.kernel.KernelProvider}
 * and {@link dev.lens4j.tensor.matmul.Gemm} instead.
 */
package dev.lens4j.tensor.kernel.panama;
