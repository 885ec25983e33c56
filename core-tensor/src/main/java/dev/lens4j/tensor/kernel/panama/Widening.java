package dev.lens4j.tensor.kernel.panama;

import dev.lens4j.tensor.matmul.MatrixOperand;
import dev.lens4j.tensor.matmul.StorageType;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vectors of a {@link MatrixOperand}'s storage as float32, whatever its {@link StorageType}: float32 as
 * it is, 16-bit elements widened exactly in registers. Shared by the GEMM packing and the GEMV.
 */
final class Widening {

    /** The preferred float species (16 lanes with AVX-512, 8 with AVX2). */
    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    static final int L = S.length();
    /** Ints of the same width as S, and the 16-bit lanes that widen to them. */
    private static final VectorSpecies<Integer> I = IntVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Short> H = VectorSpecies.of(short.class, VectorShape.forBitSize(L * Short.SIZE));

    private Widening() {}

    /**
     * L consecutive elements of b's storage from element index {@code idx}, as float32.
     *
     * @param b the operand (any storage and type)
     * @param idx element index into its storage (not a row or column)
     * @return the elements, widened
     */
    static FloatVector load(MatrixOperand b, long idx) {
        float[] array = b.array();
        if (array != null) {
            return FloatVector.fromArray(S, array, (int) idx);
        }
        StorageType type = b.type();
        if (type == StorageType.F32) {
            return FloatVector.fromMemorySegment(S, b.segment(), idx * Float.BYTES, ByteOrder.LITTLE_ENDIAN);
        }
        short[] halves = b.halves();
        ShortVector bits = halves != null ? ShortVector.fromArray(H, halves, (int) idx)
                : ShortVector.fromMemorySegment(H, b.segment(), idx * 2, ByteOrder.LITTLE_ENDIAN);
        return type == StorageType.BF16 ? bf16ToFloat(bits) : halfToFloat(bits);
    }

    /** bfloat16 bits to float32: the bits, zero-extended, shifted into the top half. */
    static FloatVector bf16ToFloat(ShortVector bits) {
        return ((IntVector) bits.convertShape(VectorOperators.ZERO_EXTEND_S2I, I, 0)).lanewise(VectorOperators.LSHL, 16)
                .reinterpretAsFloats();
    }

    /**
     * IEEE half bits to float32, exactly: for a normal number the exponent is rebiased (+112) and the
     * mantissa shifted up by 13; an infinity or NaN (exponent 31) gets exponent 255; zeros and
     * subnormals (exponent 0) are {@code mantissa * 2^-24}, computed exactly in float32. The sign is
     * carried over. (The Vector API has no half-to-float conversion.)
     */
    static FloatVector halfToFloat(ShortVector bits) {
        IntVector h = (IntVector) bits.convertShape(VectorOperators.ZERO_EXTEND_S2I, I, 0);
        IntVector sign = h.and(0x8000).lanewise(VectorOperators.LSHL, 16);
        IntVector exp = h.and(0x7c00);
        IntVector mant = h.and(0x03ff);
        IntVector normal = h.and(0x7fff).lanewise(VectorOperators.LSHL, 13).add(112 << 23);
        IntVector special = mant.lanewise(VectorOperators.LSHL, 13).or(0x7f800000);
        IntVector magnitude = normal.blend(special, exp.compare(VectorOperators.EQ, 0x7c00));
        FloatVector sub = ((FloatVector) mant.convert(VectorOperators.I2F, 0)).mul(0x1p-24f);
        FloatVector value = magnitude.reinterpretAsFloats().blend(sub, exp.compare(VectorOperators.EQ, 0).cast(S));
        return value.reinterpretAsInts().or(sign).reinterpretAsFloats();
    }
}
