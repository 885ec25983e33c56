package dev.lens4j.tensor.internal;

import dev.lens4j.tensor.kernel.KernelProvider;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.lang.reflect.InvocationTargetException;
import java.util.Optional;

/**
 * The one place that decides whether this JVM runs lens4j's Vector API kernels (element-wise, GEMM and
 * GEMV alike) and loads them: {@link KernelProvider} and the GEMM both ask it.
 */
public final class VectorBackends {

    private static final Logger LOG = System.getLogger("dev.lens4j.tensor.kernel");

    private static final class Holder {
        static final Optional<VectorBackend> CHOSEN = choose();
    }

    private VectorBackends() {}

    /**
     * The Vector API backend when this JVM uses it, chosen on the first call: present when the module
     * {@code jdk.incubator.vector} is in the boot layer and {@code -Dlens4j.kernels=scalar} is not set.
     * Otherwise the reason is logged once at INFO level (WARNING when the module is present but the
     * kernels fail to load).
     *
     * @return the backend, or empty when the scalar kernels are in use
     */
    public static Optional<VectorBackend> chosen() {
        return Holder.CHOSEN;
    }

    /**
     * Loads the Vector API backend whether or not this JVM chose it (tests run both kinds of kernel on
     * one machine).
     *
     * @return a new backend
     * @throws IllegalStateException when it cannot be loaded (the JVM lacks {@code jdk.incubator.vector})
     */
    public static VectorBackend load() {
        if (!KernelProvider.vectorModulePresent()) {
            throw new IllegalStateException("Vector API kernels unavailable: this JVM was started without --add-modules jdk.incubator.vector");
        }
        try {
            // lens4j's only reflective lookup: it keeps the Vector API classes unloaded without the incubator module.
            return (VectorBackend) Class.forName(VectorBackend.IMPLEMENTATION).getConstructor().newInstance();
        } catch (InvocationTargetException e) {
            throw new IllegalStateException("Vector API kernels unavailable: " + e.getCause(), e.getCause());
        } catch (ReflectiveOperationException | LinkageError e) {
            throw new IllegalStateException("Vector API kernels unavailable: " + e, e);
        }
    }

    private static Optional<VectorBackend> choose() {
        if (!KernelProvider.vectorAllowed()) {
            LOG.log(Level.INFO, "lens4j: scalar kernels (forced by -Dlens4j.kernels=scalar)");
            return Optional.empty();
        }
        if (!KernelProvider.vectorModulePresent()) {
            LOG.log(Level.INFO, "lens4j: scalar kernels; start the JVM with --add-modules jdk.incubator.vector for SIMD");
            return Optional.empty();
        }
        try {
            VectorBackend backend = load();
            backend.kernels(); // links the kernels' vector species now, not at the first tensor operation
            return Optional.of(backend);
        } catch (IllegalStateException | LinkageError e) {
            LOG.log(Level.WARNING, "lens4j: " + e.getMessage() + "; using scalar kernels");
            return Optional.empty();
        }
    }
}
