package dev.lens4j.hooks;

/**
 * Whether a hook runs on an activation in the forward pass or on its gradient in the backward pass
 * (TransformerLens's {@code dir="fwd"} and {@code dir="bwd"}).
 */
public enum HookDirection {
    /** On the activation, in the forward pass. */
    FORWARD,
    /**
     * On the gradient of a scalar metric with respect to the activation (the value after the forward
     * hooks), in the backward pass; the tensor has the hook point's shape.
     */
    BACKWARD
}
