package dev.lens4j.testing;

/**
 * A bound on a measured change, such as "at least 1.0" in
 * {@code ablating(head(1, 2)).raisesLossBy(atLeast(1.0))}. Build one with
 * {@link LensAssertions#atLeast}, {@link LensAssertions#atMost} or {@link LensAssertions#between}.
 *
 * @param low the smallest accepted value (inclusive), or {@code -inf}
 * @param high the largest accepted value (inclusive), or {@code +inf}
 */
public record Bound(double low, double high) {

    /** Checks that the bound accepts something. */
    public Bound {
        if (Double.isNaN(low) || Double.isNaN(high) || low > high) {
            throw new IllegalArgumentException("bound [" + low + ", " + high + "] is empty");
        }
    }

    /**
     * Returns true when {@code low <= value <= high}; false for NaN.
     *
     * @param value a measured value
     * @return true when {@code low <= value <= high}; false for NaN
     */
    public boolean accepts(double value) {
        return value >= low && value <= high;
    }

    /**
     * The bound as failure messages state it.
     *
     * @return {@code "at least 1.00"}, {@code "at most 0.100"} or {@code "between 0.500 and 2.00"}
     */
    @Override
    public String toString() {
        if (high == Double.POSITIVE_INFINITY) {
            return "at least " + Messages.num(low);
        }
        if (low == Double.NEGATIVE_INFINITY) {
            return "at most " + Messages.num(high);
        }
        return "between " + Messages.num(low) + " and " + Messages.num(high);
    }
}
