package dev.lens4j.transformer;

import dev.lens4j.tensor.Shapes;

import java.util.Arrays;
import java.util.List;

/**
 * A hook point's name and the shape of its value for a given batch and sequence length.
 *
 * @param name the TransformerLens name, e.g. {@code "blocks.0.attn.hook_pattern"}
 * @param shape e.g. {@code [2, 12, 5, 5]}
 * @param dims the dimensions in TransformerLens names, e.g. {@code [batch, head_index, query_pos, key_pos]}
 */
public record HookShape(String name, int[] shape, List<String> dims) {

    /** Copies the shape and the dimension names. */
    public HookShape {
        shape = shape.clone();
        dims = List.copyOf(dims);
        if (dims.size() != shape.length) {
            throw new IllegalArgumentException("hook point " + name + ": " + dims.size() + " dimension names for shape " + Shapes.str(shape));
        }
    }

    /**
     * A hook shape without dimension names (they read {@code dim0, dim1, ...}).
     *
     * @param name the TransformerLens name
     * @param shape the shape
     */
    public HookShape(String name, int[] shape) {
        this(name, shape, defaultDims(shape.length));
    }

    private static List<String> defaultDims(int rank) {
        String[] d = new String[rank];
        for (int i = 0; i < rank; i++) {
            d[i] = "dim" + i;
        }
        return List.of(d);
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

    /** Two hook shapes are equal when their names and shapes are (dimension names are descriptive). */
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
