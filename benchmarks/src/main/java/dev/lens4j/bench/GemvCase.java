package dev.lens4j.bench;

import dev.lens4j.tensor.matmul.MatrixOperand;
import dev.lens4j.tensor.matmul.StorageType;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.SplittableRandom;

/**
 * Operands of one GEMV, {@code out[rows, n] = x[rows, k] W[k, n]}, with W stored as float32 or as a
 * 16-bit type, row-major or as the transpose of a row-major {@code [n, k]} (the tied unembedding
 * {@code W_E^T}); and a check of a sample of the result against a double-precision reference.
 */
final class GemvCase {

    final int rows;
    final int k;
    final int n;
    /** {@code [k, n]}. */
    final MatrixOperand w;
    /** {@code [rows, k]}. */
    final float[] x;
    /** {@code [rows, n]}. */
    final float[] out;

    /**
     * @param shape {@code k x n}, with a trailing {@code T} for a transposed W
     * @param type how W is stored
     * @param rows rows of x
     */
    GemvCase(String shape, StorageType type, int rows) {
        this(shape, type, rows, "heap");
    }

    /**
     * @param shape {@code k x n}, with a trailing {@code T} for a transposed W
     * @param type how W is stored
     * @param rows rows of x
     * @param storage where a 16-bit W lives: {@code heap} (a {@code short[]}) or {@code native} (off-heap
     *     memory, as a memory-mapped checkpoint's is)
     * @throws IllegalArgumentException for another storage
     */
    GemvCase(String shape, StorageType type, int rows, String storage) {
        if (!storage.equals("heap") && !storage.equals("native")) {
            throw new IllegalArgumentException("storage must be heap or native, not " + storage);
        }
        boolean offHeap = storage.equals("native");
        boolean transposed = shape.endsWith("T");
        String[] d = shape.replace("T", "").split("x");
        this.rows = rows;
        k = Integer.parseInt(d[0]);
        n = Integer.parseInt(d[1]);
        SplittableRandom rnd = new SplittableRandom(42);
        int size = k * n;
        MatrixOperand rowMajor;
        if (type == StorageType.F32) {
            rowMajor = transposed ? MatrixOperand.rowMajor(MatmulBenchmark.GemmCase.random(rnd, size), 0, n, k)
                    : MatrixOperand.rowMajor(MatmulBenchmark.GemmCase.random(rnd, size), 0, k, n);
        } else {
            short[] bits = new short[size];
            for (int i = 0; i < size; i++) {
                float v = (float) (rnd.nextDouble() * 2 - 1);
                bits[i] = type == StorageType.BF16 ? (short) (Float.floatToRawIntBits(v) >>> 16) : Float.floatToFloat16(v);
            }
            if (offHeap) {
                MemorySegment seg = Arena.ofAuto().allocate(2L * size, 64);
                ValueLayout.OfShort le = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
                MemorySegment.copy(bits, 0, seg, le, 0, size);
                rowMajor = transposed ? MatrixOperand.of(type, seg, 0, n, k) : MatrixOperand.of(type, seg, 0, k, n);
            } else {
                rowMajor = transposed ? MatrixOperand.of(type, bits, 0, n, k) : MatrixOperand.of(type, bits, 0, k, n);
            }
        }
        w = transposed ? rowMajor.transpose() : rowMajor;
        x = MatmulBenchmark.GemmCase.random(rnd, rows * k);
        out = new float[rows * n];
    }

    /** @return the bytes of W a product reads */
    long bytes() {
        return w.storedBytes();
    }

    /** Recomputes sampled elements in double precision; fails unless they agree within 1e-5 sqrt(k) of sum |x| |w|. */
    void checkSample(int samples) {
        SplittableRandom rnd = new SplittableRandom(7);
        for (int s = 0; s < samples; s++) {
            int r = rnd.nextInt(rows), j = rnd.nextInt(n);
            double ref = 0, mag = 0;
            for (int p = 0; p < k; p++) {
                double v = (double) x[r * k + p] * w.get(p, j);
                ref += v;
                mag += Math.abs(v);
            }
            if (Math.abs(out[r * n + j] - ref) > 1e-5 * Math.sqrt(k) * mag) {
                throw new IllegalStateException("gemv " + k + "x" + n + ": out[" + r + ", " + j + "] = " + out[r * n + j]
                        + " but the reference is " + ref);
            }
        }
    }
}
