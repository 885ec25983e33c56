package dev.lens4j.transformer;

import dev.lens4j.tensor.Shapes;

import java.util.Arrays;

/**
 * A hook point's name and the shape of its value for a given batch and sequence length.
 *
 * @param name the TransformerLens name, e.g. {@code "blocks.0.attn.hook_pattern"}
 * @param shape e.g. {@code [batch, n_heads, pos, pos]}
 */
public record HookShape(String name, int[] shape) {

    /** Copies the shape. */
    public HookShape {
        shape = shape.clone();
    }

    /**
     * Returns the shape (a copy).
     *
     * @return e.g. {@code [batch, n_heads, pos, pos]}
     */
    @Override
    public int[] shape() {
        return shape.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof HookShape h && h.name.equals(name) && Arrays.equals(h.shape, shape);
    }

    @Override
    public int hashCode() {
        return name.hashCode() * 31 + Arrays.hashCode(shape);
    }

    @Override
    public String toString() {
        return name + " " + Shapes.str(shape);
    }
}
