package dev.lens4j.testing;

import dev.lens4j.analysis.circuits.CompositionScores;
import dev.lens4j.transformer.HookedTransformer;
import org.assertj.core.api.AbstractAssert;

import java.util.Locale;

/**
 * Assertions about how an earlier head's output composes into a later head's queries, keys or
 * values, by TransformerLens's composition score ({@link Measurements#compositionInto}).
 *
 * <pre>{@code
 * assertThatComposition(model, CompositionScores.Mode.K).from(0, 1).to(1, 2)
 *         .beatsRandomBaselineBy(2.0)
 *         .ranksFirst();
 * }</pre>
 */
public final class CompositionAssert extends AbstractAssert<CompositionAssert, HookedTransformer> {

    private final CompositionScores.Mode mode;
    private Head from;
    private Head to;

    CompositionAssert(HookedTransformer model, CompositionScores.Mode mode) {
        super(model, CompositionAssert.class);
        if (model == null || mode == null) {
            throw new IllegalArgumentException("assertThatComposition needs a model and a mode");
        }
        this.mode = mode;
    }

    /**
     * Names the earlier head, whose OV circuit writes.
     *
     * @param layer the earlier head's layer
     * @param head the earlier head
     * @return this
     */
    public CompositionAssert from(int layer, int head) {
        Measurements.checkHead(actual.config(), layer, head);
        this.from = new Head(layer, head);
        return this;
    }

    /**
     * Names the later head, whose queries, keys or values read.
     *
     * @param layer the later head's layer
     * @param head the later head
     * @return this
     */
    public CompositionAssert to(int layer, int head) {
        Measurements.checkHead(actual.config(), layer, head);
        this.to = new Head(layer, head);
        return this;
    }

    private ComponentScores scores() {
        if (from == null || to == null) {
            throw new IllegalStateException("say which heads: assertThatComposition(model, mode).from(layer, head).to(layer, head)");
        }
        if (from.layer() >= to.layer()) {
            throw new IllegalArgumentException("composition goes from an earlier layer to a later one, but " + from + " is not below " + to);
        }
        return Measurements.compositionInto(actual, mode, to.layer(), to.head());
    }

    /**
     * The composition score is at least {@code factor} times TransformerLens's random baseline
     * ({@link Measurements#compositionBaseline}).
     *
     * @param factor how many times the baseline, e.g. 2.0
     * @return this
     */
    public CompositionAssert beatsRandomBaselineBy(double factor) {
        ComponentScores s = scores();
        float baseline = Measurements.compositionBaseline(actual);
        float v = s.value(from.label());
        if (v >= factor * baseline) {
            return this;
        }
        String times = String.format(Locale.ROOT, "%.2fx", v / baseline);
        failWithMessage("%s", "expected the " + mode + "-composition score of " + from + " into " + to + " to beat the random baseline "
                + Messages.num(baseline) + " by a factor of at least " + Messages.num(factor) + ", but it was " + Messages.num(v) + ", "
                + times + " the baseline; top " + mode + "-composition into " + to + ": "
                + s.describeTop(from.label(), Claims.TOP, x -> Messages.num(x) + String.format(Locale.ROOT, " (%.2fx)", x / baseline))
                + Claims.details(s));
        return this;
    }

    /**
     * The composition score is above a bound.
     *
     * @param threshold the bound, exclusive
     * @return this
     */
    public CompositionAssert hasScoreAbove(double threshold) {
        ComponentScores s = scores();
        float v = s.value(from.label());
        if (!(v > threshold)) {
            failWithMessage("%s", "expected the " + mode + "-composition score of " + from + " into " + to + " to be above "
                    + Messages.num(threshold) + ", but it was " + Messages.num(v) + "; top " + mode + "-composition into " + to + ": "
                    + s.describeTop(from.label(), Claims.TOP, Messages::num) + Claims.details(s));
        }
        return this;
    }

    /**
     * No other head of the earlier layers composes more strongly into the later head.
     *
     * @return this
     */
    public CompositionAssert ranksFirst() {
        return check(Claims.ranksFirst(scores(), from.label()));
    }

    private CompositionAssert check(String failure) {
        if (failure != null) {
            failWithMessage("%s", failure);
        }
        return this;
    }
}
