package dev.lens4j.tensor.matmul;

import dev.lens4j.tensor.kernel.KernelProvider;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;

/**
 * Chooses the GEMM micro-kernel once, following {@link KernelProvider}: the Vector API kernel when
 * lens4j's vectorised kernels are in use, the scalar kernel otherwise. The Vector API class is
 * loaded by reflection so that this package never links against {@code jdk.incubator.vector}.
 */
final class GemmKernels {

    private static final Logger LOG = System.getLogger("dev.lens4j.tensor.matmul");

    private static final class Holder {
        static final GemmMicroKernel PREFERRED = choose();
        static final GemvKernel GEMV = PREFERRED == ScalarGemmKernel.INSTANCE ? ScalarGemvKernel.INSTANCE : chooseGemv();
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
     * @return the Vector API GEMV kernel, loaded reflectively
     * @throws IllegalStateException when it cannot be loaded (no {@code jdk.incubator.vector})
     */
    static GemvKernel panamaGemv() {
        try {
            Class<?> c = Class.forName("dev.lens4j.tensor.kernel.panama.PanamaGemvKernel");
            return (GemvKernel) c.getMethod("create", GemvKernel.class).invoke(null, ScalarGemvKernel.INSTANCE);
        } catch (ReflectiveOperationException | LinkageError e) {
            throw new IllegalStateException("Vector API GEMV kernel unavailable: " + e, e);
        }
    }

    private static GemvKernel chooseGemv() {
        try {
            return panamaGemv();
        } catch (IllegalStateException e) {
            LOG.log(Level.WARNING, "lens4j: " + e.getMessage() + "; using the scalar GEMV kernel");
            return ScalarGemvKernel.INSTANCE;
        }
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
     * @return the Vector API kernel, loaded reflectively
     * @throws IllegalStateException when it cannot be loaded (no {@code jdk.incubator.vector})
     */
    static GemmMicroKernel panama() {
        return createPanama(new Class<?>[0]);
    }

    /**
     * @param rows rows of the register tile (8 or 4)
     * @param vectors vectors of B in it (3 or 2)
     * @return the Vector API kernel with that tile, whichever this machine would choose (for tests
     *         that run both tiles on one machine)
     * @throws IllegalStateException when it cannot be loaded (no {@code jdk.incubator.vector})
     */
    static GemmMicroKernel panama(int rows, int vectors) {
        return createPanama(new Class<?>[] {int.class, int.class}, rows, vectors);
    }

    /** Calls {@code PanamaGemmKernel.create} with these parameter types and arguments, reflectively. */
    private static GemmMicroKernel createPanama(Class<?>[] types, Object... args) {
        try {
            Class<?> c = Class.forName("dev.lens4j.tensor.kernel.panama.PanamaGemmKernel");
            return (GemmMicroKernel) c.getMethod("create", types).invoke(null, args);
        } catch (ReflectiveOperationException | LinkageError e) {
            throw new IllegalStateException("Vector API GEMM kernel unavailable: " + e, e);
        }
    }

    private static GemmMicroKernel choose() {
        if (!KernelProvider.vectorized()) {
            return ScalarGemmKernel.INSTANCE;
        }
        try {
            return panama();
        } catch (IllegalStateException e) {
            LOG.log(Level.WARNING, "lens4j: " + e.getMessage() + "; using the scalar GEMM kernel");
            return ScalarGemmKernel.INSTANCE;
        }
    }
}
