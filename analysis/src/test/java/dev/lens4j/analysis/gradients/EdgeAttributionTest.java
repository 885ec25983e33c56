package dev.lens4j.analysis.gradients;

import dev.lens4j.hooks.Hook;
import dev.lens4j.hooks.HookHandle;
import dev.lens4j.tensor.Tensor;
import dev.lens4j.transformer.Normalization;
import dev.lens4j.transformer.TransformerConfig;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/**
 * EAP, EAP-IG and circuits on the shipped induction model: identities every correct implementation
 * satisfies (completeness of the input's edges, the full and empty circuits, pruning), agreement with
 * the exact edge scores, and refusals. The numbers against the reference implementation are in
 * {@link EapIgReferenceTest}.
 */
class EdgeAttributionTest extends InductionProbeFixture {

    static EdgeScores ig;

    @BeforeAll
    static void load() {
        ig = EdgeAttribution.eapIg(model, clean, corrupted, metric, 10);
    }

    @Test
    void theGraphOfAnAttentionOnlyModelHasNoMlpNodes() {
        AttributionGraph g = ig.graph();
        assertThat(g.sources()).containsExactly("input", "a0.h0", "a0.h1", "a0.h2", "a0.h3", "a1.h0", "a1.h1", "a1.h2", "a1.h3");
        assertThat(g.destinations()).hasSize(25).startsWith("a0.h0<q>").contains("a1.h2<k>").endsWith("a1.h3<v>", "logits");
        assertThat(g.edgeCount()).isEqualTo(81);
        assertThat(g.isEdge(g.sourceIndex("a0.h2"), g.destinationIndex("a1.h0<k>"))).isTrue();
        assertThat(g.isEdge(g.sourceIndex("a0.h2"), g.destinationIndex("a0.h3<k>"))).isFalse();
        assertThat(g.isEdge(g.sourceIndex("a1.h3"), g.destinationIndex("logits"))).isTrue();
        assertThat(g.nodeOf(g.destinationIndex("a1.h2<v>"))).isEqualTo(g.sourceIndex("a1.h2"));
    }

    /**
     * Every reader of the residual stream is a destination, so the input's edges hold the whole gradient
     * of the token embedding: their scores sum to the integrated gradient of the embedding, which tends
     * to {@code metric(corrupted) - metric(clean)} as the steps grow (completeness).
     */
    @Test
    void theInputsEdgesAddUpToTheMetricChange() {
        EdgeScores fine = EdgeAttribution.eapIg(model, clean, corrupted, metric, 40);
        double change = fine.corruptedMetric() - fine.cleanMetric();
        assertThat(change).isLessThan(-1); // the corruption costs the repeated half much of its log-probability
        assertThat(inputSum(fine)).isCloseTo(change, within(0.05 * Math.abs(change)));
        // with one step it is the corrupted run's gradient alone: the linear estimate, far from the change
        assertThat(Math.abs(inputSum(EdgeAttribution.eapIg(model, clean, corrupted, metric, 1)) - change))
                .isGreaterThan(Math.abs(inputSum(fine) - change));
    }

    private static double inputSum(EdgeScores s) {
        double sum = 0;
        for (int d = 0; d < s.graph().destinations().size(); d++) {
            sum += s.score(0, d);
        }
        return sum;
    }

    /**
     * EAP-IG ranks the edges as corrupting each one alone does, closely enough that the five edges that
     * matter most agree: the bar is what the method reaches on an induction model, not the exact scores.
     */
    @Test
    void eapIgAgreesWithTheExactScores() {
        EdgeScores exact = EdgeAttribution.exact(model, clean, corrupted, metric::value);
        Agreement a = ig.agreementWith(exact, 5);
        assertThat(a.correlation()).as("%s", a).isGreaterThan(0.8);
        assertThat(a.sharedTopK()).as("%s", a).isGreaterThanOrEqualTo(3);
        assertThat(a.size()).isEqualTo(81);
        // plain EAP (the clean run's gradient) misses more: the corrupted-to-clean path is far from linear
        Agreement eap = EdgeAttribution.eap(model, clean, corrupted, metric).agreementWith(exact, 5);
        assertThat(eap.correlation()).as("EAP %s vs EAP-IG %s", eap, a).isLessThan(a.correlation());
        assertThat(exact.cleanMetric()).isCloseTo(ig.cleanMetric(), within(1e-5));
    }

    @Test
    void moreStepsConverge() {
        EdgeScores a = EdgeAttribution.eapIg(model, clean, corrupted, metric, 20);
        EdgeScores b = EdgeAttribution.eapIg(model, clean, corrupted, metric, 40);
        double largest = b.tensor().abs().max();
        assertThat((double) a.tensor().maxAbsDiff(b.tensor())).isLessThan(0.05 * largest);
        assertThat((double) ig.tensor().maxAbsDiff(b.tensor())).isLessThan(0.1 * largest);
    }

    @Test
    void theWholeGraphRestoresTheCleanMetricAndNoEdgeLeavesTheCorruptedOne() {
        AttributionGraph g = ig.graph();
        List<Circuit.Faithfulness> f = Circuit.evaluate(model, clean, corrupted, metric::value,
                List.of(Circuit.full(g), Circuit.topN(ig, 0), Circuit.topN(ig, g.edgeCount()), Circuit.topN(ig, 30)));
        assertThat(f.get(0).circuit()).isCloseTo(f.get(0).clean(), within(1e-4));
        assertThat(f.get(0).recovered()).isCloseTo(1, within(1e-4));
        assertThat(f.get(0).edges()).isEqualTo(81);
        assertThat(f.get(1).circuit()).isCloseTo(f.get(1).corrupted(), within(1e-4));
        assertThat(f.get(1).edges()).isZero();
        assertThat(f.get(2).circuit()).isCloseTo(f.get(0).circuit(), within(1e-5));
        // the 30 largest EAP-IG edges of 81 carry most of the induction circuit's effect
        assertThat(f.get(3).recovered()).as("%s", f.get(3)).isGreaterThan(0.8);
    }

    /** EAP-IG's Graph.prune: a node without a kept edge in, or without one out, goes with its edges. */
    @Test
    void circuitsArePrunedAsTheReferencePrunesThem() {
        AttributionGraph g = ig.graph();
        assertThat(Circuit.of(g, List.of("a1.h0->logits")).edgeCount()).isZero();            // a1.h0 has no input
        assertThat(Circuit.of(g, List.of("input->a0.h2<v>")).edgeCount()).isZero();          // a0.h2 has no output
        Circuit route = Circuit.of(g, List.of("input->a0.h2<v>", "a0.h2->a1.h0<k>", "a1.h0->logits", "a0.h1->a1.h3<k>"));
        assertThat(route.edgeNames()).containsExactly("input->a0.h2<v>", "a0.h2->a1.h0<k>", "a1.h0->logits");
        assertThat(route.nodeCount()).isEqualTo(3); // input, a0.h2, a1.h0 (a0.h1 has no input, a1.h3 no output)
        assertThat(route.containsNode(g.sourceIndex("a1.h3"))).isFalse();
        Circuit top = Circuit.threshold(ig, Math.abs(ig.top(6).getLast().score()));
        assertThat(top.edgeCount()).isLessThanOrEqualTo(6);
        assertThat(Circuit.topN(ig, 6).edgeNames()).isEqualTo(top.edgeNames());
        assertThatThrownBy(() -> Circuit.of(g, List.of("a1.h0->a0.h1<q>"))).hasMessageContaining("the graph has no edge a1.h0->a0.h1<q>");
        assertThatThrownBy(() -> Circuit.of(g, List.of("m0->logits"))).hasMessageContaining("no source node 'm0'");
        assertThatThrownBy(() -> Circuit.topN(ig, 82)).hasMessageContaining("the graph has 81");
        assertThatThrownBy(() -> ig.score("a0.h2->a0.h1<k>")).hasMessageContaining("a0.h2 does not come before a0.h1<k>");
    }

    /** A metric the layer-1 heads cannot reach: their inputs' gradient is zero, and EAP-IG says so. */
    @Test
    void destinationsTheMetricDoesNotDependOnAreReported() {
        try (HookHandle _ = model.hooks().add("blocks.1.attn.hook_z", (z, p) -> Tensor.zeros(z.shape()))) {
            EdgeScores cut = EdgeAttribution.eapIg(model, clean, corrupted, metric, 2);
            assertThat(cut.zeroGradient()).hasSize(12).allMatch(d -> d.startsWith("a1.h"));
            assertThat(cut.score("a0.h2->a1.h0<k>")).isZero();
            assertThat(cut.score("a1.h0->logits")).isZero(); // its output is the constant zero in both runs
        }
        assertThat(ig.zeroGradient()).isEmpty();
    }

    /**
     * A backward hook the model holds runs in EAP-IG's passes that have a metric (the corrupted run and each
     * step), not in the clean run, which has none, and an observing one leaves the scores as they were.
     */
    @Test
    void theModelsOwnBackwardHooksRunOnlyInThePassesWithAMetric() {
        EdgeScores without = EdgeAttribution.eapIg(model, clean, corrupted, metric, 2);
        int[] calls = {0};
        try (HookHandle _ = model.hooks().addBackward("blocks.1.attn.hook_z", Hook.observe(g -> calls[0]++))) {
            EdgeScores with = EdgeAttribution.eapIg(model, clean, corrupted, metric, 2);
            assertThat(calls[0]).isEqualTo(2);
            assertThat(with.score("a0.h2->a1.h0<k>")).isEqualTo(without.score("a0.h2->a1.h0<k>"));
        }
    }

    @Test
    void modelsWhoseStreamIsNotASumOfNodesOrWhoseKeysAreSharedAreRefused() {
        TransformerConfig base = TransformerConfig.builder().nLayers(2).dModel(16).nHeads(4).dHead(4).dMlp(32).nCtx(8).dVocab(20)
                .normalization(Normalization.RMS).modelName("tiny").build();
        assertThatThrownBy(() -> AttributionGraph.of(base.toBuilder().nKeyValueHeads(2).build()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("2 K/V heads for 4 heads");
        assertThatThrownBy(() -> AttributionGraph.of(base.toBuilder().useNormalizationBeforeAndAfter(true).build()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("use_normalization_before_and_after");
        AttributionGraph parallel = AttributionGraph.of(base.toBuilder().parallelAttnMlp(true).build());
        // in a parallel block the MLP reads what attention reads, not the heads of its own layer
        assertThat(parallel.isEdge(parallel.sourceIndex("a0.h3"), parallel.destinationIndex("m0"))).isFalse();
        AttributionGraph sequential = AttributionGraph.of(base);
        assertThat(sequential.isEdge(sequential.sourceIndex("a0.h3"), sequential.destinationIndex("m0"))).isTrue();
        assertThat(sequential.edgeCount()).isEqualTo(110);
        assertThatThrownBy(() -> EdgeAttribution.eapIg(model, clean, corrupted, metric, 0)).hasMessageContaining("at least 1 step");
    }
}
