package dev.lens4j.transformer;

/**
 * Per-head vectors of every row inside a buffer: element {@code (n, h, d)} at
 * {@code a[off + n * stride + h * headStride + d]}. Queries, keys and values of a fused QKV GEMM
 * live side by side in one buffer this way (GPT-2's Q | K | V blocks, GPT-NeoX's per-head
 * interleaving), so no copy is made until a hook asks for a compact {@code [B, T, H, D]} tensor.
 *
 * @param a the buffer
 * @param off offset of row 0, head 0
 * @param stride floats from one row to the next
 * @param headStride floats from one head to the next
 */
record Heads(float[] a, int off, int stride, int headStride) {

    /** A compact {@code [rows, heads, d]} array. */
    static Heads compact(float[] a, int heads, int d) {
        return new Heads(a, 0, heads * d, d);
    }

    /** Whether this is exactly a compact {@code [rows, heads, d]} array. */
    boolean isCompact(int rows, int heads, int d) {
        return off == 0 && stride == heads * d && headStride == d && a.length == rows * heads * d;
    }

    /** Offset of row {@code n}, head {@code h}. */
    int at(int n, int h) {
        return off + n * stride + h * headStride;
    }

    /** A compact copy {@code [rows, heads, d]}. */
    float[] gather(int rows, int heads, int d) {
        return gather(rows, heads, d, new float[rows * heads * d]);
    }

    /** A compact copy {@code [rows, heads, d]} written into {@code out} (at least that long); returns {@code out}. */
    float[] gather(int rows, int heads, int d, float[] out) {
        for (int n = 0; n < rows; n++) {
            for (int h = 0; h < heads; h++) {
                System.arraycopy(a, at(n, h), out, (n * heads + h) * d, d);
            }
        }
        return out;
    }
}
