package dev.lens4j.tensor;

import java.util.Arrays;

/** Shape arithmetic shared by {@link Tensor} and its operations: sizes, strides, broadcasting, axes. */
public final class Shapes {

    private Shapes() {}

    /**
     * The number of elements of a shape.
     *
     * @param shape a shape
     * @return the number of elements, 1 for a scalar shape {@code []}
     * @throws IllegalArgumentException when a dimension is negative or the count overflows an int
     */
    public static int numel(int... shape) {
        long n = 1;
        for (int d : shape) {
            if (d < 0) {
                throw new IllegalArgumentException("negative dimension in shape " + Arrays.toString(shape));
            }
            n *= d;
            if (n > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " has more than 2^31-1 elements");
            }
        }
        return (int) n;
    }

    /**
     * The strides of a contiguous tensor.
     *
     * @param shape a shape
     * @return the row-major (C order) strides of a contiguous tensor of that shape
     */
    public static int[] contiguousStrides(int[] shape) {
        int[] s = new int[shape.length];
        int acc = 1;
        for (int i = shape.length - 1; i >= 0; i--) {
            s[i] = acc;
            acc *= Math.max(shape[i], 1);
        }
        return s;
    }

    /**
     * Normalises a possibly negative axis of a shape ({@code -1} is the last).
     *
     * @param axis the axis
     * @param shape the tensor's shape, named in the error
     * @return the axis in {@code [0, shape.length)}
     * @throws IllegalArgumentException naming the axis, the shape and the valid range when out of range
     */
    public static int axis(int axis, int[] shape) {
        return axis(axis, shape.length, shape);
    }

    /**
     * Normalises a possibly negative axis among {@code rank} dimensions ({@code -1} is the last), for
     * operations whose result has a rank other than the input's, as {@code unsqueeze} (rank + 1).
     *
     * @param axis the axis
     * @param rank the number of dimensions the axis indexes
     * @param shape the input tensor's shape, named in the error
     * @return the axis in {@code [0, rank)}
     * @throws IllegalArgumentException naming the axis, the shape and the valid range when out of range
     */
    public static int axis(int axis, int rank, int[] shape) {
        int a = axis < 0 ? axis + rank : axis;
        if (a < 0 || a >= rank) {
            throw new IllegalArgumentException("axis " + axis + " is out of range for shape " + str(shape)
                    + " (valid: " + -rank + " to " + (rank - 1) + ")");
        }
        return a;
    }

    /**
     * NumPy broadcasting of two shapes.
     *
     * @param a first shape
     * @param b second shape
     * @return the broadcast shape
     * @throws IllegalArgumentException naming both shapes when they do not broadcast
     */
    public static int[] broadcast(int[] a, int[] b) {
        int r = Math.max(a.length, b.length);
        int[] out = new int[r];
        for (int i = 0; i < r; i++) {
            int da = i < r - a.length ? 1 : a[i - (r - a.length)];
            int db = i < r - b.length ? 1 : b[i - (r - b.length)];
            if (da != db && da != 1 && db != 1) {
                throw new IllegalArgumentException("shapes " + Arrays.toString(a) + " and " + Arrays.toString(b)
                        + " do not broadcast (dimension " + i + ": " + da + " vs " + db + ")");
            }
            out[i] = da == 1 ? db : da;
        }
        return out;
    }

    /**
     * A shape as text, for messages.
     *
     * @param shape a shape
     * @return the shape as {@code [2, 3, 4]}
     */
    public static String str(int... shape) {
        return Arrays.toString(shape);
    }
}
