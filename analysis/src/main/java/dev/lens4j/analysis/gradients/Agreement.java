package dev.lens4j.analysis.gradients;

import dev.lens4j.tensor.Shapes;
import dev.lens4j.tensor.Tensor;

import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;

/**
 * How well estimates agree with measured values, entry by entry: the Pearson correlation, and how
 * many of the {@code k} entries of largest magnitude the two share. This is how lens4j compares
 * {@link AttributionPatching} with real activation patching, and EAP-IG with exact edge scores.
 *
 * <pre>{@code
 * Tensor estimated = ap.headOutAllPos();                                         // [n_layers, n_heads]
 * Tensor measured = patching.headOutAllPos().sub(patching.corruptedMetric());    // the real changes
 * Agreement a = Agreement.of(estimated, measured, 3);   // a.correlation(), a.sharedTopK() of 3
 * }</pre>
 *
 * @param correlation Pearson's correlation over all entries (NaN when either side is constant)
 * @param sharedTopK how many of the {@code k} largest-magnitude entries of one are among the other's
 * @param k the {@code k} of {@code sharedTopK}
 * @param size the number of entries compared
 */
public record Agreement(double correlation, int sharedTopK, int k, int size) {

    /**
     * Compares two tensors of one shape.
     *
     * @param estimated the estimates
     * @param measured the measured values
     * @param k how many of the largest-magnitude entries to compare (at most the number of entries)
     * @return the agreement
     * @throws IllegalArgumentException if the shapes differ or {@code k} is out of range
     */
    public static Agreement of(Tensor estimated, Tensor measured, int k) {
        if (!Arrays.equals(estimated.shape(), measured.shape())) {
            throw new IllegalArgumentException("cannot compare estimates " + Shapes.str(estimated.shape()) + " with measurements "
                    + Shapes.str(measured.shape()));
        }
        float[] x = estimated.contiguous().toArray(), y = measured.contiguous().toArray();
        if (k < 1 || k > x.length) {
            throw new IllegalArgumentException("k must be in [1, " + x.length + "], got " + k);
        }
        double mx = 0, my = 0;
        for (int i = 0; i < x.length; i++) {
            mx += x[i];
            my += y[i];
        }
        mx /= x.length;
        my /= y.length;
        double sxy = 0, sxx = 0, syy = 0;
        for (int i = 0; i < x.length; i++) {
            sxy += (x[i] - mx) * (y[i] - my);
            sxx += (x[i] - mx) * (x[i] - mx);
            syy += (y[i] - my) * (y[i] - my);
        }
        Set<Integer> top = top(x, k);
        top.retainAll(top(y, k));
        return new Agreement(sxy / Math.sqrt(sxx * syy), top.size(), k, x.length);
    }

    /** The indices of the {@code k} largest magnitudes, ties in index order. */
    private static Set<Integer> top(float[] v, int k) {
        Integer[] idx = new Integer[v.length];
        Arrays.setAll(idx, i -> i);
        Arrays.sort(idx, (a, b) -> Float.compare(Math.abs(v[b]), Math.abs(v[a])));
        return new HashSet<>(Arrays.asList(idx).subList(0, k));
    }

    @Override
    public String toString() {
        return String.format(java.util.Locale.ROOT, "correlation %.2f, top %d shared %d (of %d entries)", correlation, k, sharedTopK, size);
    }
}
