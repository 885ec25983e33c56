package dev.lens4j.hooks;

import java.util.function.Predicate;

/**
 * A hook together with the hook points it applies to: one exact name, or every name a filter
 * accepts (TransformerLens's {@code fwd_hooks} entries, which take a name or a name filter).
 *
 * <pre>{@code
 * HookSpec.of("blocks.0.attn.hook_pattern", hook);             // one point
 * HookSpec.matching(n -> n.endsWith("hook_z"), hook);           // every layer's hook_z
 * HookSpec.backward("blocks.0.attn.hook_z", gradHook);         // on the gradient, in the backward pass
 * }</pre>
 *
 * @param name the exact hook point name, or null when {@code filter} is used
 * @param filter the name filter, or null when {@code name} is used
 * @param hook the hook
 * @param direction on the activation (forward) or on its gradient (backward)
 */
public record HookSpec(String name, Predicate<String> filter, Hook hook, HookDirection direction) {

    /** Checks that exactly one of name and filter is given, a hook and a direction. */
    public HookSpec {
        if ((name == null) == (filter == null)) {
            throw new IllegalArgumentException("a hook spec needs exactly one of a name and a filter");
        }
        if (hook == null) {
            throw new IllegalArgumentException("hook spec " + (name != null ? name : "(filter)") + " has no hook");
        }
        if (direction == null) {
            throw new IllegalArgumentException("hook spec " + (name != null ? name : "(filter)") + " has no direction");
        }
    }

    /**
     * A forward hook spec.
     *
     * @param name the exact hook point name, or null when {@code filter} is used
     * @param filter the name filter, or null when {@code name} is used
     * @param hook the hook
     */
    public HookSpec(String name, Predicate<String> filter, Hook hook) {
        this(name, filter, hook, HookDirection.FORWARD);
    }

    /**
     * A backward hook on one point: it runs on the gradient of the backward pass's metric with
     * respect to that point's activation, and may observe it or replace it (same shape) for the rest
     * of the backward pass (TransformerLens's {@code add_hook(name, fn, dir="bwd")}).
     *
     * @param name the exact hook point name
     * @param hook the hook, given the gradient
     * @return the spec
     */
    public static HookSpec backward(String name, Hook hook) {
        if (name == null) {
            throw new IllegalArgumentException("hook point name is null");
        }
        return new HookSpec(name, null, hook, HookDirection.BACKWARD);
    }

    /**
     * A backward hook on every point a filter accepts.
     *
     * @param filter accepts the names of the hook points to hook
     * @param hook the hook, given each gradient
     * @return the spec
     */
    public static HookSpec backwardMatching(Predicate<String> filter, Hook hook) {
        if (filter == null) {
            throw new IllegalArgumentException("hook name filter is null");
        }
        return new HookSpec(null, filter, hook, HookDirection.BACKWARD);
    }

    /**
     * Whether this spec runs in the backward pass.
     *
     * @return true for a backward hook
     */
    public boolean isBackward() {
        return direction == HookDirection.BACKWARD;
    }

    /**
     * Returns the spec.
     *
     * @param name the exact TransformerLens hook point name, e.g. {@code "blocks.0.hook_resid_pre"}
     * @param hook the hook
     * @return the spec
     */
    public static HookSpec of(String name, Hook hook) {
        if (name == null) {
            throw new IllegalArgumentException("hook point name is null");
        }
        return new HookSpec(name, null, hook);
    }

    /**
     * Returns the spec.
     *
     * @param filter accepts the names of the hook points to hook
     * @param hook the hook
     * @return the spec
     */
    public static HookSpec matching(Predicate<String> filter, Hook hook) {
        if (filter == null) {
            throw new IllegalArgumentException("hook name filter is null");
        }
        return new HookSpec(null, filter, hook);
    }

    /**
     * Returns true when this spec applies to that point.
     *
     * @param pointName a hook point name
     * @return true when this spec applies to that point
     */
    public boolean matches(String pointName) {
        return name != null ? name.equals(pointName) : filter.test(pointName);
    }

    @Override
    public String toString() {
        return "HookSpec[" + (name != null ? name : "filter") + (isBackward() ? ", backward" : "") + "]";
    }
}
