package dev.lens4j.testing;

import dev.lens4j.analysis.heads.RepeatedTokens;
import dev.lens4j.transformer.HookedTransformer;
import org.assertj.core.api.AbstractAssert;

/**
 * Assertions about one attention head of a model: what its attention patterns look like on
 * repeated random tokens, what its weights do, how much the model's output depends on it.
 *
 * <pre>{@code
 * assertThatHead(model, 0, 1).hasPreviousTokenScoreAbove(0.5)
 *                            .hasPositionalPreviousTokenScoreAbove(0.5);
 * assertThatHead(model, 1, 2).hasInductionScoreAbove(0.5)
 *                            .hasCopyingScoreAbove(0.5)
 *                            .logitAttributionRanksFirst();
 * assertThatHead(model, 0, 1).whenAblated().raisesLossBy(atLeast(1.0));
 * }</pre>
 *
 * <p>Scores on activations are measured on {@link RepeatedTokens#forModel(HookedTransformer)}
 * unless {@link #on(RepeatedTokens)} says otherwise; {@link Measurements} documents each score.
 */
public final class HeadAssert extends AbstractAssert<HeadAssert, HookedTransformer> {

    private final Head head;
    private RepeatedTokens probe;

    HeadAssert(HookedTransformer model, Head head) {
        super(model, HeadAssert.class);
        if (model == null) {
            throw new IllegalArgumentException("assertThatHead needs a model, got null");
        }
        Measurements.checkHead(model.config(), head.layer(), head.head());
        this.head = head;
    }

    /**
     * Measures on other repeated random tokens than the model's default probe.
     *
     * @param sequences the repeated random tokens to measure scores on
     * @return this
     */
    public HeadAssert on(RepeatedTokens sequences) {
        this.probe = sequences;
        return this;
    }

    private RepeatedTokens probe() {
        if (probe == null) {
            probe = RepeatedTokens.forModel(actual);
        }
        return probe;
    }

    /**
     * The head's {@link Measurements#inductionScores induction score} (the share of its attention on
     * induction targets, over the queries that have one) is above a bound. Fails for a head in layer
     * 0, whatever its score: an induction head's keys read which token came before, which only a
     * head of an earlier layer writes into the residual stream (a layer-0 head that attends a fixed
     * distance back can score high on a probe whose copies sit a fixed distance apart).
     *
     * @param threshold the bound, exclusive
     * @return this
     */
    public HeadAssert hasInductionScoreAbove(double threshold) {
        ComponentScores s = Measurements.inductionScores(actual, probe());
        return check(head.layer() == 0 ? firstLayer(s, "to have an induction score above " + Messages.num(threshold))
                : Claims.above(s, head.label(), threshold));
    }

    /** The failure of an induction claim about a layer-0 head. */
    private String firstLayer(ComponentScores s, String claim) {
        return "expected " + head.label() + " " + claim + ", but it is in layer 0, so it cannot be an induction head: an induction "
                + "head's keys read which token came before, and only a head of an earlier layer writes that into the residual "
                + "stream (its " + s.measure() + " was " + Messages.num(s.value(head.label())) + ")" + Claims.details(s);
    }

    /**
     * The head's induction score is below a bound: it is not an induction head.
     *
     * @param threshold the bound, exclusive
     * @return this
     */
    public HeadAssert hasInductionScoreBelow(double threshold) {
        return check(Claims.below(Measurements.inductionScores(actual, probe()), head.label(), threshold));
    }

    /**
     * Every other head has a lower induction score (a tie does not pass). Fails for a head in layer
     * 0, as {@link #hasInductionScoreAbove} does.
     *
     * @return this
     */
    public HeadAssert ranksFirstByInductionScore() {
        ComponentScores s = Measurements.inductionScores(actual, probe());
        return check(head.layer() == 0 ? firstLayer(s, "to rank first by induction score") : Claims.ranksFirst(s, head.label()));
    }

    /**
     * The head's {@link Measurements#previousTokenScores previous-token score}
     * ({@code detect_head("previous_token_head", "mul")}) is above a bound.
     *
     * @param threshold the bound, exclusive
     * @return this
     */
    public HeadAssert hasPreviousTokenScoreAbove(double threshold) {
        return check(Claims.above(Measurements.previousTokenScores(actual, probe()), head.label(), threshold));
    }

    /**
     * The head's previous-token score is below a bound: it is not a previous-token head.
     *
     * @param threshold the bound, exclusive
     * @return this
     */
    public HeadAssert hasPreviousTokenScoreBelow(double threshold) {
        return check(Claims.below(Measurements.previousTokenScores(actual, probe()), head.label(), threshold));
    }

    /**
     * Every other head has a lower previous-token score (a tie does not pass).
     *
     * @return this
     */
    public HeadAssert ranksFirstByPreviousTokenScore() {
        return check(Claims.ranksFirst(Measurements.previousTokenScores(actual, probe()), head.label()));
    }

    /**
     * The head's {@link Measurements#duplicateTokenScores duplicate-token score} is above a bound.
     *
     * @param threshold the bound, exclusive
     * @return this
     */
    public HeadAssert hasDuplicateTokenScoreAbove(double threshold) {
        return check(Claims.above(Measurements.duplicateTokenScores(actual, probe()), head.label(), threshold));
    }

    /**
     * The head's TransformerLens {@code detect_head} score ("mul") for a named pattern is above a bound.
     *
     * @param patternName {@code "previous_token_head"}, {@code "duplicate_token_head"} or {@code "induction_head"}
     * @param threshold the bound, exclusive
     * @return this
     */
    public HeadAssert hasDetectHeadScoreAbove(String patternName, double threshold) {
        return check(Claims.above(Measurements.detectHeadScores(actual, probe(), patternName), head.label(), threshold));
    }

    /**
     * The head's {@link Measurements#copyingScores OV copying score} is above a bound.
     *
     * @param threshold the bound, exclusive
     * @return this
     */
    public HeadAssert hasCopyingScoreAbove(double threshold) {
        return check(Claims.above(Measurements.copyingScores(actual), head.label(), threshold));
    }

    /**
     * The head's {@link Measurements#positionalPreviousTokenScores positional previous-token score}
     * over the probe's positions is above a bound: its QK circuit alone, on positional embeddings
     * scaled as its LayerNorm scales the residual stream, attends to the previous position.
     *
     * @param threshold the bound, exclusive
     * @return this
     */
    public HeadAssert hasPositionalPreviousTokenScoreAbove(double threshold) {
        return check(Claims.above(Measurements.positionalPreviousTokenScores(actual, probe()), head.label(), threshold));
    }

    /**
     * Every other head's {@link Measurements#directLogitAttribution direct logit attribution} to the
     * correct next token on the repeated half is lower (a tie, at zero say, does not pass).
     *
     * @return this
     */
    public HeadAssert logitAttributionRanksFirst() {
        return logitAttributionRanksAmongTop(1);
    }

    /**
     * Fewer than {@code k} other heads have a direct logit attribution on the repeated half as high or higher.
     *
     * @param k how many places count, at least 1
     * @return this
     */
    public HeadAssert logitAttributionRanksAmongTop(int k) {
        ComponentScores heads = Measurements.directLogitAttribution(actual, probe()).heads();
        return check(Claims.amongTop(heads, head.label(), k, Messages::num));
    }

    /**
     * Claims about zero-ablating this head ({@code hook_z}), measured on the same probe.
     *
     * @return the ablation's assertions
     */
    public AblationAssert whenAblated() {
        return AblationAssert.ofHead(actual, head, probe());
    }

    private HeadAssert check(String failure) {
        if (failure != null) {
            failWithMessage("%s", failure);
        }
        return this;
    }
}
