package dev.lens4j.tensor.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class Float16Test {

    private static short bf16(float f) {
        return Float16.f32ToBf16(f);
    }

    private static float viaBf16(float f) {
        return Float16.bf16ToF32(Float16.f32ToBf16(f));
    }

    private static float viaF16(float f) {
        return Float16.f16ToF32(Float16.f32ToF16(f));
    }

    @Test
    void bf16RoundsTiesToEven() {
        // 1 + 2^-8 lies exactly between 1.0 (mantissa 0, even) and 1 + 2^-7 (mantissa 1, odd).
        assertThat(bf16(1.00390625f)).isEqualTo((short) 0x3F80);
        assertThat(viaBf16(1.00390625f)).isEqualTo(1.0f);
        // 1 + 3*2^-8 lies between 1 + 2^-7 (odd) and 1 + 2^-6 (even): up.
        assertThat(bf16(1.01171875f)).isEqualTo((short) 0x3F82);
        assertThat(viaBf16(1.01171875f)).isEqualTo(1.015625f);
        // Just above a tie rounds up, just below rounds down.
        assertThat(viaBf16(Math.nextUp(1.00390625f))).isEqualTo(1.0078125f);
        assertThat(viaBf16(Math.nextDown(1.01171875f))).isEqualTo(1.0078125f);
        // Signs are symmetric.
        assertThat(viaBf16(-1.00390625f)).isEqualTo(-1.0f);
        assertThat(viaBf16(-1.01171875f)).isEqualTo(-1.015625f);
        // A carry out of the mantissa moves to the next binade: 2 - 2^-9 rounds to 2.
        assertThat(viaBf16(1.998046875f)).isEqualTo(2.0f);
    }

    @Test
    void bf16SpecialValues() {
        assertThat(bf16(0f)).isEqualTo((short) 0x0000);
        assertThat(bf16(-0f)).isEqualTo((short) 0x8000);
        assertThat(bf16(Float.POSITIVE_INFINITY)).isEqualTo((short) 0x7F80);
        assertThat(bf16(Float.NEGATIVE_INFINITY)).isEqualTo((short) 0xFF80);
        // The largest float is past the largest bf16 (0x7F7F) by more than half an ulp: infinity.
        assertThat(bf16(Float.MAX_VALUE)).isEqualTo((short) 0x7F80);
        assertThat(Float16.bf16ToF32((short) 0x7F7F)).isEqualTo(0x1.FEp127f);
        assertThat(bf16(0x1.FEp127f)).isEqualTo((short) 0x7F7F);
        // Subnormal floats round like everything else; bf16's smallest subnormal is 2^-133.
        assertThat(bf16(Float.MIN_VALUE)).isEqualTo((short) 0x0000); // 2^-149 < half of 2^-133
        assertThat(bf16(0x1p-133f)).isEqualTo((short) 0x0001);
        // NaN stays NaN, keeps its sign, and becomes quiet even when only low payload bits were set
        // (plain truncation would turn 0x7F800001 into infinity).
        assertThat(bf16(Float.NaN)).isEqualTo((short) 0x7FC0);
        assertThat(Float.isNaN(Float16.bf16ToF32(bf16(Float.intBitsToFloat(0x7F800001))))).isTrue();
        assertThat(bf16(Float.intBitsToFloat(0xFF800001))).isEqualTo((short) 0xFFC0);
    }

    @Test
    void bf16MatchesNearestEvenOracleOnRandomAndTieInputs() {
        SplittableRandom r = new SplittableRandom(7);
        for (int k = 0; k < 200_000; k++) {
            int bits = r.nextInt();
            if (k % 2 == 1) {
                bits = (bits & 0xFFFF_0000) | 0x8000; // exact ties
            }
            float f = Float.intBitsToFloat(bits);
            if (Float.isNaN(f)) {
                continue;
            }
            assertThat(bf16(f)).as("bits %08x", bits).isEqualTo(nearestEvenBf16(f));
        }
    }

    /** Independent oracle: pick the closer of the two bf16 neighbours in double arithmetic (exact here). */
    private static short nearestEvenBf16(float f) {
        int bits = Float.floatToRawIntBits(f);
        int down = bits >>> 16;          // truncation: toward zero
        int up = down + 1;               // next bf16 away from zero (may be infinity)
        double lo = Float.intBitsToFloat(down << 16);
        double hi = Float.intBitsToFloat(up << 16);
        double dLo = Math.abs(f - lo);
        double dHi = Math.abs(hi - f);
        if (Double.isInfinite(hi)) {
            dHi = Math.abs(Math.scalb((double) Math.signum(f), 128) - f); // infinity counts as 2^128 for rounding
        }
        int pick = dLo < dHi ? down : dHi < dLo ? up : ((down & 1) == 0 ? down : up);
        return (short) pick;
    }

    @Test
    void bf16ToF32IsExactForEveryPattern() {
        for (int b = 0; b < 65536; b++) {
            float f = Float16.bf16ToF32((short) b);
            if (!Float.isNaN(f)) {
                assertThat(Float.floatToRawIntBits(f)).isEqualTo(b << 16);
                assertThat(bf16(f)).isEqualTo((short) b); // exact values survive the round trip
            }
        }
    }

    @Test
    void f16HandComputedValues() {
        assertThat(Float16.f32ToF16(65504f)).isEqualTo((short) 0x7BFF); // largest half
        assertThat(Float16.f16ToF32((short) 0x7BFF)).isEqualTo(65504f);
        assertThat(viaF16(65519f)).isEqualTo(65504f);        // below the 65520 midpoint
        assertThat(Float16.f32ToF16(65520f)).isEqualTo((short) 0x7C00); // midpoint to "65536": infinity
        assertThat(Float16.f32ToF16(1f)).isEqualTo((short) 0x3C00);
        assertThat(Float16.f32ToF16(-2f)).isEqualTo((short) 0xC000);
        assertThat(viaF16(1f + 0x1p-11f)).isEqualTo(1f);     // tie, 1.0 is even
        assertThat(viaF16(1f + 0x1.8p-10f)).isEqualTo(1f + 0x1p-9f); // tie, rounds up to even
        // Subnormals: 2^-24 is the smallest, 2^-14 the smallest normal.
        assertThat(Float16.f16ToF32((short) 0x0001)).isEqualTo(0x1p-24f);
        assertThat(Float16.f16ToF32((short) 0x03FF)).isEqualTo(1023 * 0x1p-24f);
        assertThat(Float16.f16ToF32((short) 0x0400)).isEqualTo(0x1p-14f);
        assertThat(Float16.f32ToF16(0x1p-24f)).isEqualTo((short) 0x0001);
        assertThat(Float16.f32ToF16(0x1p-25f)).isEqualTo((short) 0x0000);   // tie with 0: even
        assertThat(Float16.f32ToF16(0x1.8p-24f)).isEqualTo((short) 0x0002); // tie: even
        assertThat(Float16.f32ToF16(-0f)).isEqualTo((short) 0x8000);
        assertThat(Float16.f16ToF32((short) 0x7C00)).isEqualTo(Float.POSITIVE_INFINITY);
        assertThat(Float16.f16ToF32((short) 0xFC00)).isEqualTo(Float.NEGATIVE_INFINITY);
        assertThat(Float16.f16ToF32((short) 0x7E00)).isNaN();
        assertThat(viaF16(Float.NaN)).isNaN();
        assertThat(Float16.f32ToF16(Float.POSITIVE_INFINITY)).isEqualTo((short) 0x7C00);
    }

    @Test
    void bulkConversionsMatchScalarOnOddSizesAndUnalignedOffsets() {
        SplittableRandom r = new SplittableRandom(11);
        for (int n : new int[] {0, 1, 13, 207, 8191, 8192, 8193, 20_001}) {
            float[] src = new float[n];
            for (int k = 0; k < n; k++) {
                src[k] = (float) (r.nextGaussian() * 100);
            }
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment seg = arena.allocate(2L * n + 3);
                Float16.f32ToF16(src, 0, seg, 3, n);
                float[] back = new float[n + 2];
                Float16.f16ToF32(seg, 3, back, 2, n);
                for (int k = 0; k < n; k++) {
                    short h = seg.get(ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 3 + 2L * k);
                    assertThat(h).isEqualTo(Float16.f32ToF16(src[k]));
                    assertThat(back[k + 2]).isEqualTo(Float16.f16ToF32(h));
                }

                Float16.f32ToBf16(src, 0, seg, 1, n);
                Float16.bf16ToF32(seg, 1, back, 1, n);
                for (int k = 0; k < n; k++) {
                    short b = seg.get(ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 1 + 2L * k);
                    assertThat(b).isEqualTo(Float16.f32ToBf16(src[k]));
                    assertThat(back[k + 1]).isEqualTo(Float16.bf16ToF32(b));
                }
            }
        }
    }

    @Test
    void bulkConversionsCheckBounds() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment seg = arena.allocate(8);
            assertThatThrownBy(() -> Float16.f16ToF32(seg, 0, new float[3], 0, 5))
                    .isInstanceOf(IndexOutOfBoundsException.class);
            assertThatThrownBy(() -> Float16.bf16ToF32(seg, 2, new float[4], 0, 4))
                    .isInstanceOf(IndexOutOfBoundsException.class);
            assertThatThrownBy(() -> Float16.f32ToBf16(new float[2], 1, seg, 0, 2))
                    .isInstanceOf(IndexOutOfBoundsException.class);
        }
    }

    @Test
    void float8TablesMatchTheFormats() {
        // E4M3FN: bias 7, largest 448 = 1.75 * 2^8, NaN only at S.1111.111, subnormals m * 2^-9.
        assertThat(Float8.E4M3[0x7E]).isEqualTo(448f);
        assertThat(Float8.E4M3[0xFE]).isEqualTo(-448f);
        assertThat(Float8.E4M3[0x7F]).isNaN();
        assertThat(Float8.E4M3[0x78]).isEqualTo(256f); // e=15, m=0 is a normal number, not infinity
        assertThat(Float8.E4M3[0x38]).isEqualTo(1f);
        assertThat(Float8.E4M3[0x01]).isEqualTo(0x1p-9f);
        assertThat(Float8.E4M3[0x08]).isEqualTo(0x1p-6f);
        assertThat(Float8.E4M3[0x80]).isEqualTo(-0f);
        // E5M2: the top byte of a half.
        assertThat(Float8.E5M2[0x3C]).isEqualTo(1f);
        assertThat(Float8.E5M2[0x7B]).isEqualTo(57344f);
        assertThat(Float8.E5M2[0x7C]).isEqualTo(Float.POSITIVE_INFINITY);
        assertThat(Float8.E5M2[0x7D]).isNaN();
        assertThat(Float8.E5M2[0x01]).isEqualTo(0x1p-16f);
        // E8M0: 2^(e-127).
        assertThat(Float8.E8M0[127]).isEqualTo(1f);
        assertThat(Float8.E8M0[128]).isEqualTo(2f);
        assertThat(Float8.E8M0[0]).isEqualTo(0x1p-127f);
        assertThat(Float8.E8M0[254]).isEqualTo(0x1p127f);
        assertThat(Float8.E8M0[255]).isNaN();
    }
}
