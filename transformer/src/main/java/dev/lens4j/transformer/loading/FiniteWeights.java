package dev.lens4j.transformer.loading;

import dev.lens4j.tensor.Shapes;
import dev.lens4j.tensor.matmul.StorageType;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Locale;

/**
 * The check that every weight a checkpoint holds is finite: a NaN or an infinity in a weight turns
 * every activation it reaches into NaN, and an analysis of such a model prints numbers that mean
 * nothing (a NaN norm shows as 0 where NaN entries are skipped). Refused by default at load time,
 * naming the file, the tensor and the first bad element; {@link LoadOptions#allowingNonFiniteWeights()}
 * loads them anyway, for debugging the checkpoint.
 */
final class FiniteWeights {

    private static final ValueLayout.OfFloat FLOAT_LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort SHORT_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private FiniteWeights() {}

    /** A source of float32 values by flat row-major index. */
    @FunctionalInterface
    private interface Values {
        float get(long index);
    }

    /**
     * @param file the file that holds the tensor, for the message
     * @param name the tensor's name in the file
     * @param shape its shape
     * @param data its values, row-major, from {@code offset}
     * @param offset index of the first value in {@code data}
     * @throws CheckpointFormatException naming file, tensor and the first non-finite value's index
     */
    static void require(String file, String name, int[] shape, float[] data, int offset) throws CheckpointFormatException {
        long n = Shapes.numel(shape);
        for (int i = 0; i < n; i++) {
            if (!Float.isFinite(data[offset + i])) {
                throw refusal(file, name, shape, i, k -> data[offset + (int) k]);
            }
        }
    }

    /**
     * @param file the file that holds the tensor, for the message
     * @param name the tensor's name in the file
     * @param shape its shape
     * @param type how the values are stored
     * @param data its values, little-endian, row-major
     * @throws CheckpointFormatException naming file, tensor and the first non-finite value's index
     */
    static void require(String file, String name, int[] shape, StorageType type, MemorySegment data) throws CheckpointFormatException {
        long n = data.byteSize() / type.bytes();
        if (type == StorageType.F32) {
            for (long i = 0; i < n; i++) {
                if (!Float.isFinite(data.getAtIndex(FLOAT_LE, i))) {
                    throw refusal(file, name, shape, i, k -> data.getAtIndex(FLOAT_LE, k));
                }
            }
            return;
        }
        // a 16-bit value is NaN or infinite exactly when its exponent bits are all ones
        int exponent = type == StorageType.BF16 ? 0x7F80 : 0x7C00;
        for (long i = 0; i < n; i++) {
            if ((data.getAtIndex(SHORT_LE, i) & exponent) == exponent) {
                throw refusal(file, name, shape, i, k -> type.widen(data.getAtIndex(SHORT_LE, k)));
            }
        }
    }

    /** The error for a tensor whose first non-finite value is at flat index {@code first}; counts them all. */
    private static CheckpointFormatException refusal(String file, String name, int[] shape, long first, Values values) {
        long n = Shapes.numel(shape);
        long nan = 0, posInf = 0, negInf = 0;
        for (long i = first; i < n; i++) {
            float v = values.get(i);
            if (Float.isNaN(v)) {
                nan++;
            } else if (v == Float.POSITIVE_INFINITY) {
                posInf++;
            } else if (v == Float.NEGATIVE_INFINITY) {
                negInf++;
            }
        }
        long total = nan + posInf + negInf;
        return new CheckpointFormatException(file, String.format(Locale.ROOT,
                "tensor \"%s\" %s holds %s at %s (flat index %d), the first of %,d non-finite values (%,d NaN, %,d +inf, "
                        + "%,d -inf) among %,d; lens4j refuses weights that are not finite (LoadOptions.allowingNonFiniteWeights() "
                        + "loads them, to debug the checkpoint)",
                name, Shapes.str(shape), describe(values.get(first)), index(shape, first), first, total, nan, posInf, negInf, n));
    }

    private static String describe(float v) {
        return Float.isNaN(v) ? "NaN" : v > 0 ? "+inf" : "-inf";
    }

    /** A flat row-major index as a multi-index, {@code [i, j, ...]}. */
    static String index(int[] shape, long flat) {
        long[] idx = new long[shape.length];
        long rest = flat;
        for (int d = shape.length - 1; d >= 0; d--) {
            idx[d] = shape[d] == 0 ? 0 : rest % shape[d];
            rest = shape[d] == 0 ? rest : rest / shape[d];
        }
        StringBuilder s = new StringBuilder("[");
        for (int d = 0; d < idx.length; d++) {
            s.append(d == 0 ? "" : ", ").append(idx[d]);
        }
        return s.append(']').toString();
    }
}
