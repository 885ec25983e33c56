package dev.lens4j.report;

import dev.lens4j.transformer.Normalization;
import dev.lens4j.tensor.Tensor;
import dev.lens4j.transformer.HookedTransformer;
import dev.lens4j.transformer.TransformerConfig;
import dev.lens4j.transformer.TransformerWeights;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The investigation's plumbing on a random model (the shipped induction model's results are
 * checked in the app and examples tests): every section is filled, shapes agree with the model,
 * and the numbers are the ones the analysis classes give.
 */
class InductionInvestigationTest {

    static HookedTransformer randomModel() {
        int layers = 2, heads = 3, d = 24, dh = 8, vocab = 30, ctx = 20;
        TransformerConfig cfg = TransformerConfig.builder().nLayers(layers).dModel(d).nHeads(heads).dHead(dh).attnOnly(true).nCtx(ctx).dVocab(vocab).normalization(Normalization.NONE).modelName("random-2l").build();
        TransformerWeights.Builder b = TransformerWeights.builder(cfg);
        for (int l = 0; l < layers; l++) {
            long s = 100L * l;
            String p = "blocks." + l + ".attn.";
            b.put(p + "W_Q", Tensor.randn(s + 1, heads, d, dh).mul(0.3f)).put(p + "W_K", Tensor.randn(s + 2, heads, d, dh).mul(0.3f))
                    .put(p + "W_V", Tensor.randn(s + 3, heads, d, dh).mul(0.3f)).put(p + "W_O", Tensor.randn(s + 4, heads, dh, d).mul(0.3f));
        }
        TransformerWeights w = b.put("embed.W_E", Tensor.randn(7, vocab, d)).put("pos_embed.W_pos", Tensor.randn(8, ctx, d).mul(0.5f))
                .put("unembed.W_U", Tensor.randn(9, d, vocab).mul(0.3f)).build();
        return HookedTransformer.of(cfg, w, null, null);
    }

    @Test
    void fillsEverySectionConsistentlyWithTheModel() {
        try (HookedTransformer model = randomModel()) {
            var opts = new InductionInvestigation.Options(6, 3, 5L, null, 16);
            List<String> stages = new ArrayList<>();
            ReportData r = InductionInvestigation.run(model, "random-2l", opts, (s, d, t) -> stages.add(s));
            assertThat(stages).contains("ablating heads", "weight analysis");
            assertThat(r.model().nLayers()).isEqualTo(2);
            assertThat(r.loss().meanLoss()).hasSize(11); // 2 * 6 tokens (no BOS: no tokenizer), 11 next-token losses
            assertThat(r.loss().firstStart()).isZero();
            assertThat(r.loss().repeatedStart()).isEqualTo(6);
            assertThat(r.headScores().induction()).hasDimensions(2, 3);
            assertThat(r.dla().values()).hasSize(6);
            assertThat(r.ablation().lossChange()).hasSize(6);
            assertThat(r.composition().k()[0][0][1][0]).isGreaterThan(0);
            assertThat(r.composition().k()[1][0][0][0]).isZero();
            assertThat(r.attention().heads()).hasSize(6);
            assertThat(r.attention().tokens()).hasSize(12);
            assertThat(r.claims()).hasSizeGreaterThanOrEqualTo(8);
            assertThat(r.claims()).extracting(Claim::tier).contains(EvidenceTier.CLUE, EvidenceTier.ACTIVATION, EvidenceTier.WEIGHT);
            // the baseline loss is the repeated-half loss of the plain model: columns 6 .. 10 of the per-token loss
            int[][] tokens = dev.lens4j.analysis.heads.InductionEvals.repeatedTokens(3, 6, -1, 0, 30, 5L);
            Tensor perToken = model.perTokenLoss(tokens); // [3, 11]
            assertThat(r.ablation().baselineLoss()).isCloseTo(perToken.slice(1, 6, 11).mean(), org.assertj.core.api.Assertions.within(1e-5));
            assertThat(r.loss().repeatedHalfMean()).isCloseTo(r.ablation().baselineLoss(), org.assertj.core.api.Assertions.within(1e-5));
            assertThat(r.loss().firstHalfMean()).isCloseTo(perToken.slice(1, 0, 5).mean(), org.assertj.core.api.Assertions.within(1e-5));
        }
    }

    @Test
    void theReportsLedesCloseEachParenthesisOnce() {
        try (HookedTransformer model = randomModel()) {
            ReportData r = InductionInvestigation.run(model, "random-2l", new InductionInvestigation.Options(6, 2, 5L, null, 16),
                    InductionInvestigation.Progress.none());
            java.util.regex.Matcher ledes = java.util.regex.Pattern.compile("<p class=\"lede\">(.*?)</p>").matcher(HtmlReport.render(r));
            int found = 0;
            while (ledes.find()) {
                found++;
                String lede = ledes.group(1);
                assertThat(lede).doesNotContain("))").doesNotContain("..");
                assertThat(lede.chars().filter(c -> c == '(').count()).as(lede).isEqualTo(lede.chars().filter(c -> c == ')').count());
            }
            assertThat(found).isGreaterThanOrEqualTo(6);
        }
    }

    @Test
    void refusesABlockThatDoesNotFitTheContext() {
        try (HookedTransformer model = randomModel()) {
            // no tokenizer, so no BOS: two blocks of 10 fit n_ctx 20, two of 11 do not
            assertThatThrownBy(() -> InductionInvestigation.run(model, "m", new InductionInvestigation.Options(11, 1, 1, null, 4),
                    InductionInvestigation.Progress.none()))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("n_ctx 20");
        }
    }
}
