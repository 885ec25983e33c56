package dev.lens4j.tensor.matmul;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

/** Operands and checks shared by the GEMM tests. */
final class GemmFixtures {

    static final ValueLayout.OfFloat F32_LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfShort S16_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private GemmFixtures() {}

    static float[] random(SplittableRandom rnd, int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) (rnd.nextDouble() * 2 - 1);
        }
        return x;
    }

    /** How an operand is laid out in memory. */
    enum Layout {
        /** dense row-major */
        ROW_MAJOR,
        /** the transpose of a dense row-major matrix (unit row stride) */
        TRANSPOSED,
        /** a window of a wider row-major matrix: row stride larger than the width */
        WINDOW,
        /** neither stride is 1 */
        STRIDED
    }

    /**
     * A {@code [rows, cols]} operand with the given layout over fresh random heap data, or over a
     * native segment of {@code arena} when it is not null.
     */
    static MatrixOperand operand(SplittableRandom rnd, int rows, int cols, Layout layout, Arena arena) {
        int lead = 3; // unused elements before (0, 0), so offsets are exercised too
        long rs, cs, size;
        switch (layout) {
            case ROW_MAJOR -> { rs = cols; cs = 1; size = (long) rows * cols; }
            case TRANSPOSED -> { rs = 1; cs = rows; size = (long) rows * cols; }
            case WINDOW -> { rs = cols + 5; cs = 1; size = (long) rows * (cols + 5); }
            case STRIDED -> { rs = 2L * cols + 1; cs = 2; size = (long) rows * (2L * cols + 1); }
            default -> throw new AssertionError(layout);
        }
        float[] data = random(rnd, (int) (lead + size + 7));
        if (arena == null) {
            return new MatrixOperand(data, null, lead, rows, cols, rs, cs);
        }
        MemorySegment seg = arena.allocate((long) data.length * Float.BYTES, 64);
        MemorySegment.copy(data, 0, seg, F32_LE, 0, data.length);
        return new MatrixOperand(null, seg, lead, rows, cols, rs, cs);
    }

    /**
     * The same {@code [rows, cols]} matrix twice: stored as 16-bit {@code type} (heap {@code short[]},
     * or a native segment of {@code arena} when it is not null), and as the float32 matrix of its
     * exactly widened values, with the same layout. Values are random, rounded to the 16-bit type.
     *
     * @return {16-bit operand, float32 operand}
     */
    static MatrixOperand[] halfOperand(SplittableRandom rnd, int rows, int cols, Layout layout, StorageType type, Arena arena) {
        MatrixOperand f = operand(rnd, rows, cols, layout, null);
        float[] data = f.array();
        short[] bits = new short[data.length];
        float[] widened = new float[data.length];
        for (int i = 0; i < data.length; i++) {
            bits[i] = type == StorageType.BF16 ? (short) (Float.floatToRawIntBits(data[i]) >>> 16) : Float.floatToFloat16(data[i]);
            widened[i] = type.widen(bits[i]);
        }
        MatrixOperand wide = new MatrixOperand(widened, null, f.offset(), rows, cols, f.rowStride(), f.colStride());
        if (arena == null) {
            return new MatrixOperand[] {
                new MatrixOperand(null, null, f.offset(), rows, cols, f.rowStride(), f.colStride(), bits, type), wide};
        }
        MemorySegment seg = arena.allocate(2L * bits.length, 64);
        MemorySegment.copy(bits, 0, seg, S16_LE, 0, bits.length);
        return new MatrixOperand[] {
            new MatrixOperand(null, seg, f.offset(), rows, cols, f.rowStride(), f.colStride(), null, type), wide};
    }

    /** @return {@code C0 (+ if accumulate) A B} in double precision, row-major {@code [m, n]} */
    static double[] reference(MatrixOperand a, MatrixOperand b, float[] c0, int cOff, int ldc, boolean accumulate) {
        int m = a.rows(), n = b.cols(), k = a.cols();
        double[] ref = new double[m * n];
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                ref[i * n + j] = accumulate ? c0[cOff + i * ldc + j] : 0;
            }
            for (int p = 0; p < k; p++) {
                double x = a.get(i, p);
                for (int j = 0; j < n; j++) {
                    ref[i * n + j] += x * b.get(p, j);
                }
            }
        }
        return ref;
    }

    /** @return {@code sum_p |A[i,p]| |B[p,j]|} for every (i, j), the scale of the rounding error */
    static double[] magnitude(MatrixOperand a, MatrixOperand b) {
        int m = a.rows(), n = b.cols(), k = a.cols();
        double[] mag = new double[m * n];
        for (int i = 0; i < m; i++) {
            for (int p = 0; p < k; p++) {
                double x = Math.abs(a.get(i, p));
                for (int j = 0; j < n; j++) {
                    mag[i * n + j] += x * Math.abs(b.get(p, j));
                }
            }
        }
        return mag;
    }

    /**
     * Checks {@code C[m, n]} (at {@code cOff}, {@code ldc}) against the double-precision reference
     * with a tolerance of {@code 1e-5 sqrt(k)} relative to {@code sum |a| |b|} (plus |C0|).
     */
    static void assertClose(float[] c, int cOff, int ldc, double[] ref, double[] mag, float[] c0, boolean accumulate,
                            int m, int n, int k, String what) {
        double rel = 1e-5 * Math.sqrt(Math.max(1, k));
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double scale = mag[i * n + j] + (accumulate ? Math.abs(c0[cOff + i * ldc + j]) : 0) + 1e-30;
                double err = Math.abs(c[cOff + i * ldc + j] - ref[i * n + j]);
                if (err > rel * scale) {
                    assertThat(err).as("%s: C[%d, %d] = %s, reference %s", what, i, j, c[cOff + i * ldc + j],
                            ref[i * n + j]).isLessThanOrEqualTo(rel * scale);
                }
            }
        }
    }

    /** Checks that two arrays hold bitwise the same floats. */
    static void assertBitIdentical(float[] actual, float[] expected, String what) {
        assertThat(actual.length).isEqualTo(expected.length);
        for (int i = 0; i < actual.length; i++) {
            if (Float.floatToRawIntBits(actual[i]) != Float.floatToRawIntBits(expected[i])) {
                assertThat(actual[i]).as("%s: element %d", what, i).isEqualTo(expected[i]);
            }
        }
    }
}
