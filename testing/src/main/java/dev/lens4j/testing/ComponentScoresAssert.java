package dev.lens4j.testing;

import org.assertj.core.api.AbstractAssert;

/**
 * Assertions on computed {@link ComponentScores}: that a component's score passes a bound or that it
 * ranks first. A failure says what was measured, how the component compares and which components
 * score highest.
 *
 * <pre>{@code
 * ComponentScores dla = Measurements.directLogitAttribution(model, probe);
 * assertThatScores(dla.heads()).ranksFirst("L1H2");
 * // expected L1H2 to rank first by direct logit attribution on the repeated half, but it ranked 3rd
 * // with 2.31; top: L1H0 4.02, L1H3 3.15, L1H2 2.31
 * }</pre>
 */
public final class ComponentScoresAssert extends AbstractAssert<ComponentScoresAssert, ComponentScores> {

    ComponentScoresAssert(ComponentScores actual) {
        super(actual, ComponentScoresAssert.class);
    }

    /**
     * The component's score is above a bound (exclusive).
     *
     * @param label a component label
     * @param threshold the bound, exclusive
     * @return this
     */
    public ComponentScoresAssert hasValueAbove(String label, double threshold) {
        isNotNull();
        check(Claims.above(actual, label, threshold));
        return this;
    }

    /**
     * The head's score is above a bound (exclusive).
     *
     * @param head a head
     * @param threshold the bound, exclusive
     * @return this
     */
    public ComponentScoresAssert hasValueAbove(Head head, double threshold) {
        return hasValueAbove(head.label(), threshold);
    }

    /**
     * The component's score is below a bound (exclusive).
     *
     * @param label a component label
     * @param threshold the bound, exclusive
     * @return this
     */
    public ComponentScoresAssert hasValueBelow(String label, double threshold) {
        isNotNull();
        check(Claims.below(actual, label, threshold));
        return this;
    }

    /**
     * The head's score is below a bound (exclusive).
     *
     * @param head a head
     * @param threshold the bound, exclusive
     * @return this
     */
    public ComponentScoresAssert hasValueBelow(Head head, double threshold) {
        return hasValueBelow(head.label(), threshold);
    }

    /**
     * Passes when every other component scores strictly lower: a tie for first does not pass (a head
     * tied with the others at zero is not the largest), nor does a NaN value.
     *
     * @param label a component label
     * @return this
     */
    public ComponentScoresAssert ranksFirst(String label) {
        isNotNull();
        check(Claims.ranksFirst(actual, label));
        return this;
    }

    /**
     * Every other component scores strictly lower than the head (a tie for first does not pass).
     *
     * @param head a head
     * @return this
     */
    public ComponentScoresAssert ranksFirst(Head head) {
        return ranksFirst(head.label());
    }

    /**
     * Passes when fewer than {@code k} other components score as high or higher (ties count against
     * the claim; a NaN value never passes).
     *
     * @param label a component label
     * @param k how many places count, at least 1
     * @return this
     */
    public ComponentScoresAssert ranksAmongTop(String label, int k) {
        isNotNull();
        check(Claims.amongTop(actual, label, k, Messages::num));
        return this;
    }

    /**
     * Fewer than {@code k} other components score as high as the head or higher.
     *
     * @param head a head
     * @param k how many places count, at least 1
     * @return this
     */
    public ComponentScoresAssert ranksAmongTop(Head head, int k) {
        return ranksAmongTop(head.label(), k);
    }

    /**
     * Passes when at least one component scores above the bound.
     *
     * @param threshold the bound, exclusive
     * @return this
     */
    public ComponentScoresAssert hasSomeValueAbove(double threshold) {
        isNotNull();
        check(Claims.someAbove(actual, threshold, ""));
        return this;
    }

    private void check(String failure) {
        if (failure != null) {
            failWithMessage("%s", failure);
        }
    }
}
