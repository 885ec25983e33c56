package dev.lens4j.tensor.matmul;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * A read-only 2-D strided view of a matrix, the input form of {@link Gemm} and {@link Gemv}.
 *
 * <p>Element {@code (i, j)} is at element index {@code offset + i * rowStride + j * colStride} of
 * exactly one storage: {@code array} (heap float32), {@code halves} (heap 16-bit: bfloat16 or IEEE
 * half, see {@link #type}) or {@code segment} (native or memory-mapped, little-endian, of
 * {@code type}). Indexes and strides count elements, not bytes. A transposed matrix is the same
 * data with the strides swapped, so GEMM never needs a transposed copy. Whatever the storage, the
 * products compute in float32 on the exactly widened values: a bfloat16 or half matrix multiplies
 * to the same bits as the float32 matrix of its widened values.
 *
 * <pre>{@code
 * MatrixOperand w = MatrixOperand.of(StorageType.BF16, mappedSegment, 0, 768, 2304);  // in place, 2 bytes per element
 * MatrixOperand x = MatrixOperand.rowMajor(activations, 0, 128, 768);
 * Gemm.multiply(x, w, out, 0, 2304, false);                                        // out [128, 2304], float32
 * }</pre>
 *
 * @param array heap float32 storage, or null
 * @param segment off-heap storage of {@code type}, or null
 * @param offset element index of {@code (0, 0)}
 * @param rows number of rows
 * @param cols number of columns
 * @param rowStride elements between {@code (i, j)} and {@code (i + 1, j)}
 * @param colStride elements between {@code (i, j)} and {@code (i, j + 1)}
 * @param halves heap 16-bit storage (the bits of bfloat16 or half values), or null
 * @param type how the elements are stored: {@link StorageType#F32} for {@code array}, a 16-bit type
 *        for {@code halves}, any for {@code segment}
 */
public record MatrixOperand(float[] array, MemorySegment segment, long offset, int rows, int cols,
                            long rowStride, long colStride, short[] halves, StorageType type) {

    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort S16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** Validates that exactly one storage is given, that it suits the type, and that the sizes are non-negative. */
    public MatrixOperand {
        Objects.requireNonNull(type, "storage type");
        int storages = (array != null ? 1 : 0) + (segment != null ? 1 : 0) + (halves != null ? 1 : 0);
        if (storages == 0) {
            throw new IllegalArgumentException("matrix operand [" + rows + ", " + cols + "] has no storage:"
                    + " give a float array, a short array or a segment");
        }
        if (storages > 1) {
            throw new IllegalArgumentException("matrix operand [" + rows + ", " + cols + "] has "
                    + (array != null ? "a float array (length " + array.length + ") " : "")
                    + (halves != null ? "a short array (length " + halves.length + ") " : "")
                    + (segment != null ? "a segment (" + segment.byteSize() + " bytes) " : "")
                    + "at once: give exactly one");
        }
        if (array != null && type != StorageType.F32) {
            throw new IllegalArgumentException("matrix operand [" + rows + ", " + cols + "]: a float array holds F32, not " + type);
        }
        if (halves != null && type == StorageType.F32) {
            throw new IllegalArgumentException("matrix operand [" + rows + ", " + cols + "]: a short array holds BF16 or F16, not F32");
        }
        if (rows < 0 || cols < 0) {
            throw new IllegalArgumentException("negative matrix shape [" + rows + ", " + cols + "]");
        }
    }

    /**
     * A float32 view over a heap array or little-endian float32 memory (exactly one of them).
     *
     * @param array heap storage, or null
     * @param segment off-heap float32 storage, or null
     * @param offset element index of {@code (0, 0)}
     * @param rows number of rows
     * @param cols number of columns
     * @param rowStride elements between {@code (i, j)} and {@code (i + 1, j)}
     * @param colStride elements between {@code (i, j)} and {@code (i, j + 1)}
     */
    public MatrixOperand(float[] array, MemorySegment segment, long offset, int rows, int cols, long rowStride, long colStride) {
        this(array, segment, offset, rows, cols, rowStride, colStride, null, StorageType.F32);
    }

    /**
     * A dense row-major float32 matrix over a heap array.
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
     * A dense row-major float32 matrix over little-endian memory.
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
     * A dense row-major matrix of any storage type over little-endian memory, e.g. a bfloat16 tensor
     * of a memory-mapped safetensors file used in place.
     *
     * @param type how the elements are stored
     * @param segment data
     * @param offset element (not byte) index of element (0, 0)
     * @param rows rows
     * @param cols columns
     * @return the operand
     */
    public static MatrixOperand of(StorageType type, MemorySegment segment, long offset, int rows, int cols) {
        return new MatrixOperand(null, segment, offset, rows, cols, cols, 1, null, type);
    }

    /**
     * A dense row-major 16-bit matrix over a heap array of its bits.
     *
     * @param type {@link StorageType#BF16} or {@link StorageType#F16}
     * @param halves the elements' bits
     * @param offset index of element (0, 0)
     * @param rows rows
     * @param cols columns
     * @return the operand
     */
    public static MatrixOperand of(StorageType type, short[] halves, int offset, int rows, int cols) {
        return new MatrixOperand(null, null, offset, rows, cols, cols, 1, halves, type);
    }

    /**
     * The transpose, as a view.
     *
     * @return this matrix transposed (no copy)
     */
    public MatrixOperand transpose() {
        return new MatrixOperand(array, segment, offset, cols, rows, colStride, rowStride, halves, type);
    }

    /**
     * Rows {@code [row, row + count)}, as a view.
     *
     * @param row first row
     * @param count number of rows
     * @return {@code [count, cols]}
     * @throws IllegalArgumentException if the rows are not inside {@code [0, rows)}
     */
    public MatrixOperand rowRange(int row, int count) {
        if (row < 0 || count < 0 || row + count > rows) {
            throw new IllegalArgumentException("rows [" + row + ", " + (row + count) + ") of a [" + rows + ", " + cols + "] matrix");
        }
        return new MatrixOperand(array, segment, offset + row * rowStride, count, cols, rowStride, colStride, halves, type);
    }

    /**
     * Columns {@code [col, col + count)}, as a view.
     *
     * @param col first column
     * @param count number of columns
     * @return {@code [rows, count]}
     * @throws IllegalArgumentException if the columns are not inside {@code [0, cols)}
     */
    public MatrixOperand colRange(int col, int count) {
        if (col < 0 || count < 0 || col + count > cols) {
            throw new IllegalArgumentException("columns [" + col + ", " + (col + count) + ") of a [" + rows + ", " + cols + "] matrix");
        }
        return new MatrixOperand(array, segment, offset + col * colStride, rows, count, rowStride, colStride, halves, type);
    }

    /**
     * Reads one element, widened to float32; for packing loops and tests, not for hot paths.
     *
     * @param i row
     * @param j column
     * @return the element
     */
    public float get(int i, int j) {
        long idx = offset + i * rowStride + j * colStride;
        if (array != null) {
            return array[(int) idx];
        }
        if (halves != null) {
            return type.widen(halves[(int) idx]);
        }
        return type == StorageType.F32 ? segment.getAtIndex(F32, idx) : type.widen(segment.getAtIndex(S16, idx));
    }

    /**
     * The bytes of storage the view covers, the figure that bounds a memory-bound product.
     *
     * @return {@code rows * cols * type().bytes()}
     */
    public long storedBytes() {
        return (long) rows * cols * type.bytes();
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
     * Releases the memory pages of a memory-mapped view from the process ({@link MemorySegment#unload()}:
     * the kernel drops them from the resident set and reads them from the file again when next touched,
     * same values), for a view that a copy has replaced, such as a weight matrix once its
     * {@link PackedMatrix} is made. The pages released are those of the view's index range, whole pages,
     * so a neighbouring tensor sharing a page may be paged in again later. Nothing happens for heap or
     * native storage.
     *
     * @return the bytes of the range released, 0 when the view is not mapped or is empty
     * @throws IllegalStateException if the mapping was closed
     */
    public long unloadMapping() {
        if (segment == null || !segment.isMapped() || rows == 0 || cols == 0) {
            return 0;
        }
        long lo = minIndex() * type.bytes(), bytes = (maxIndex() + 1) * type.bytes() - lo;
        segment.asSlice(lo, bytes).unload();
        return bytes;
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
        long size = array != null ? array.length : halves != null ? halves.length : segment.byteSize() / type.bytes();
        long lo = minIndex(), hi = maxIndex();
        if (lo < 0 || hi >= size) {
            throw new IllegalArgumentException("matmul: " + what.get() + " reaches elements " + lo + ".." + hi
                    + " outside its storage of " + size + " " + type + " elements (offset " + offset + ", strides ["
                    + rowStride + ", " + colStride + "])");
        }
    }

    /** @return true if the index range of this view intersects {@code [from, to)} (a conservative test) */
    boolean overlaps(long from, long to) {
        return rows > 0 && cols > 0 && minIndex() < to && maxIndex() >= from;
    }
}
