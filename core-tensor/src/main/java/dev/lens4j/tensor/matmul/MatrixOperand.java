package dev.lens4j.tensor.matmul;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.function.Supplier;

/**
 * A read-only 2-D strided view of float32 data, the input form of {@link Gemm}.
 *
 * <p>Element {@code (i, j)} is at element index {@code offset + i * rowStride + j * colStride} of
 * either {@code array} (heap) or {@code segment} (native or memory-mapped, little-endian float32);
 * exactly one of the two is non-null. A transposed matrix is the same data with the strides
 * swapped, so GEMM never needs a transposed copy.
 *
 * @param array heap storage, or null
 * @param segment off-heap storage, or null
 * @param offset element index of {@code (0, 0)}
 * @param rows number of rows
 * @param cols number of columns
 * @param rowStride elements between {@code (i, j)} and {@code (i + 1, j)}
 * @param colStride elements between {@code (i, j)} and {@code (i, j + 1)}
 */
public record MatrixOperand(float[] array, MemorySegment segment, long offset, int rows, int cols,
                            long rowStride, long colStride) {

    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** Validates that exactly one storage is given and the sizes are non-negative. */
    public MatrixOperand {
        if (array == null && segment == null) {
            throw new IllegalArgumentException("matrix operand [" + rows + ", " + cols + "] has no storage:"
                    + " give an array or a segment");
        }
        if (array != null && segment != null) {
            throw new IllegalArgumentException("matrix operand [" + rows + ", " + cols + "] has both an array (length "
                    + array.length + ") and a segment (" + segment.byteSize() + " bytes): give exactly one");
        }
        if (rows < 0 || cols < 0) {
            throw new IllegalArgumentException("negative matrix shape [" + rows + ", " + cols + "]");
        }
    }

    /**
     * A dense row-major matrix over a heap array.
     *
     * @param array data
     * @param offset index of element (0, 0)
     * @param rows rows
     * @param cols columns
     * @return the operand
     */
    public static MatrixOperand rowMajor(float[] array, int offset, int rows, int cols) {
        return new MatrixOperand(array, null, offset, rows, cols, cols, 1);
    }

    /**
     * A dense row-major matrix over little-endian float32 memory.
     *
     * @param segment data
     * @param offset element (not byte) index of element (0, 0)
     * @param rows rows
     * @param cols columns
     * @return the operand
     */
    public static MatrixOperand rowMajor(MemorySegment segment, long offset, int rows, int cols) {
        return new MatrixOperand(null, segment, offset, rows, cols, cols, 1);
    }

    /**
     * The transpose, as a view.
     *
     * @return this matrix transposed (no copy)
     */
    public MatrixOperand transpose() {
        return new MatrixOperand(array, segment, offset, cols, rows, colStride, rowStride);
    }

    /**
     * Reads one element; for packing loops and tests, not for hot paths over heap arrays.
     *
     * @param i row
     * @param j column
     * @return the element
     */
    public float get(int i, int j) {
        long idx = offset + i * rowStride + j * colStride;
        return array != null ? array[(int) idx] : segment.getAtIndex(F32, idx);
    }

    /** @return the smallest element index this view reads (meaningful when it is not empty) */
    long minIndex() {
        return offset + Math.min(0, (rows - 1) * rowStride) + Math.min(0, (cols - 1) * colStride);
    }

    /** @return the largest element index this view reads (meaningful when it is not empty) */
    long maxIndex() {
        return offset + Math.max(0, (rows - 1) * rowStride) + Math.max(0, (cols - 1) * colStride);
    }

    /**
     * Checks that every element of the view lies inside its storage.
     *
     * @param what how to name this operand in the message, e.g. {@code "A of [2, 3] x [3, 4]"}
     * @throws IllegalArgumentException if an element lies outside
     */
    void checkBounds(Supplier<String> what) {
        if (rows == 0 || cols == 0) {
            return;
        }
        long size = array != null ? array.length : segment.byteSize() / Float.BYTES;
        long lo = minIndex(), hi = maxIndex();
        if (lo < 0 || hi >= size) {
            throw new IllegalArgumentException("matmul: " + what.get() + " reaches elements " + lo + ".." + hi
                    + " outside its storage of " + size + " floats (offset " + offset + ", strides ["
                    + rowStride + ", " + colStride + "])");
        }
    }

    /** @return true if the index range of this view intersects {@code [from, to)} (a conservative test) */
    boolean overlaps(long from, long to) {
        return rows > 0 && cols > 0 && minIndex() < to && maxIndex() >= from;
    }
}
