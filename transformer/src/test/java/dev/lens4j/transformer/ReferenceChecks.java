package dev.lens4j.transformer;

import dev.lens4j.tensor.Shapes;
import dev.lens4j.tensor.Tensor;
import dev.lens4j.tensor.io.SafetensorsFile;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The comparison of lens4j's float32 values with float64-derived references, for every reference
 * test: {@code |java - ref| <= REL * max(|ref|, FLOOR)} elementwise, equal infinities match, with the
 * largest differences printed per tensor (llm.c style). See {@link ReferenceForwardTest} for why the
 * floor.
 */
public final class ReferenceChecks {

    /** Relative tolerance, for {@code |ref| >= FLOOR}. */
    static final double REL = 1e-5;

    /** The magnitude of the terms every value is a sum of; below it the tolerance is absolute, {@code REL * FLOOR}. */
    static final double FLOOR = 1.0;

    private ReferenceChecks() {}

    /**
     * Asserts a tensor equals its reference within {@code 1e-5 max(|ref|, 1)} elementwise.
     *
     * @param name what is compared, for the message
     * @param actual lens4j's value
     * @param expected the reference
     */
    public static void check(String name, Tensor actual, Tensor expected) {
        assertThat(actual.shape()).as(name + " shape").containsExactly(expected.shape());
        float[] a = actual.toArray();
        float[] b = expected.toArray();
        double maxAbs = 0, maxRel = 0;
        int worst = -1, outside = 0;
        double worstExcess = 0;
        for (int i = 0; i < a.length; i++) {
            if (a[i] == b[i]) {
                continue;
            }
            double diff = Math.abs((double) a[i] - b[i]);
            double bound = REL * Math.max(Math.abs((double) b[i]), FLOOR);
            if (!(diff <= bound)) { // NaN fails too
                outside++;
                double excess = Double.isNaN(diff) ? Double.POSITIVE_INFINITY : diff / bound;
                if (worst < 0 || excess > worstExcess) {
                    worst = i;
                    worstExcess = excess;
                }
            }
            maxAbs = Math.max(maxAbs, diff);
            if (Math.abs(b[i]) >= FLOOR) {
                maxRel = Math.max(maxRel, diff / Math.abs(b[i]));
            }
        }
        String stats = String.format(java.util.Locale.ROOT, "max abs diff %.3e, max rel diff %.3e (|ref| >= %.0f)", maxAbs, maxRel, FLOOR);
        System.out.printf(java.util.Locale.ROOT, "  %-36s %s%n", name, stats);
        assertThat(outside).as(name + Shapes.str(expected.shape()) + ": " + outside + " element(s) outside "
                + REL + " * max(|ref|, " + FLOOR + ")" + (worst < 0 ? "" : "; worst, element " + worst + ": " + a[worst]
                + ", reference " + b[worst]) + "; " + stats).isZero();
    }

    /**
     * Asserts {@code |actual - expected| <= rel * max|expected| + floor} elementwise: a tolerance
     * relative to the tensor's scale, for values (such as gradients of a mean loss) far smaller than 1,
     * where the absolute floor of {@link #check} would say little; {@code floor} covers tensors that
     * are zero but for rounding (Qwen3's q/k norms make the query's ln1 scale irrelevant, so its
     * gradient is rounding noise of 1e-7 in both libraries).
     *
     * @param name what is compared, for the message
     * @param actual lens4j's value
     * @param expected the reference
     * @param rel the tolerance relative to the largest reference value
     * @param floor an absolute tolerance added to it
     */
    public static void checkScaled(String name, Tensor actual, Tensor expected, double rel, double floor) {
        assertThat(actual.shape()).as(name + " shape").containsExactly(expected.shape());
        float[] a = actual.toArray();
        float[] b = expected.toArray();
        double scale = 0;
        for (float v : b) {
            scale = Math.max(scale, Math.abs(v));
        }
        double worst = 0;
        int at = -1;
        for (int i = 0; i < a.length; i++) {
            double d = Math.abs((double) a[i] - b[i]);
            if (!(d <= worst) || Double.isNaN(d)) {
                worst = Double.isNaN(d) ? Double.POSITIVE_INFINITY : d;
                at = i;
            }
        }
        double bound = rel * scale + floor;
        System.out.printf(java.util.Locale.ROOT, "  %-44s max |diff| / max |ref| = %.2e%n", name, scale == 0 ? worst : worst / scale);
        assertThat(worst <= bound).as(name + Shapes.str(expected.shape()) + ": max |diff| " + worst
                + " above " + rel + " x max |ref| " + scale + (at < 0 ? "" : " at element " + at + ": " + a[at] + ", reference " + b[at]))
                .isTrue();
    }

    /**
     * A tensor of a reference file, copied to the heap.
     *
     * @param f the file
     * @param name the tensor
     * @return the tensor
     */
    public static Tensor read(SafetensorsFile f, String name) {
        return Tensor.of(f.readFloats(name), f.info(name).shape());
    }

    /**
     * An integer tensor {@code [rows, cols]} of a reference file (token ids, masks).
     *
     * @param f the file
     * @param name the tensor
     * @return the values
     */
    public static int[][] ints(SafetensorsFile f, String name) {
        float[] v = f.readFloats(name);
        int[] shape = f.info(name).shape();
        int[][] out = new int[shape[0]][shape[1]];
        for (int i = 0; i < shape[0]; i++) {
            for (int j = 0; j < shape[1]; j++) {
                out[i][j] = (int) v[i * shape[1] + j];
            }
        }
        return out;
    }
}
