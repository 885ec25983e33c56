package dev.lens4j.tensor.io;

/**
 * Decoding tables for the 8-bit float types safetensors knows ({@link DType#F8_E5M2},
 * {@link DType#F8_E4M3}, {@link DType#F8_E8M0}); each of the 256 codes maps to its exact float32 value.
 */
final class Float8 {

    private Float8() {}

    /** E5M2: bias 15, IEEE-like with infinities and NaNs; it is the top byte of an IEEE half. */
    static final float[] E5M2 = new float[256];
    /** E4M3FN: bias 7, no infinities, only {@code S.1111.111} is NaN, largest finite 448. */
    static final float[] E4M3 = new float[256];
    /** E8M0: unsigned power of two 2^(e-127), {@code 0xFF} is NaN, no zero. */
    static final float[] E8M0 = new float[256];

    static {
        for (int b = 0; b < 256; b++) {
            E5M2[b] = Float.float16ToFloat((short) (b << 8));

            float sign = (b & 0x80) != 0 ? -1f : 1f;
            int e = (b >>> 3) & 0xf;
            int m = b & 0x7;
            if (e == 0xf && m == 0x7) {
                E4M3[b] = Float.NaN;
            } else if (e == 0) {
                E4M3[b] = sign * m * 0x1p-9f; // subnormal: 2^(1-7) * m/8
            } else {
                E4M3[b] = sign * (1f + m / 8f) * Math.scalb(1f, e - 7);
            }

            E8M0[b] = b == 0xff ? Float.NaN : b == 0 ? 0x1p-127f : Float.intBitsToFloat(b << 23);
        }
    }
}
