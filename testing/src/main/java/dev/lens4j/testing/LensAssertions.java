package dev.lens4j.testing;

import dev.lens4j.analysis.circuits.CompositionScores;
import dev.lens4j.transformer.HookedTransformer;

/**
 * Entry points of lens4j's AssertJ-style assertions for interpretability claims. Import them
 * statically next to AssertJ's:
 *
 * <pre>{@code
 * import static dev.lens4j.testing.LensAssertions.*;
 *
 * assertThatHead(model, 1, 2).hasInductionScoreAbove(0.5).logitAttributionRanksFirst();
 * assertThatHead(model, 0, 1).hasPreviousTokenScoreAbove(0.5);
 * assertThatModel(model).ablating(head(0, 1)).raisesLossBy(atLeast(1.0));
 * assertThatComposition(model, CompositionScores.Mode.K).from(0, 1).to(1, 2).beatsRandomBaselineBy(2.0);
 * assertThatScores(Measurements.directLogitAttribution(model, probe).heads()).ranksFirst("L1H2");
 * }</pre>
 *
 * <p>A failed claim throws an {@link AssertionError} whose message says what was measured, how it
 * compares with the bound, and which components come top, for example: "expected L1H2 to rank
 * first by direct logit attribution on the repeated half, but it ranked 3rd with 2.31; top: L1H0
 * 4.02, L1H3 3.15, L1H2 2.31", followed by a line saying how it was measured.
 */
public final class LensAssertions {

    private LensAssertions() {}

    /**
     * Starts assertions about a whole model.
     *
     * @param model the model
     * @return assertions about the model
     */
    public static ModelAssert assertThatModel(HookedTransformer model) {
        return new ModelAssert(model);
    }

    /**
     * Starts assertions about one attention head.
     *
     * @param model the model
     * @param layer the head's layer
     * @param head the head's index in its layer
     * @return assertions about that head
     * @throws IllegalArgumentException if the model has no such head
     */
    public static HeadAssert assertThatHead(HookedTransformer model, int layer, int head) {
        return new HeadAssert(model, new Head(layer, head));
    }

    /**
     * Starts assertions about one attention head.
     *
     * @param model the model
     * @param head the head
     * @return assertions about that head
     */
    public static HeadAssert assertThatHead(HookedTransformer model, Head head) {
        return new HeadAssert(model, head);
    }

    /**
     * Starts assertions about how one head composes into a later one.
     *
     * @param model the model
     * @param mode Q, K or V composition
     * @return assertions about composition between two of its heads; name them with
     *     {@code from(layer, head)} and {@code to(layer, head)}
     */
    public static CompositionAssert assertThatComposition(HookedTransformer model, CompositionScores.Mode mode) {
        return new CompositionAssert(model, mode);
    }

    /**
     * Starts assertions about computed scores.
     *
     * @param scores computed scores, e.g. from {@link Measurements}
     * @return assertions about them
     */
    public static ComponentScoresAssert assertThatScores(ComponentScores scores) {
        return new ComponentScoresAssert(scores);
    }

    /**
     * Names a head.
     *
     * @param layer the layer
     * @param head the head's index in its layer
     * @return the head, e.g. for {@code ablating(head(1, 2))}
     */
    public static Head head(int layer, int head) {
        return new Head(layer, head);
    }

    /**
     * A lower bound.
     *
     * @param min the smallest accepted value
     * @return the bound {@code [min, +inf)}
     */
    public static Bound atLeast(double min) {
        return new Bound(min, Double.POSITIVE_INFINITY);
    }

    /**
     * An upper bound.
     *
     * @param max the largest accepted value
     * @return the bound {@code (-inf, max]}
     */
    public static Bound atMost(double max) {
        return new Bound(Double.NEGATIVE_INFINITY, max);
    }

    /**
     * A closed interval.
     *
     * @param min the smallest accepted value
     * @param max the largest accepted value
     * @return the bound {@code [min, max]}
     */
    public static Bound between(double min, double max) {
        return new Bound(min, max);
    }
}
