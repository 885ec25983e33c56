package dev.lens4j.transformer.processing;

import dev.lens4j.tensor.Tensor;
import dev.lens4j.transformer.HookedTransformer;
import dev.lens4j.transformer.loading.HfCheckpoint;
import dev.lens4j.transformer.loading.LoadOptions;
import dev.lens4j.transformer.loading.TinyGpt2;
import org.junit.jupiter.api.Test;

import java.io.IOException;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Processing changes the weights, not the model: on the tiny GPT-2, log-probabilities (and the loss)
 * agree between raw and processed weights, and logits differ only by a constant per position
 * (center_unembed). Refactoring the factored attention matrices leaves the logits themselves unchanged.
 */
class ProcessingLogitsTest {

    /** The reference batch of {@code activations-raw.safetensors}: [2, 12], BOS first. */
    static int[][] tokens() {
        Tensor t = TinyGpt2.readAll("activations-raw.safetensors").get("tokens");
        int[][] out = new int[t.dim(0)][t.dim(1)];
        for (int b = 0; b < out.length; b++) {
            for (int p = 0; p < out[b].length; p++) {
                out[b][p] = (int) t.get(b, p);
            }
        }
        return out;
    }

    private static Tensor logits(LoadOptions options) throws IOException {
        try (HookedTransformer m = HfCheckpoint.load(TinyGpt2.path("hf"), options)) {
            return m.forward(tokens());
        }
    }

    @Test
    void defaultProcessingKeepsLogProbabilities() throws IOException {
        Tensor raw = logits(LoadOptions.noProcessing());
        Tensor processed = logits(LoadOptions.defaults());
        float logProbDiff = processed.logSoftmax(-1).maxAbsDiff(raw.logSoftmax(-1));
        // Logits shift by one constant per position: the spread of (processed - raw) along d_vocab is 0.
        Tensor shift = processed.sub(raw);
        float spread = shift.max(-1, false).sub(shift.min(-1, false)).max();
        System.out.printf("tiny-gpt2, default processing: max |log p diff| = %.3g, max per-position logit shift spread = %.3g, "
                + "max |logit diff| = %.3g%n", logProbDiff, spread, processed.maxAbsDiff(raw));
        assertThat(logProbDiff).isLessThan(2e-5f);
        assertThat(spread).isLessThan(4e-5f);
        assertThat(processed.maxAbsDiff(raw)).as("center_unembed really shifts the logits").isGreaterThan(1e-3f);
    }

    @Test
    void eachStepAloneKeepsLogProbabilities() throws IOException {
        Tensor raw = logits(LoadOptions.noProcessing()).logSoftmax(-1);
        ProcessingOptions[] single = {
                new ProcessingOptions(true, false, false, false, false),
                new ProcessingOptions(false, true, false, false, false),
                new ProcessingOptions(false, false, true, false, false),
                new ProcessingOptions(false, false, false, true, false),
                new ProcessingOptions(false, false, false, false, true),
        };
        for (ProcessingOptions o : single) {
            assertThat(logits(new LoadOptions(o)).logSoftmax(-1).maxAbsDiff(raw)).as(o.toString()).isLessThan(2e-5f);
        }
    }

    @Test
    void refactoringFactoredAttnMatricesKeepsLogits() throws IOException {
        Tensor processed = logits(LoadOptions.defaults());
        Tensor refactored = logits(new LoadOptions(ProcessingOptions.defaults().withRefactorFactoredAttnMatrices(true)));
        float diff = refactored.maxAbsDiff(processed);
        System.out.printf("tiny-gpt2, refactor_factored_attn_matrices: max |logit diff| = %.3g%n", diff);
        assertThat(diff).isLessThan(2e-5f);
        Tensor rawRefactored = logits(new LoadOptions(ProcessingOptions.none().withRefactorFactoredAttnMatrices(true)));
        assertThat(rawRefactored.maxAbsDiff(logits(LoadOptions.noProcessing()))).isLessThan(2e-5f);
    }

    @Test
    void processedLogitsMatchTheReferenceForwardPass() throws IOException {
        Tensor expected = TinyGpt2.readAll("activations-processed.safetensors").get("logits");
        assertThat(logits(LoadOptions.defaults()).maxAbsDiff(expected)).isLessThan(1e-4f);
        Tensor expectedRaw = TinyGpt2.readAll("activations-raw.safetensors").get("logits");
        assertThat(logits(LoadOptions.noProcessing()).maxAbsDiff(expectedRaw)).isLessThan(1e-4f);
    }
}
