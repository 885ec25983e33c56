package dev.lens4j.tensor.internal;

import dev.lens4j.tensor.kernel.Kernels;
import dev.lens4j.tensor.matmul.GemmMicroKernel;
import dev.lens4j.tensor.matmul.GemvKernel;

/**
 * Every Vector API kernel lens4j has, behind one interface so that one place
 * ({@link dev.lens4j.tensor.kernel.KernelProvider}) loads them, by one reflective lookup of the
 * implementation: the classes that link against {@code jdk.incubator.vector} are then never loaded
 * by a JVM started without that module.
 */
public interface VectorBackend {

    /** The implementation's class, in the package the module does not export. */
    String IMPLEMENTATION = "dev.lens4j.tensor.kernel.panama.PanamaBackend";

    /**
     * The element-wise and reduction kernels.
     *
     * @return the Vector API kernels
     */
    Kernels kernels();

    /**
     * The GEMM micro-kernel with this machine's tile (8 x 3 vectors with 16 lanes, 4 x 2 with fewer).
     *
     * @return the micro-kernel
     */
    GemmMicroKernel gemm();

    /**
     * The GEMM micro-kernel with a given tile, which any machine runs (for tests and measurements).
     *
     * @param rows rows of the register tile, 8 or 4
     * @param vectors vectors of B in the tile, 3 with 8 rows, 2 with 4
     * @return the micro-kernel
     * @throws IllegalArgumentException for any other tile
     */
    GemmMicroKernel gemm(int rows, int vectors);

    /**
     * The matrix-vector kernel.
     *
     * @param fallback the kernel for the shapes it does not vectorise
     * @return the GEMV kernel
     */
    GemvKernel gemv(GemvKernel fallback);
}
