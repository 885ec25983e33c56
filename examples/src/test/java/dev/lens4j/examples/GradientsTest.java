package dev.lens4j.examples;

import dev.lens4j.analysis.heads.RepeatedTokens;
import dev.lens4j.hooks.ActivationCache;
import dev.lens4j.hooks.Hook;
import dev.lens4j.hooks.HookSpec;
import dev.lens4j.tensor.Tensor;
import dev.lens4j.testing.LensModel;
import dev.lens4j.transformer.ForwardOptions;
import dev.lens4j.transformer.ForwardResult;
import dev.lens4j.transformer.HookedTransformer;
import dev.lens4j.transformer.LogitMetric;
import dev.lens4j.transformer.TransformerWeights;
import dev.lens4j.transformer.train.InductionTrainer;
import dev.lens4j.transformer.train.TrainingListener;
import dev.lens4j.transformer.train.TrainingOptions;
import dev.lens4j.transformer.train.TrainingResult;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * Gradients: the backward pass through the same hooked components as the forward one. The cache of
 * gradients ({@code run_with_cache(incl_bwd=True)}), backward hooks that observe or cut a route, the
 * weights' gradients, and the trainer that runs on them.
 */
class GradientsTest {

    @LensModel("induction-2l")
    HookedTransformer model;

    @Test
    void theGradientCacheSitsBesideTheActivations() {
        RepeatedTokens probe = RepeatedTokens.forModel(model);
        // tag::grad-cache[]
        int[][] tokens = probe.tokens();                                       // [16][47]
        ForwardResult r = model.runWithCache(tokens, LogitMetric.meanLoss(tokens));   // run_with_cache(incl_bwd=True)
        ActivationCache cache = r.cache();
        Tensor z = cache.get("blocks.1.attn.hook_z");                          // [batch, pos, head_index, d_head]
        Tensor dz = cache.get("blocks.1.attn.hook_z_grad");                    // d loss / d z, the same shape
        assertThat(dz.shape()).containsExactly(z.shape());
        assertThat(r.metric()).isCloseTo(model.perTokenLoss(tokens).mean(), within(1e-5));
        // resid_pre of block 0 is hook_embed + hook_pos_embed: all three have one gradient
        Tensor dEmbed = cache.get("hook_embed_grad");
        assertThat(cache.get("hook_pos_embed_grad").toArray()).containsExactly(dEmbed.toArray());
        assertThat(cache.get("blocks.0.hook_resid_pre_grad").toArray()).containsExactly(dEmbed.toArray());
        assertThat(r.inputGradient().toArray()).containsExactly(dEmbed.toArray());   // d loss / d (input embeddings)
        // end::grad-cache[]
    }

    @Test
    void onlyTheLogitsTheMetricReads() {
        int[][] tokens = RepeatedTokens.forModel(model).tokens();
        int pos = tokens[0].length, right = tokens[0][pos - 1], wrong = (right + 1) % model.config().dVocab();
        // tag::logit-positions[]
        LogitMetric diff = LogitMetric.logitDifference(new int[] {pos - 1}, new int[] {right}, new int[] {wrong});
        int[][] read = diff.positionsRead(1, pos);                             // {{pos - 1}}
        ForwardResult r = model.run(new int[][] {tokens[0]}, ForwardOptions.builder().cache(n -> true).backward(diff)
                .logitPositions(read).build());
        assertThat(Float.isNaN(r.logits().get(0, 0, right))).isTrue();         // not computed
        ForwardResult full = model.runWithCache(new int[][] {tokens[0]}, diff);
        assertThat(r.metric()).isEqualTo(full.metric());                       // the same bits
        assertThat(r.cache().get("blocks.0.attn.hook_k_grad").toArray())
                .containsExactly(full.cache().get("blocks.0.attn.hook_k_grad").toArray());
        // end::logit-positions[]
    }

    @Test
    void aBackwardHookCutsTheRouteThroughTheKeys() {
        int[][] tokens = RepeatedTokens.forModel(model).tokens();
        int n = RepeatedTokens.forModel(model).halfLength();
        // the loss on the repeated half only: what induction predicts
        int[][] targets = new int[tokens.length][tokens[0].length];
        for (int b = 0; b < tokens.length; b++) {
            java.util.Arrays.fill(targets[b], -1);
            for (int t = n + 1; t < tokens[b].length - 1; t++) {
                targets[b][t] = tokens[b][t + 1];
            }
        }
        // tag::backward-hook[]
        LogitMetric repeatedLoss = LogitMetric.crossEntropy(targets);         // -1 targets are left out
        String layer0 = "blocks.0.hook_attn_out_grad";
        Tensor all = model.run(tokens, ForwardOptions.builder().backward(repeatedLoss)
                .cache(name -> name.equals("blocks.0.hook_attn_out")).build()).cache().get(layer0);
        // the same pass with the gradient at the induction heads' keys set to zero (add_hook(dir="bwd"))
        Hook cut = Hook.replace(g -> Tensor.zeros(g.shape()));
        Tensor notThroughKeys = model.run(tokens, ForwardOptions.builder().backward(repeatedLoss)
                .cache(name -> name.equals("blocks.0.hook_attn_out"))
                .hooks(HookSpec.backward("blocks.1.attn.hook_k", cut)).build()).cache().get(layer0);
        double through = norm(all), without = norm(notThroughKeys);
        // layer 0's output matters to the repeated-half loss mostly through layer 1's keys: K-composition
        assertThat(without).isLessThan(0.5 * through);
        // end::backward-hook[]
    }

    @Test
    void weightGradientsTakeAStepDownhill() {
        int[][] tokens = RepeatedTokens.forModel(model).tokens();
        // tag::weight-gradients[]
        LogitMetric loss = LogitMetric.meanLoss(tokens);
        ForwardResult r = model.run(tokens, ForwardOptions.builder().backward(loss).weightGradients(true).build());
        Map<String, Tensor> grads = r.weightGradients();                     // TransformerLens names: d loss / d W
        assertThat(grads.get("blocks.1.attn.W_K").shape()).containsExactly(4, 64, 16);   // [head_index, d_model, d_head]
        // one small step against the gradient lowers the loss
        TransformerWeights.Builder stepped = TransformerWeights.builder(model.config());
        model.weights().stateDict().forEach((name, w) -> stepped.put(name, w.sub(grads.get(name).mul(1e-3f))));
        try (HookedTransformer after = HookedTransformer.of(model.config(), stepped.build(), model.tokenizer(), null)) {
            double before = r.metric();
            assertThat((double) after.perTokenLoss(tokens).mean()).isLessThan(before);
        }
        // end::weight-gradients[]
    }

    @Test
    void theTrainerRunsTheSamePasses() {
        // tag::train-llama[]
        TrainingOptions o = TrainingOptions.defaults().withStyle(TrainingOptions.LLAMA)   // RMSNorm, rotary, gated SiLU MLP
                .withArchitecture(2, 4, 32, 8, 64, 20, "RMS").withBlocks(4, 8).withSteps(40).withBatchSize(16);
        InductionTrainer trainer = new InductionTrainer(o);
        double first = trainer.step().loss();                                 // forward + backward + AdamW, reproducibly
        TrainingResult r = trainer.train(TrainingListener.NONE);              // the other 39 steps
        assertThat(trainer.config().positionalEmbedding().tlName()).isEqualTo("rotary");
        assertThat(r.smoothedOtherLoss()).isLessThan(first);                 // the last 20 steps' mean
        // end::train-llama[]
    }

    private static double norm(Tensor t) {
        double s = 0;
        for (float v : t.toArray()) {
            s += (double) v * v;
        }
        return Math.sqrt(s);
    }
}
