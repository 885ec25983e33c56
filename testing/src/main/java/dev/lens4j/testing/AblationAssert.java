package dev.lens4j.testing;

import dev.lens4j.analysis.heads.RepeatedTokens;
import dev.lens4j.analysis.interventions.Ablation;
import dev.lens4j.hooks.HookSpec;
import dev.lens4j.transformer.HookedTransformer;
import org.assertj.core.api.AbstractAssert;

import java.util.ArrayList;
import java.util.List;

/**
 * Assertions about what an ablation does to the loss on the repeated half of repeated random
 * tokens ({@link Measurements#repeatedHalfLoss}).
 *
 * <pre>{@code
 * assertThatModel(model).ablating(head(0, 1)).raisesLossBy(atLeast(1.0));
 * assertThatModel(model).ablating("mean-ablating L1H2", Ablation.head(1, 2).meanOverBatch())
 *                       .raisesLossBy(atMost(0.1));
 * }</pre>
 *
 * <p>When a single head is ablated and the claim fails, the message lists the heads whose ablation
 * raises the loss most (every head of the model when it has at most {@value #ALL_HEADS_LIMIT},
 * otherwise the heads of the same layer), one forward pass each.
 */
public final class AblationAssert extends AbstractAssert<AblationAssert, HookedTransformer> {

    /** Models with at most this many heads list every head as competitors. */
    static final int ALL_HEADS_LIMIT = 64;

    private final String what;
    private final HookSpec[] hooks;
    private final Head head;
    private final RepeatedTokens probe;

    private AblationAssert(HookedTransformer model, String what, HookSpec[] hooks, Head head, RepeatedTokens probe) {
        super(model, AblationAssert.class);
        if (hooks.length == 0) {
            throw new IllegalArgumentException("an ablation needs at least one hook");
        }
        this.what = what;
        this.hooks = hooks.clone();
        this.head = head;
        this.probe = probe;
    }

    static AblationAssert ofHead(HookedTransformer model, Head head, RepeatedTokens probe) {
        Measurements.checkHead(model.config(), head.layer(), head.head());
        return new AblationAssert(model, "zero-ablating " + head.label(), new HookSpec[] {Ablation.head(head.layer(), head.head()).zero()},
                head, probe);
    }

    static AblationAssert of(HookedTransformer model, String what, HookSpec[] hooks, RepeatedTokens probe) {
        return new AblationAssert(model, what, hooks, null, probe);
    }

    /**
     * The ablation raises the loss on the repeated half by an amount within the bound (a fall is a
     * negative rise).
     *
     * @param bound e.g. {@code atLeast(1.0)} nats
     * @return this
     */
    public AblationAssert raisesLossBy(Bound bound) {
        float clean = Measurements.repeatedHalfLoss(actual, probe);
        float ablated = Measurements.repeatedHalfLoss(actual, probe, hooks);
        float rise = ablated - clean;
        if (bound.accepts(rise)) {
            return this;
        }
        String change = rise >= 0 ? "rose by " + Messages.num(rise) : "fell by " + Messages.num(-rise);
        StringBuilder m = new StringBuilder("expected ").append(what).append(" to raise the loss on the repeated half by ")
                .append(bound).append(" nats, but it ").append(change).append(" (").append(Messages.num(clean)).append(" -> ")
                .append(Messages.num(ablated)).append(')');
        if (head != null) {
            List<Head> heads = competitors();
            ComponentScores rises = Measurements.headAblationLossIncreases(actual, probe, heads);
            boolean all = heads.size() == actual.config().nLayers() * actual.config().nHeads();
            m.append("; top").append(all ? "" : " in layer " + head.layer()).append(": ")
                    .append(rises.describeTop(head.label(), Claims.TOP, Messages::signed));
        }
        m.append("\n(").append(Measurements.lossDetails(probe)).append(')');
        failWithMessage("%s", m.toString());
        return this;
    }

    private List<Head> competitors() {
        List<Head> all = Measurements.allHeads(actual.config());
        if (all.size() <= ALL_HEADS_LIMIT) {
            return all;
        }
        List<Head> layer = new ArrayList<>();
        for (Head h : all) {
            if (h.layer() == head.layer()) {
                layer.add(h);
            }
        }
        return layer;
    }
}
