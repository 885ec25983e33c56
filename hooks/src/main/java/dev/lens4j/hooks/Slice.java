package dev.lens4j.hooks;

import dev.lens4j.tensor.Shapes;
import dev.lens4j.tensor.Tensor;

import java.util.Arrays;

/**
 * A choice of indices along one dimension, TransformerLens's {@code utils.Slice}: every index
 * ({@code None}), one index ({@code 3}, which removes the dimension), a range ({@code (2, 7)} is
 * {@code 2:7}) or a list of indices ({@code [1, 4, 5]}).
 *
 * <pre>{@code
 * Slice.all().apply(t, 0);            // t
 * Slice.index(-1).apply(t, 1);        // t[:, -1]: the dimension is gone
 * Slice.range(2, 7).apply(t, 1);      // t[:, 2:7]
 * Slice.to(5).apply(t, 0);            // t[:5], TransformerLens's Slice((5,))
 * Slice.list(1, 4, 5).apply(t, 0);    // t[[1, 4, 5]], a copy
 * }</pre>
 *
 * <p>Ranges follow Python: negative bounds count from the end, and bounds past either end are
 * clipped (so {@code range(2, 100)} of 5 entries is {@code 2:5}); a single index or a listed index
 * outside the dimension is an error. Immutable.
 */
public final class Slice {

    /** What kind of selection a slice makes (TransformerLens's {@code mode}). */
    public enum Mode {
        /** every index, unchanged ({@code None}) */
        IDENTITY,
        /** one index; the dimension is removed ({@code int}) */
        INT,
        /** {@code start:stop:step} ({@code slice} or a tuple) */
        RANGE,
        /** listed indices, in their order, repeats allowed ({@code list}, tensor or array) */
        ARRAY
    }

    private static final Slice ALL = new Slice(Mode.IDENTITY, 0, null, 1, null);

    private final Mode mode;
    private final int start;          // INT: the index; RANGE: start
    private final Integer stop;       // RANGE: stop, or null for the end
    private final int step;
    private final int[] indices;      // ARRAY

    private Slice(Mode mode, int start, Integer stop, int step, int[] indices) {
        this.mode = mode;
        this.start = start;
        this.stop = stop;
        this.step = step;
        this.indices = indices;
    }

    /**
     * Every index: TransformerLens's {@code Slice(None)}, the default of its {@code pos_slice} and
     * {@code batch_slice} arguments.
     *
     * @return the identity slice
     */
    public static Slice all() {
        return ALL;
    }

    /**
     * One index, removing the dimension: {@code Slice(i)}.
     *
     * @param index the index; negative counts from the end
     * @return the slice
     */
    public static Slice index(int index) {
        return new Slice(Mode.INT, index, null, 1, null);
    }

    /**
     * The indices {@code start} (inclusive) to {@code stop} (exclusive): {@code Slice((start, stop))}.
     *
     * @param start first index; negative counts from the end
     * @param stop one past the last index; negative counts from the end
     * @return the slice
     */
    public static Slice range(int start, int stop) {
        return range(start, stop, 1);
    }

    /**
     * Every {@code step}-th index from {@code start} to {@code stop}: {@code Slice((start, stop, step))}.
     *
     * @param start first index; negative counts from the end
     * @param stop one past the last index; negative counts from the end
     * @param step at least 1
     * @return the slice
     * @throws IllegalArgumentException if {@code step < 1}
     */
    public static Slice range(int start, int stop, int step) {
        if (step < 1) {
            throw new IllegalArgumentException("slice step must be at least 1, got " + step);
        }
        return new Slice(Mode.RANGE, start, stop, step, null);
    }

    /**
     * From {@code start} to the end: {@code Slice(slice(start, None))}; {@code from(-1)} keeps the last
     * position as a dimension of size 1.
     *
     * @param start first index; negative counts from the end
     * @return the slice
     */
    public static Slice from(int start) {
        return new Slice(Mode.RANGE, start, null, 1, null);
    }

    /**
     * The first indices up to {@code stop}: TransformerLens's {@code Slice((stop,))}, i.e. {@code :stop}.
     *
     * @param stop one past the last index; negative counts from the end
     * @return the slice
     */
    public static Slice to(int stop) {
        return new Slice(Mode.RANGE, 0, stop, 1, null);
    }

    /**
     * Listed indices, in order: {@code Slice([1, 4, 5])}.
     *
     * @param indices the indices; negative counts from the end; repeats allowed
     * @return the slice
     */
    public static Slice list(int... indices) {
        if (indices == null) {
            throw new IllegalArgumentException("slice indices are null; use Slice.all() for every index");
        }
        return new Slice(Mode.ARRAY, 0, null, 1, indices.clone());
    }

    /**
     * Returns what kind of selection this is.
     *
     * @return the mode
     */
    public Mode mode() {
        return mode;
    }

    /**
     * Returns true when applying this slice removes the dimension (a single index).
     *
     * @return true for {@link Mode#INT}
     */
    public boolean removesDimension() {
        return mode == Mode.INT;
    }

    /**
     * The indices this slice selects from a dimension of the given length, in order (TransformerLens's
     * {@code Slice.indices(max_ctx)}).
     *
     * @param length the dimension's length
     * @return the selected indices, each in {@code [0, length)}; one for a single index
     * @throws IllegalArgumentException when a single or listed index is outside the dimension
     */
    public int[] indices(int length) {
        return switch (mode) {
            case IDENTITY -> range(0, length, 1, length);
            case INT -> new int[] {checked(start, length)};
            case RANGE -> range(start, stop == null ? length : stop, step, length);
            case ARRAY -> {
                int[] out = new int[indices.length];
                for (int i = 0; i < out.length; i++) {
                    out[i] = checked(indices[i], length);
                }
                yield out;
            }
        };
    }

    private int checked(int i, int length) {
        int c = i < 0 ? i + length : i;
        if (c < 0 || c >= length) {
            throw new IllegalArgumentException("slice " + this + ": index " + i + " is outside a dimension of length " + length);
        }
        return c;
    }

    /** Python's slice.indices: negative bounds from the end, then clipped to [0, length]. */
    private static int[] range(int from, int to, int step, int length) {
        int s = clip(from, length);
        int e = Math.max(s, clip(to, length));
        int[] out = new int[(e - s + step - 1) / step];
        for (int i = 0; i < out.length; i++) {
            out[i] = s + i * step;
        }
        return out;
    }

    private static int clip(int bound, int length) {
        int b = bound < 0 ? bound + length : bound;
        return Math.max(0, Math.min(length, b));
    }

    /**
     * Applies the slice to one dimension of a tensor: {@code Slice.apply(tensor, dim)}.
     *
     * @param tensor the tensor
     * @param dim the dimension; negative counts from the end
     * @return a view for {@code all}, an index or a range; a copy for listed indices
     * @throws IllegalArgumentException naming the slice and the shape when an index is outside the dimension
     */
    public Tensor apply(Tensor tensor, int dim) {
        int d = Shapes.axis(dim, tensor.shape());
        int n = tensor.dim(d);
        return switch (mode) {
            case IDENTITY -> tensor;
            case INT -> tensor.select(d, checked(start, n));
            case RANGE -> {
                int s = clip(start, n);
                int e = Math.max(s, clip(stop == null ? n : stop, n));
                yield tensor.slice(d, s, e, step);
            }
            case ARRAY -> tensor.indexSelect(d, indices(n));
        };
    }

    @Override
    public String toString() {
        return switch (mode) {
            case IDENTITY -> "Slice[:]";
            case INT -> "Slice[" + start + "]";
            case RANGE -> "Slice[" + start + ":" + (stop == null ? "" : stop) + (step == 1 ? "" : ":" + step) + "]";
            case ARRAY -> "Slice" + Arrays.toString(indices);
        };
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Slice s && s.mode == mode && s.start == start && java.util.Objects.equals(s.stop, stop)
                && s.step == step && Arrays.equals(s.indices, indices);
    }

    @Override
    public int hashCode() {
        return java.util.Objects.hash(mode, start, stop, step, Arrays.hashCode(indices));
    }
}
