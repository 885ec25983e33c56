package dev.lens4j.tensor.kernel.panama;

import dev.lens4j.tensor.matmul.MatrixOperand;
import dev.lens4j.tensor.matmul.StorageType;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vectors of a {@link MatrixOperand}'s storage as float32, whatever its {@link StorageType}: float32 as
 * it is, bfloat16 widened exactly in registers, half precision by a plain loop of
 * {@link Float#float16ToFloat} that C2 compiles to the CPU's conversion instruction ({@code vcvtph2ps}, a
 * vector at a time, where the CPU has F16C): the Vector API has no half-to-float conversion, and the exact
 * one this class built from integer operations widened 12-13 GB/s of halves on a Zen 4 core against the
 * loop's 37-38. Shared by the GEMM packing and the GEMV.
 */
final class Widening {

    /** The preferred float species (16 lanes with AVX-512, 8 with AVX2). */
    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    static final int L = S.length();
    /** Ints of the same width as S, and the 16-bit lanes that widen to them. */
    private static final VectorSpecies<Integer> I = IntVector.SPECIES_PREFERRED;
    static final VectorSpecies<Short> H = VectorSpecies.of(short.class, VectorShape.forBitSize(L * Short.SIZE));
    /** 16 half-precision steps of k, one from each int of a transposed row of pairs ({@link #halfPairsToRows}). */
    private static final VectorSpecies<Short> HALF_ROW = ShortVector.SPECIES_256;

    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort S16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private Widening() {}

    /**
     * Widens {@code count} consecutive elements of b's storage, from element index {@code idx}, into
     * {@code dst[dOff ..]}. One small loop per kind of storage, chosen before the loop: a single loop
     * that loads from every kind compiles too big for C2 to inline where it is called, and then each
     * vector it returns is boxed (a bfloat16 GEMV ran slower than the float32 one that way).
     *
     * @param b the operand (any storage and type)
     * @param idx element index into its storage of the first element
     * @param count number of consecutive elements
     * @param dst the output
     * @param dOff index of the first output
     */
    static void widen(MatrixOperand b, long idx, int count, float[] dst, int dOff) {
        float[] array = b.array();
        if (array != null) {
            System.arraycopy(array, (int) idx, dst, dOff, count);
            return;
        }
        StorageType type = b.type();
        if (type == StorageType.F32) {
            MemorySegment.copy(b.segment(), F32, idx * Float.BYTES, dst, dOff, count);
            return;
        }
        short[] halves = b.halves();
        boolean bf16 = type == StorageType.BF16;
        int full = count / L * L;
        if (halves != null) {
            int s = (int) idx;
            if (bf16) {
                for (int i = 0; i < full; i += L) {
                    bf16ToFloat(ShortVector.fromArray(H, halves, s + i)).intoArray(dst, dOff + i);
                }
                for (int i = full; i < count; i++) {
                    dst[dOff + i] = type.widen(halves[s + i]);
                }
            } else {
                // C2 compiles this loop to the CPU's half-to-float instruction (vcvtph2ps, 16 at a time)
                for (int i = 0; i < count; i++) {
                    dst[dOff + i] = Float.float16ToFloat(halves[s + i]);
                }
            }
        } else {
            MemorySegment seg = b.segment();
            long s = idx * 2;
            if (bf16) {
                for (int i = 0; i < full; i += L) {
                    bf16ToFloat(ShortVector.fromMemorySegment(H, seg, s + 2L * i, ByteOrder.LITTLE_ENDIAN)).intoArray(dst, dOff + i);
                }
                for (int i = full; i < count; i++) {
                    dst[dOff + i] = type.widen(seg.get(S16, s + 2L * i));
                }
            } else {
                for (int i = 0; i < count; i++) {
                    dst[dOff + i] = Float.float16ToFloat(seg.get(S16, s + 2L * i));
                }
            }
        }
    }

    /** bfloat16 bits to float32: the bits, zero-extended, shifted into the top half. */
    static FloatVector bf16ToFloat(ShortVector bits) {
        return ((IntVector) bits.convertShape(VectorOperators.ZERO_EXTEND_S2I, I, 0)).lanewise(VectorOperators.LSHL, 16)
                .reinterpretAsFloats();
    }

    /**
     * Widens 16 rows of 16 ints, each two half-precision steps of k (the first in the low half), into 32
     * rows of float32 in order of k: row {@code 2i} of {@code t32} the low halves of row i, row {@code 2i + 1}
     * the high halves. The halves are split apart and narrowed to shorts as vectors, then widened by a plain
     * {@link Float#float16ToFloat} loop over {@code halves}, which C2 compiles to the CPU's conversion
     * instruction a vector at a time (the Vector API has none; the same loop over ints cast to short is not
     * vectorised, and ran 8 times slower). Used by the GEMV and the GEMM's packing on a mapped
     * half-precision {@code [out, in]} weight, after {@link Transpose16#transposePairs}; only for 16 lanes.
     *
     * @param pairT the 16 x 16 transposed ints
     * @param halves scratch of 512 shorts
     * @param t32 the 32 x 16 floats out
     */
    static void halfPairsToRows(int[] pairT, short[] halves, float[] t32) {
        for (int i = 0; i < L; i++) {
            IntVector pair = IntVector.fromArray(IntVector.SPECIES_512, pairT, i * L);
            pair.convertShape(VectorOperators.I2S, HALF_ROW, 0).reinterpretAsShorts().intoArray(halves, 2 * i * L);
            pair.lanewise(VectorOperators.LSHR, 16).convertShape(VectorOperators.I2S, HALF_ROW, 0).reinterpretAsShorts()
                    .intoArray(halves, (2 * i + 1) * L);
        }
        for (int i = 0; i < 2 * L * L; i++) {
            t32[i] = Float.float16ToFloat(halves[i]);
        }
    }
}
