package dev.lens4j.examples;

import dev.lens4j.analysis.gradients.Agreement;
import dev.lens4j.analysis.gradients.AttributionPatching;
import dev.lens4j.analysis.gradients.Circuit;
import dev.lens4j.analysis.gradients.EdgeAttribution;
import dev.lens4j.analysis.gradients.EdgeScores;
import dev.lens4j.analysis.gradients.LogitMetrics;
import dev.lens4j.analysis.gradients.TokenAttribution;
import dev.lens4j.analysis.heads.RepeatedTokens;
import dev.lens4j.analysis.interventions.ActivationPatching;
import dev.lens4j.hooks.ActivationCache;
import dev.lens4j.tensor.Tensor;
import dev.lens4j.testing.LensModel;
import dev.lens4j.transformer.ForwardOptions;
import dev.lens4j.transformer.ForwardResult;
import dev.lens4j.transformer.HookedTransformer;
import dev.lens4j.transformer.KvCache;
import dev.lens4j.transformer.LogitMetric;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/**
 * Gradients as evidence: attribution patching estimates every activation patch from two passes, EAP-IG
 * scores every edge between heads and finds the induction circuit's route, a circuit of its largest
 * edges recovers the metric, and integrated gradients say which tokens the repeated half copies.
 * The clean run is the probe (BOS, a random block, the block again); the corrupted run redraws the
 * first copy, so nothing predicts the second.
 */
class AttributionTest {

    @LensModel("induction-2l")
    HookedTransformer model;

    @Test
    void gradientsOfAMetric() {
        RepeatedTokens probe = RepeatedTokens.forModel(model);
        int[][] tokens = probe.tokens();
        // tag::gradients[]
        LogitMetric logProb = LogitMetrics.logProb(tokens, probe.repeatedLossFrom(), probe.repeatedLossTo());  // the repeated half
        ForwardResult r = model.run(tokens, ForwardOptions.builder()
                .cache(name -> name.endsWith("hook_z")).backward(logProb).build());
        ActivationCache cache = r.cache();
        Tensor z = cache.get("blocks.1.attn.hook_z");                 // [batch, pos, head_index, d_head]
        Tensor dz = cache.get("blocks.1.attn.hook_z_grad");           // d logProb / d z, the same shape
        double metric = r.metric();                                   // minus the repeated half's loss
        // end::gradients[]
        assertThat(dz.shape()).containsExactly(z.shape());
        assertThat(metric).isCloseTo(-model.perTokenLoss(tokens).slice(1, probe.repeatedLossFrom(), probe.repeatedLossTo()).mean(),
                within(1e-4));
    }

    @Test
    void attributionPatchingEstimatesEveryPatchFromTwoPasses() {
        RepeatedTokens probe = RepeatedTokens.forModel(model);
        // tag::attribution-patching[]
        int[][] clean = probe.tokens(), corrupted = probe.corruptedTokens();     // the first copy redrawn
        LogitMetric metric = LogitMetrics.logProb(clean, probe.repeatedLossFrom(), probe.repeatedLossTo());
        AttributionPatching ap = AttributionPatching.of(model, clean, corrupted, metric);
        Tensor heads = ap.headOutAllPos();        // [n_layers, n_heads]: estimated change when one head's z is patched
        Tensor keys = ap.headVectorByPos("k");    // [n_layers, pos, n_heads]
        // the real patches, one forward pass each, and how well the estimates rank them
        ActivationPatching real = ActivationPatching.of(model, clean, corrupted, LogitMetrics.asMetric(metric));
        Map<String, Agreement> agreement = ap.compareWith(real);
        Agreement z = agreement.get("z");         // correlation, and how many of the 3 largest they share
        // end::attribution-patching[]
        assertThat(heads.shape()).containsExactly(2, 4);
        assertThat(keys.shape()).containsExactly(2, probe.length(), 4);
        assertThat(z.correlation()).isGreaterThan(0.6);
    }

    @Test
    void eapIgFindsTheInductionRoute() {
        RepeatedTokens probe = RepeatedTokens.forModel(model);
        int[][] clean = probe.tokens(), corrupted = probe.corruptedTokens();
        LogitMetric metric = LogitMetrics.logProb(clean, probe.repeatedLossFrom(), probe.repeatedLossTo());
        // tag::eap-ig[]
        EdgeScores scores = EdgeAttribution.eapIg(model, clean, corrupted, metric, 10);   // 1 forward + 10 forward-backward passes
        List<EdgeScores.Edge> top = scores.top(12);          // largest |score| first
        double key = scores.score("a0.h2->a1.h0<k>");        // the previous-token head into an induction head's keys
        double out = scores.score("a1.h0->logits");          // that induction head into the logits
        Circuit circuit = Circuit.topN(scores, 40);          // the 40 largest edges, pruned as EAP-IG prunes
        Circuit.Faithfulness f = circuit.evaluate(model, clean, corrupted, metric::value);
        double recovered = f.recovered();                    // (circuit - corrupted) / (clean - corrupted)
        // end::eap-ig[]
        assertThat(top.stream().map(EdgeScores.Edge::name)).contains("a0.h2->a1.h0<k>", "a1.h0->logits");
        assertThat(key).isNegative();
        assertThat(out).isNegative();
        assertThat(recovered).isGreaterThan(0.8);
    }

    @Test
    void integratedGradientsOfTheTokens() {
        RepeatedTokens probe = RepeatedTokens.forModel(model).withBatch(4);
        int[][] clean = probe.tokens(), corrupted = probe.corruptedTokens();
        LogitMetric metric = LogitMetrics.logProb(clean, probe.repeatedLossFrom(), probe.repeatedLossTo());
        // tag::token-attribution[]
        TokenAttribution.IntegratedGradients ig = TokenAttribution.integratedGradients(model, clean, corrupted, metric, 32);
        Tensor perToken = ig.attributions();                 // [batch, pos]: the first copy carries the difference
        double gap = ig.completenessGap();                   // sum(perToken) - (metric - baselineMetric), small
        Tensor gxi = TokenAttribution.gradientTimesInput(model, clean, metric);    // one pass, no baseline
        // end::token-attribution[]
        assertThat(Math.abs(gap)).isLessThan(0.05 * (ig.metric() - ig.baselineMetric()));
        assertThat(perToken.shape()).containsExactly(gxi.shape());
    }

    @Test
    void aKvCachedStepHasNoGradient() {
        int[][] prompt = {{0, 5, 9, 14}};
        LogitMetric next = LogitMetrics.logitDiff(-1, new int[] {3}, new int[] {4});
        // tag::kv-cache-refused[]
        KvCache kv = model.newKvCache(1);
        model.run(prompt, ForwardOptions.builder().kvCache(kv).build());          // the prompt, cached
        assertThatThrownBy(() -> model.run(new int[][] {{21}}, ForwardOptions.builder().kvCache(kv).backward(next).build()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("a KV-cached step is not supported");
        // take gradients of a pass over the whole sequence instead
        double value = model.run(new int[][] {{0, 5, 9, 14, 21}}, ForwardOptions.builder().backward(next).build()).metric();
        // end::kv-cache-refused[]
        assertThat(value).isFinite();
    }
}
