package dev.lens4j.tensor.matmul;

/**
 * How the elements of a {@link MatrixOperand} are stored. GEMM and GEMV compute in float32 whatever
 * the storage: a 16-bit element is widened to float32 (exactly: both formats are subsets of float32)
 * where it is read, while packing a panel for {@link Gemm} or while streaming a row for {@link Gemv},
 * so a memory-mapped 16-bit checkpoint is used in place at half the bytes of float32.
 */
public enum StorageType {

    /** IEEE float32, 4 bytes, over a {@code float[]} or little-endian memory. */
    F32(4),

    /** bfloat16 (the top 16 bits of a float32), 2 bytes, over a {@code short[]} or little-endian memory. */
    BF16(2),

    /** IEEE half precision, 2 bytes, over a {@code short[]} or little-endian memory. */
    F16(2);

    private final int bytes;

    StorageType(int bytes) {
        this.bytes = bytes;
    }

    /**
     * The size of one element.
     *
     * @return bytes per element: 4 or 2
     */
    public int bytes() {
        return bytes;
    }

    /**
     * Widens one stored 16-bit element to float32.
     *
     * @param bits the element's 16 bits
     * @return its exact float32 value
     * @throws IllegalStateException for {@link #F32}, which has no 16-bit elements
     */
    public float widen(short bits) {
        return switch (this) {
            case BF16 -> Float.intBitsToFloat(bits << 16);
            case F16 -> Float.float16ToFloat(bits);
            case F32 -> throw new IllegalStateException("F32 elements are not 16-bit");
        };
    }
}
