package dev.lens4j.tensor.kernel.panama;

import dev.lens4j.tensor.matmul.MatrixOperand;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * A 16 x 16 transpose in registers: 16 vectors of 16 consecutive elements of a matrix's storage
 * (any storage type, widened to float32) in, 16 transposed rows out, in four stages of two-vector
 * permutes. Used to pack a transposed B for the GEMM ({@code k^T} in attention, {@code W_E^T} as the
 * unembedding) and by the GEMV on a transposed weight. Only for 16-lane vectors (AVX-512).
 */
final class Transpose16 {

    private static final int L = Widening.L;
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    // Lane indexes (into the 32 lanes of two vectors) of the butterfly stages: for rows i and i + b,
    // LOb takes the first b lanes of every 2b-lane group from row i and the matching lanes of row i + b;
    // HIb takes the second b lanes from both. Also PanamaGemmKernel.packAPanel's stages.
    static final FloatVector LO8 = butterfly(8, false);
    static final FloatVector HI8 = butterfly(8, true);
    static final FloatVector LO4 = butterfly(4, false);
    static final FloatVector HI4 = butterfly(4, true);
    static final FloatVector LO2 = butterfly(2, false);
    static final FloatVector HI2 = butterfly(2, true);
    static final FloatVector LO1 = butterfly(1, false);
    static final FloatVector HI1 = butterfly(1, true);
    /** The same lane indexes as ints, for {@link #transposePairs}. */
    private static final IntVector LO8I = LO8.convert(VectorOperators.F2I, 0).reinterpretAsInts();
    private static final IntVector HI8I = HI8.convert(VectorOperators.F2I, 0).reinterpretAsInts();
    private static final IntVector LO4I = LO4.convert(VectorOperators.F2I, 0).reinterpretAsInts();
    private static final IntVector HI4I = HI4.convert(VectorOperators.F2I, 0).reinterpretAsInts();
    private static final IntVector LO2I = LO2.convert(VectorOperators.F2I, 0).reinterpretAsInts();
    private static final IntVector HI2I = HI2.convert(VectorOperators.F2I, 0).reinterpretAsInts();
    private static final IntVector LO1I = LO1.convert(VectorOperators.F2I, 0).reinterpretAsInts();
    private static final IntVector HI1I = HI1.convert(VectorOperators.F2I, 0).reinterpretAsInts();
    private static final VectorSpecies<Integer> PAIRS = IntVector.SPECIES_512;

    private Transpose16() {}

    private static FloatVector butterfly(int b, boolean high) {
        float[] idx = new float[L];
        for (int c = 0; c < L; c++) {
            boolean first = c % (2 * b) < b;
            idx[c] = high ? (first ? c + b : L + c) : (first ? c : L + c - b);
        }
        return FloatVector.fromArray(Widening.S, idx, 0);
    }

    /**
     * Transposes the 16 x 16 block whose rows start at element index {@code idx + i * stride} of b's
     * storage: row q of the result (lane q of every row, in order of i) goes to
     * {@code dst[dOff + q * dStride ..]}. A float32 heap array is read directly; any other storage is
     * first widened into {@code stage} (256 floats), because one method that loads 16 vectors from
     * every kind of storage is too big for C2 to inline its loads, and a vector returned from a call
     * that is not inlined is boxed (the transposed GEMV ran 5 to 10 times slower that way).
     *
     * @param b the operand whose storage is read (any type)
     * @param idx element index of the first row of the block
     * @param stride elements between the starts of consecutive rows
     * @param dst the output
     * @param dOff where the first transposed row goes
     * @param dStride elements between transposed rows in {@code dst}
     * @param stage scratch of at least 256 floats
     */
    static void transpose(MatrixOperand b, long idx, long stride, float[] dst, int dOff, int dStride, float[] stage) {
        if (b.array() != null) {
            transpose(b.array(), (int) idx, (int) stride, dst, dOff, dStride);
            return;
        }
        for (int i = 0; i < L; i++) {
            Widening.widen(b, idx + i * stride, L, stage, i * L);
        }
        transpose(stage, 0, L, dst, dOff, dStride);
    }

    /**
     * Transposes the 16 x 16 block of a float array whose rows start at {@code src[idx + i * stride]}.
     *
     * @param src the input
     * @param idx index of the block's first row
     * @param stride elements between the starts of consecutive rows
     * @param dst the output
     * @param dOff where the first transposed row goes
     * @param dStride elements between transposed rows in {@code dst}
     */
    static void transpose(float[] src, int idx, int stride, float[] dst, int dOff, int dStride) {
        FloatVector r0 = FloatVector.fromArray(Widening.S, src, idx);
        FloatVector r1 = FloatVector.fromArray(Widening.S, src, idx + stride);
        FloatVector r2 = FloatVector.fromArray(Widening.S, src, idx + 2 * stride);
        FloatVector r3 = FloatVector.fromArray(Widening.S, src, idx + 3 * stride);
        FloatVector r4 = FloatVector.fromArray(Widening.S, src, idx + 4 * stride);
        FloatVector r5 = FloatVector.fromArray(Widening.S, src, idx + 5 * stride);
        FloatVector r6 = FloatVector.fromArray(Widening.S, src, idx + 6 * stride);
        FloatVector r7 = FloatVector.fromArray(Widening.S, src, idx + 7 * stride);
        FloatVector r8 = FloatVector.fromArray(Widening.S, src, idx + 8 * stride);
        FloatVector r9 = FloatVector.fromArray(Widening.S, src, idx + 9 * stride);
        FloatVector r10 = FloatVector.fromArray(Widening.S, src, idx + 10 * stride);
        FloatVector r11 = FloatVector.fromArray(Widening.S, src, idx + 11 * stride);
        FloatVector r12 = FloatVector.fromArray(Widening.S, src, idx + 12 * stride);
        FloatVector r13 = FloatVector.fromArray(Widening.S, src, idx + 13 * stride);
        FloatVector r14 = FloatVector.fromArray(Widening.S, src, idx + 14 * stride);
        FloatVector r15 = FloatVector.fromArray(Widening.S, src, idx + 15 * stride);
        FloatVector t0a = LO8.selectFrom(r0, r8), t0i = HI8.selectFrom(r0, r8);
        FloatVector t0b = LO8.selectFrom(r1, r9), t0j = HI8.selectFrom(r1, r9);
        FloatVector t0c = LO8.selectFrom(r2, r10), t0k = HI8.selectFrom(r2, r10);
        FloatVector t0d = LO8.selectFrom(r3, r11), t0l = HI8.selectFrom(r3, r11);
        FloatVector t0e = LO8.selectFrom(r4, r12), t0m = HI8.selectFrom(r4, r12);
        FloatVector t0f = LO8.selectFrom(r5, r13), t0n = HI8.selectFrom(r5, r13);
        FloatVector t0g = LO8.selectFrom(r6, r14), t0o = HI8.selectFrom(r6, r14);
        FloatVector t0h = LO8.selectFrom(r7, r15), t0p = HI8.selectFrom(r7, r15);
        FloatVector t1a = LO4.selectFrom(t0a, t0e), t1e = HI4.selectFrom(t0a, t0e);
        FloatVector t1b = LO4.selectFrom(t0b, t0f), t1f = HI4.selectFrom(t0b, t0f);
        FloatVector t1c = LO4.selectFrom(t0c, t0g), t1g = HI4.selectFrom(t0c, t0g);
        FloatVector t1d = LO4.selectFrom(t0d, t0h), t1h = HI4.selectFrom(t0d, t0h);
        FloatVector t1i = LO4.selectFrom(t0i, t0m), t1m = HI4.selectFrom(t0i, t0m);
        FloatVector t1j = LO4.selectFrom(t0j, t0n), t1n = HI4.selectFrom(t0j, t0n);
        FloatVector t1k = LO4.selectFrom(t0k, t0o), t1o = HI4.selectFrom(t0k, t0o);
        FloatVector t1l = LO4.selectFrom(t0l, t0p), t1p = HI4.selectFrom(t0l, t0p);
        FloatVector t2a = LO2.selectFrom(t1a, t1c), t2c = HI2.selectFrom(t1a, t1c);
        FloatVector t2b = LO2.selectFrom(t1b, t1d), t2d = HI2.selectFrom(t1b, t1d);
        FloatVector t2e = LO2.selectFrom(t1e, t1g), t2g = HI2.selectFrom(t1e, t1g);
        FloatVector t2f = LO2.selectFrom(t1f, t1h), t2h = HI2.selectFrom(t1f, t1h);
        FloatVector t2i = LO2.selectFrom(t1i, t1k), t2k = HI2.selectFrom(t1i, t1k);
        FloatVector t2j = LO2.selectFrom(t1j, t1l), t2l = HI2.selectFrom(t1j, t1l);
        FloatVector t2m = LO2.selectFrom(t1m, t1o), t2o = HI2.selectFrom(t1m, t1o);
        FloatVector t2n = LO2.selectFrom(t1n, t1p), t2p = HI2.selectFrom(t1n, t1p);
        FloatVector t3a = LO1.selectFrom(t2a, t2b), t3b = HI1.selectFrom(t2a, t2b);
        FloatVector t3c = LO1.selectFrom(t2c, t2d), t3d = HI1.selectFrom(t2c, t2d);
        FloatVector t3e = LO1.selectFrom(t2e, t2f), t3f = HI1.selectFrom(t2e, t2f);
        FloatVector t3g = LO1.selectFrom(t2g, t2h), t3h = HI1.selectFrom(t2g, t2h);
        FloatVector t3i = LO1.selectFrom(t2i, t2j), t3j = HI1.selectFrom(t2i, t2j);
        FloatVector t3k = LO1.selectFrom(t2k, t2l), t3l = HI1.selectFrom(t2k, t2l);
        FloatVector t3m = LO1.selectFrom(t2m, t2n), t3n = HI1.selectFrom(t2m, t2n);
        FloatVector t3o = LO1.selectFrom(t2o, t2p), t3p = HI1.selectFrom(t2o, t2p);
        int o = dOff;
        t3a.intoArray(dst, o);
        t3b.intoArray(dst, o + dStride);
        t3c.intoArray(dst, o + 2 * dStride);
        t3d.intoArray(dst, o + 3 * dStride);
        t3e.intoArray(dst, o + 4 * dStride);
        t3f.intoArray(dst, o + 5 * dStride);
        t3g.intoArray(dst, o + 6 * dStride);
        t3h.intoArray(dst, o + 7 * dStride);
        t3i.intoArray(dst, o + 8 * dStride);
        t3j.intoArray(dst, o + 9 * dStride);
        t3k.intoArray(dst, o + 10 * dStride);
        t3l.intoArray(dst, o + 11 * dStride);
        t3m.intoArray(dst, o + 12 * dStride);
        t3n.intoArray(dst, o + 13 * dStride);
        t3o.intoArray(dst, o + 14 * dStride);
        t3p.intoArray(dst, o + 15 * dStride);
    }

    /**
     * Transposes the 16 x 16 block of 32-bit elements whose rows start at byte {@code off + i * stride} of a
     * segment (little-endian), as bits: a row of 16 ints that each hold two bfloat16 values (two steps of k of
     * a mapped {@code [out, in]} weight's column) comes out as 16 rows of pairs, row q holding steps
     * {@code 2q} and {@code 2q + 1} of the 16 columns, as the packed bfloat16 panels hold them; row q of the
     * result goes to {@code dst[dOff + q * dStride ..]}. Loaded from the mapping straight into registers:
     * staged through a float array first, the loads waited for those 64-byte stores (the GEMV ran 1.25 times
     * as fast without). A second copy of {@link #transpose(float[], int, int, float[], int, int)}'s stages,
     * on ints (one method that stored either floats or ints was too big for C1's profiling tier, so C2 never
     * compiled it), because a heap array read through a segment is not compiled to vector loads, and a
     * method that took the 16 loaded vectors from its caller would be too big for C2 to inline, which boxes
     * them.
     *
     * @param src the segment
     * @param off byte offset of the block's first row
     * @param stride bytes between the starts of consecutive rows
     * @param dst the output
     * @param dOff where the first transposed row goes
     * @param dStride elements between transposed rows in the output
     */
    static void transposePairs(MemorySegment src, long off, long stride, int[] dst, int dOff, int dStride) {
        IntVector r0 = IntVector.fromMemorySegment(PAIRS, src, off, LE);
        IntVector r1 = IntVector.fromMemorySegment(PAIRS, src, off + stride, LE);
        IntVector r2 = IntVector.fromMemorySegment(PAIRS, src, off + 2 * stride, LE);
        IntVector r3 = IntVector.fromMemorySegment(PAIRS, src, off + 3 * stride, LE);
        IntVector r4 = IntVector.fromMemorySegment(PAIRS, src, off + 4 * stride, LE);
        IntVector r5 = IntVector.fromMemorySegment(PAIRS, src, off + 5 * stride, LE);
        IntVector r6 = IntVector.fromMemorySegment(PAIRS, src, off + 6 * stride, LE);
        IntVector r7 = IntVector.fromMemorySegment(PAIRS, src, off + 7 * stride, LE);
        IntVector r8 = IntVector.fromMemorySegment(PAIRS, src, off + 8 * stride, LE);
        IntVector r9 = IntVector.fromMemorySegment(PAIRS, src, off + 9 * stride, LE);
        IntVector r10 = IntVector.fromMemorySegment(PAIRS, src, off + 10 * stride, LE);
        IntVector r11 = IntVector.fromMemorySegment(PAIRS, src, off + 11 * stride, LE);
        IntVector r12 = IntVector.fromMemorySegment(PAIRS, src, off + 12 * stride, LE);
        IntVector r13 = IntVector.fromMemorySegment(PAIRS, src, off + 13 * stride, LE);
        IntVector r14 = IntVector.fromMemorySegment(PAIRS, src, off + 14 * stride, LE);
        IntVector r15 = IntVector.fromMemorySegment(PAIRS, src, off + 15 * stride, LE);
        IntVector t0a = LO8I.selectFrom(r0, r8), t0i = HI8I.selectFrom(r0, r8);
        IntVector t0b = LO8I.selectFrom(r1, r9), t0j = HI8I.selectFrom(r1, r9);
        IntVector t0c = LO8I.selectFrom(r2, r10), t0k = HI8I.selectFrom(r2, r10);
        IntVector t0d = LO8I.selectFrom(r3, r11), t0l = HI8I.selectFrom(r3, r11);
        IntVector t0e = LO8I.selectFrom(r4, r12), t0m = HI8I.selectFrom(r4, r12);
        IntVector t0f = LO8I.selectFrom(r5, r13), t0n = HI8I.selectFrom(r5, r13);
        IntVector t0g = LO8I.selectFrom(r6, r14), t0o = HI8I.selectFrom(r6, r14);
        IntVector t0h = LO8I.selectFrom(r7, r15), t0p = HI8I.selectFrom(r7, r15);
        IntVector t1a = LO4I.selectFrom(t0a, t0e), t1e = HI4I.selectFrom(t0a, t0e);
        IntVector t1b = LO4I.selectFrom(t0b, t0f), t1f = HI4I.selectFrom(t0b, t0f);
        IntVector t1c = LO4I.selectFrom(t0c, t0g), t1g = HI4I.selectFrom(t0c, t0g);
        IntVector t1d = LO4I.selectFrom(t0d, t0h), t1h = HI4I.selectFrom(t0d, t0h);
        IntVector t1i = LO4I.selectFrom(t0i, t0m), t1m = HI4I.selectFrom(t0i, t0m);
        IntVector t1j = LO4I.selectFrom(t0j, t0n), t1n = HI4I.selectFrom(t0j, t0n);
        IntVector t1k = LO4I.selectFrom(t0k, t0o), t1o = HI4I.selectFrom(t0k, t0o);
        IntVector t1l = LO4I.selectFrom(t0l, t0p), t1p = HI4I.selectFrom(t0l, t0p);
        IntVector t2a = LO2I.selectFrom(t1a, t1c), t2c = HI2I.selectFrom(t1a, t1c);
        IntVector t2b = LO2I.selectFrom(t1b, t1d), t2d = HI2I.selectFrom(t1b, t1d);
        IntVector t2e = LO2I.selectFrom(t1e, t1g), t2g = HI2I.selectFrom(t1e, t1g);
        IntVector t2f = LO2I.selectFrom(t1f, t1h), t2h = HI2I.selectFrom(t1f, t1h);
        IntVector t2i = LO2I.selectFrom(t1i, t1k), t2k = HI2I.selectFrom(t1i, t1k);
        IntVector t2j = LO2I.selectFrom(t1j, t1l), t2l = HI2I.selectFrom(t1j, t1l);
        IntVector t2m = LO2I.selectFrom(t1m, t1o), t2o = HI2I.selectFrom(t1m, t1o);
        IntVector t2n = LO2I.selectFrom(t1n, t1p), t2p = HI2I.selectFrom(t1n, t1p);
        IntVector t3a = LO1I.selectFrom(t2a, t2b), t3b = HI1I.selectFrom(t2a, t2b);
        IntVector t3c = LO1I.selectFrom(t2c, t2d), t3d = HI1I.selectFrom(t2c, t2d);
        IntVector t3e = LO1I.selectFrom(t2e, t2f), t3f = HI1I.selectFrom(t2e, t2f);
        IntVector t3g = LO1I.selectFrom(t2g, t2h), t3h = HI1I.selectFrom(t2g, t2h);
        IntVector t3i = LO1I.selectFrom(t2i, t2j), t3j = HI1I.selectFrom(t2i, t2j);
        IntVector t3k = LO1I.selectFrom(t2k, t2l), t3l = HI1I.selectFrom(t2k, t2l);
        IntVector t3m = LO1I.selectFrom(t2m, t2n), t3n = HI1I.selectFrom(t2m, t2n);
        IntVector t3o = LO1I.selectFrom(t2o, t2p), t3p = HI1I.selectFrom(t2o, t2p);
        int o = dOff;
        t3a.intoArray(dst, o);
        t3b.intoArray(dst, o + dStride);
        t3c.intoArray(dst, o + 2 * dStride);
        t3d.intoArray(dst, o + 3 * dStride);
        t3e.intoArray(dst, o + 4 * dStride);
        t3f.intoArray(dst, o + 5 * dStride);
        t3g.intoArray(dst, o + 6 * dStride);
        t3h.intoArray(dst, o + 7 * dStride);
        t3i.intoArray(dst, o + 8 * dStride);
        t3j.intoArray(dst, o + 9 * dStride);
        t3k.intoArray(dst, o + 10 * dStride);
        t3l.intoArray(dst, o + 11 * dStride);
        t3m.intoArray(dst, o + 12 * dStride);
        t3n.intoArray(dst, o + 13 * dStride);
        t3o.intoArray(dst, o + 14 * dStride);
        t3p.intoArray(dst, o + 15 * dStride);
    }
}
