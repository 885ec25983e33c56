package dev.lens4j.tensor.kernel.panama;

import dev.lens4j.tensor.internal.VectorBackend;
import dev.lens4j.tensor.kernel.Kernels;
import dev.lens4j.tensor.matmul.GemmMicroKernel;
import dev.lens4j.tensor.matmul.GemvKernel;

/**
 * The Vector API kernels as one {@link VectorBackend}: lens4j's one reflective lookup
 * ({@code dev.lens4j.tensor.internal.VectorBackends}) creates it by its public no-argument
 * constructor, when {@code jdk.incubator.vector} is present.
 */
public final class PanamaBackend implements VectorBackend {

    /** Creates the backend; the kernels' vector species are fixed when their classes load. */
    public PanamaBackend() {}

    @Override
    public Kernels kernels() {
        return PanamaKernels.create();
    }

    @Override
    public GemmMicroKernel gemm() {
        return PanamaGemmKernel.create();
    }

    @Override
    public GemmMicroKernel gemm(int rows, int vectors) {
        return PanamaGemmKernel.create(rows, vectors);
    }

    @Override
    public GemvKernel gemv(GemvKernel fallback) {
        return PanamaGemvKernel.create(fallback);
    }
}
