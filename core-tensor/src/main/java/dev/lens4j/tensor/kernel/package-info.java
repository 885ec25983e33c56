/**
 * The hot loops over contiguous float arrays ({@link dev.lens4j.tensor.kernel.Kernels}), in two
 * implementations: {@link dev.lens4j.tensor.kernel.ScalarKernels}, plain Java, the oracle that tests
 * compare against and the fallback; and the Vector API kernels of the {@code panama} package.
 * {@link dev.lens4j.tensor.kernel.KernelProvider} chooses once per JVM: the Vector API kernels when the JVM
 * runs with {@code --add-modules jdk.incubator.vector} (and {@code -Dlens4j.kernels=scalar} does not
 * forbid them), the scalar ones otherwise, saying why in one log line.
 */
package dev.lens4j.tensor.kernel;
