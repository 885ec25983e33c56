package dev.lens4j.hooks;

/**
 * A registered model-level hook; closing the handle removes the hook. Use it in a
 * try-with-resources block so the hook cannot outlive the code that needs it:
 *
 * <pre>{@code
 * try (HookHandle h = model.hooks().add("blocks.2.hook_resid_post", Hook.observe(t -> seen.add(t)))) {
 *     model.forward(tokens);
 * }   // removed here, even if forward threw
 * }</pre>
 */
public interface HookHandle extends AutoCloseable {

    /**
     * Returns the hook and the points it applies to.
     *
     * @return the hook and the points it applies to
     */
    HookSpec spec();

    /**
     * Returns true while the hook is registered.
     *
     * @return true while the hook is registered
     */
    boolean isActive();

    /** Removes the hook; closing again does nothing. */
    @Override
    void close();
}
