package dev.lens4j.testing;

import dev.lens4j.analysis.heads.RepeatedTokens;
import dev.lens4j.analysis.interventions.Ablation;
import dev.lens4j.hooks.HookSpec;
import dev.lens4j.transformer.HookedTransformer;
import org.assertj.core.api.AbstractAssert;

import java.util.ArrayList;
import java.util.List;

/**
 * Assertions about a whole model on repeated random tokens: that it does induction, that it has
 * heads of a kind, what ablations do.
 *
 * <pre>{@code
 * assertThatModel(model)
 *         .hasRepeatedHalfLossBelow(1.0)
 *         .hasRepeatedHalfLossLowerThanFirstHalfBy(atLeast(2.0))
 *         .hasHeadWithInductionScoreAbove(0.5);
 * assertThatModel(model).ablating(head(0, 1)).raisesLossBy(atLeast(1.0));
 * }</pre>
 */
public final class ModelAssert extends AbstractAssert<ModelAssert, HookedTransformer> {

    private RepeatedTokens probe;

    ModelAssert(HookedTransformer model) {
        super(model, ModelAssert.class);
        if (model == null) {
            throw new IllegalArgumentException("assertThatModel needs a model, got null");
        }
    }

    /**
     * Measures on other repeated random tokens than the model's default probe.
     *
     * @param sequences the repeated random tokens to measure on
     * @return this
     */
    public ModelAssert on(RepeatedTokens sequences) {
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
     * The {@link Measurements#repeatedHalfLoss loss on the repeated half} is below a bound.
     *
     * @param nats the bound, exclusive
     * @return this
     */
    public ModelAssert hasRepeatedHalfLossBelow(double nats) {
        float loss = Measurements.repeatedHalfLoss(actual, probe());
        if (!(loss < nats)) {
            failWithMessage("%s", "expected the loss on the repeated half to be below " + Messages.num(nats) + " nats, but it was "
                    + Messages.num(loss) + " (first half: " + Messages.num(Measurements.firstHalfLoss(actual, probe())) + ")"
                    + "\n(" + Measurements.lossDetails(probe()) + ")");
        }
        return this;
    }

    /**
     * The loss on the repeated half is lower than on the first copy by an amount within the bound:
     * the model predicts tokens better once it has seen them (in-context learning by induction).
     *
     * @param bound e.g. {@code atLeast(2.0)} nats
     * @return this
     */
    public ModelAssert hasRepeatedHalfLossLowerThanFirstHalfBy(Bound bound) {
        float first = Measurements.firstHalfLoss(actual, probe());
        float repeated = Measurements.repeatedHalfLoss(actual, probe());
        float gain = first - repeated;
        if (!bound.accepts(gain)) {
            failWithMessage("%s", "expected the loss on the repeated half to be lower than on the first half by " + bound
                    + " nats, but it was lower by " + Messages.num(gain) + " (" + Messages.num(first) + " -> " + Messages.num(repeated) + ")"
                    + "\n(" + Measurements.lossDetails(probe()) + "; the first half is the same positions of the first copy)");
        }
        return this;
    }

    /**
     * Some head after the first layer has an {@link Measurements#inductionScores induction score} above a
     * bound. Layer-0 heads are not candidates (an induction head reads which token came before from
     * an earlier layer's output), so this fails for a one-layer model.
     *
     * @param threshold the bound, exclusive
     * @return this
     */
    public ModelAssert hasHeadWithInductionScoreAbove(double threshold) {
        ComponentScores all = Measurements.inductionScores(actual, probe());
        int layers = actual.config().nLayers();
        if (layers < 2) {
            failWithMessage("%s", "expected some head of " + actual.config().modelName() + " to have an induction score above "
                    + Messages.num(threshold) + ", but it has one layer, so no head can be an induction head: an induction head's "
                    + "keys read which token came before, and only a head of an earlier layer writes that into the residual stream"
                    + Claims.details(all));
            return this;
        }
        return check(Claims.someAbove(all.filter(l -> !l.startsWith("L0H")), threshold,
                " in layers 1 to " + (layers - 1) + " of " + actual.config().modelName()));
    }

    /**
     * Some head's {@link Measurements#previousTokenScores previous-token score} is above a bound.
     *
     * @param threshold the bound, exclusive
     * @return this
     */
    public ModelAssert hasHeadWithPreviousTokenScoreAbove(double threshold) {
        return check(Claims.someAbove(Measurements.previousTokenScores(actual, probe()), threshold, " of " + actual.config().modelName()));
    }

    /**
     * Switches to assertions about one head of the model, on the same probe.
     *
     * @param layer the layer
     * @param head the head
     * @return assertions about that head, on this assertion's probe
     */
    public HeadAssert head(int layer, int head) {
        return new HeadAssert(actual, new Head(layer, head)).on(probe());
    }

    /**
     * Claims about zero-ablating one head ({@code hook_z}).
     *
     * @param head the head, e.g. {@code head(1, 2)}
     * @return the ablation's assertions
     */
    public AblationAssert ablating(Head head) {
        return AblationAssert.ofHead(actual, head, probe());
    }

    /**
     * Claims about zero-ablating several heads together.
     *
     * @param heads the heads
     * @return the ablation's assertions
     */
    public AblationAssert ablatingHeads(Head... heads) {
        if (heads.length == 0) {
            throw new IllegalArgumentException("name at least one head to ablate");
        }
        List<HookSpec> hooks = new ArrayList<>();
        List<String> names = new ArrayList<>();
        for (Head h : heads) {
            Measurements.checkHead(actual.config(), h.layer(), h.head());
            hooks.add(Ablation.head(h.layer(), h.head()).zero());
            names.add(h.label());
        }
        return AblationAssert.of(actual, "zero-ablating " + String.join(", ", names), hooks.toArray(HookSpec[]::new), probe());
    }

    /**
     * Claims about any intervention given as hooks (mean or resample ablation, a patch, ...).
     *
     * @param description how the failure message names it, e.g. {@code "mean-ablating L1H2"}
     * @param hooks the hooks of the ablated run
     * @return the ablation's assertions
     */
    public AblationAssert ablating(String description, HookSpec... hooks) {
        return AblationAssert.of(actual, description, hooks, probe());
    }

    private ModelAssert check(String failure) {
        if (failure != null) {
            failWithMessage("%s", failure);
        }
        return this;
    }
}
