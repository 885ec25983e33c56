package dev.lens4j.tensor.matmul;

import dev.lens4j.tensor.internal.VectorBackend;
import dev.lens4j.tensor.internal.VectorBackends;

/**
 * The GEMM micro-kernel and the GEMV kernel of this JVM: the Vector API ones when lens4j's vectorised
 * kernels are in use ({@link VectorBackends#chosen()}, the same choice as
 * {@link dev.lens4j.tensor.kernel.KernelProvider}), the scalar ones otherwise.
 */
final class GemmKernels {

    private static final class Holder {
        static final GemmMicroKernel PREFERRED = VectorBackends.chosen().map(VectorBackend::gemm).orElse(ScalarGemmKernel.INSTANCE);
        static final GemvKernel GEMV = VectorBackends.chosen().map(b -> b.gemv(ScalarGemvKernel.INSTANCE)).orElse(ScalarGemvKernel.INSTANCE);
    }

    private GemmKernels() {}

    /** @return the kernel {@link Gemm#multiply} uses in this JVM */
    static GemmMicroKernel preferred() {
        return Holder.PREFERRED;
    }

    /** @return the GEMV kernel {@link Gemv#multiply} uses in this JVM */
    static GemvKernel preferredGemv() {
        return Holder.GEMV;
    }

    /**
     * @return the Vector API GEMV kernel, whether or not this JVM chose it
     * @throws IllegalStateException when it cannot be loaded (no {@code jdk.incubator.vector})
     */
    static GemvKernel panamaGemv() {
        return VectorBackends.load().gemv(ScalarGemvKernel.INSTANCE);
    }

    /** @return the plain-Java GEMV kernel */
    static GemvKernel scalarGemv() {
        return ScalarGemvKernel.INSTANCE;
    }

    /** @return the plain-Java kernel */
    static GemmMicroKernel scalar() {
        return ScalarGemmKernel.INSTANCE;
    }

    /**
     * @return the Vector API kernel with this machine's tile, whether or not this JVM chose it
     * @throws IllegalStateException when it cannot be loaded (no {@code jdk.incubator.vector})
     */
    static GemmMicroKernel panama() {
        return VectorBackends.load().gemm();
    }

    /**
     * @param rows rows of the register tile (8 or 4)
     * @param vectors vectors of B in it (3 or 2)
     * @return the Vector API kernel with that tile, whichever this machine would choose (for tests
     *         that run both tiles on one machine)
     * @throws IllegalStateException when it cannot be loaded (no {@code jdk.incubator.vector})
     */
    static GemmMicroKernel panama(int rows, int vectors) {
        return VectorBackends.load().gemm(rows, vectors);
    }
}
