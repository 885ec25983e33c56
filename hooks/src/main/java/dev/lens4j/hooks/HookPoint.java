package dev.lens4j.hooks;

/**
 * A named place in a model's forward pass where hooks can observe or replace an activation, such as
 * {@code blocks.0.attn.hook_pattern}. The name is exactly TransformerLens's.
 *
 * <p>A model creates its hook points once; {@code index} is the point's position in the model's
 * firing order, so a forward pass can look up the hooks of a point in an array instead of a map.
 * Two hook points are equal when both name and index are equal.
 *
 * @param name the TransformerLens name, e.g. {@code "blocks.3.ln1.hook_scale"}
 * @param index the position of this point in its model's list of hook points, from 0
 */
public record HookPoint(String name, int index) {

    /** Validates the name and index. */
    public HookPoint {
        if (name == null || name.isEmpty()) {
            throw new IllegalArgumentException("a hook point needs a name");
        }
        if (index < 0) {
            throw new IllegalArgumentException("hook point " + name + " has negative index " + index);
        }
    }

    @Override
    public String toString() {
        return name;
    }
}
