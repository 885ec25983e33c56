package dev.lens4j.tensor.kernel;

import dev.lens4j.tensor.internal.VectorBackend;
import dev.lens4j.tensor.internal.VectorBackends;

/**
 * Chooses lens4j's {@link Kernels} once, at first use; the GEMM micro-kernel and the GEMV follow the
 * same choice, made in one place.
 *
 * <p>The Vector API implementation is used when the module {@code jdk.incubator.vector} is in the
 * boot layer (the JVM was started with {@code --add-modules jdk.incubator.vector}) and the system
 * property {@code lens4j.kernels} is not {@code scalar}. Otherwise the scalar kernels are used and
 * the reason is logged once at INFO level.
 */
public final class KernelProvider {

    private static final class Holder {
        static final Kernels KERNELS = VectorBackends.chosen().map(VectorBackend::kernels).orElse(ScalarKernels.INSTANCE);
    }

    private KernelProvider() {}

    /**
     * The kernels for this JVM, chosen on the first call.
     *
     * @return the kernels chosen for this JVM
     */
    public static Kernels kernels() {
        return Holder.KERNELS;
    }

    /**
     * Kernels whose results are the same bits on every CPU, JVM and thread count: scalar loops in a
     * fixed order, with functions built from IEEE float arithmetic ({@link ReproducibleKernels}). Slower than
     * {@link #kernels()}; for runs that must be reproduced exactly elsewhere, such as training a model
     * whose checksum is published.
     *
     * @return the reproducible kernels
     */
    public static Kernels reproducible() {
        return ReproducibleKernels.INSTANCE;
    }

    /**
     * Whether the chosen kernels use the Vector API.
     *
     * @return true when the Vector API kernels are in use
     */
    public static boolean vectorized() {
        return Holder.KERNELS != ScalarKernels.INSTANCE;
    }

    /**
     * Whether the JVM was started with the Vector API module.
     *
     * @return true when {@code jdk.incubator.vector} is present in the boot layer
     */
    public static boolean vectorModulePresent() {
        return ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();
    }

    /**
     * Whether the system property {@code lens4j.kernels} allows the Vector API kernels: {@code auto} (the
     * default, also when unset or blank) allows them, {@code scalar} forces the scalar kernels.
     *
     * @return true unless the system property {@code lens4j.kernels} asks for {@code scalar}
     * @throws IllegalArgumentException if the property has any other value (a misspelt {@code scalar} would
     *                                  otherwise run the Vector API kernels without a word)
     */
    public static boolean vectorAllowed() {
        String p = System.getProperty("lens4j.kernels");
        String v = p == null || p.isBlank() ? "auto" : p.trim();
        if (v.equalsIgnoreCase("scalar")) {
            return false;
        }
        if (v.equalsIgnoreCase("auto")) {
            return true;
        }
        throw new IllegalArgumentException("system property lens4j.kernels must be 'auto' or 'scalar', got '" + p + "'");
    }
}
