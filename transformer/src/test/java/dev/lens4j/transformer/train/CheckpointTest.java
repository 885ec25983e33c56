package dev.lens4j.transformer.train;

import dev.lens4j.hooks.ActivationCache;
import dev.lens4j.tensor.Tensor;
import dev.lens4j.transformer.HookedTransformer;
import dev.lens4j.transformer.PositionalEmbedding;
import dev.lens4j.transformer.TransformerConfig;
import dev.lens4j.transformer.TransformerWeights;
import dev.lens4j.transformer.loading.LensCheckpoint;
import dev.lens4j.transformer.train.TrainingBatch;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A checkpoint written by the trainer loads into {@link HookedTransformer} (an independent forward pass)
 * and gives the same activations and logits as the training forward pass.
 */
class CheckpointTest {

    @ParameterizedTest(name = "{2} {0}, mlp={1}")
    @CsvSource({"LN, 0, gpt2", "none, 0, gpt2", "LN, 32, gpt2", "RMS, 0, llama", "RMS, 32, llama", "none, 32, llama"})
    void aCheckpointReloadsToTheModelTheTrainerTrained(String norm, int dMlp, String style, @TempDir Path dir) throws Exception {
        TrainingOptions o = TrainingOptions.defaults().withSteps(3).withBatchSize(4)
                .withArchitecture(2, 4, 32, 8, dMlp, 20, norm).withBlocks(4, 8).withStyle(style);
        InductionTrainer trainer = new InductionTrainer(o);
        TransformerWeights before = trainer.weights();
        for (int i = 0; i < 3; i++) {
            trainer.step(); // move away from the symmetric initialisation (zero biases, unit gains)
        }
        trainer.writeCheckpoint(dir);
        // every weight moved but, in the Llama style, the biases, which stay zero as Llama has none
        boolean llama = style.equals(TrainingOptions.LLAMA);
        assertThat(trainer.config().positionalEmbedding()).isEqualTo(llama ? PositionalEmbedding.ROTARY : PositionalEmbedding.STANDARD);
        assertThat(trainer.config().gatedMlp()).isEqualTo(llama && dMlp > 0);
        long trained = 0;
        for (var e : trainer.weights().stateDict().entrySet()) {
            float[] now = e.getValue().toArray(), was = before.get(e.getKey()).toArray();
            boolean frozen = llama && TransformerWeights.isOptionalBias(e.getKey());
            if (frozen) {
                assertThat(now).as("%s stays zero", e.getKey()).containsOnly(0f);
            } else {
                assertThat(now).as("%s is trained", e.getKey()).isNotEqualTo(was);
                trained += now.length;
            }
        }
        assertThat(trainer.trainedParameterCount()).isEqualTo(trained);

        TransformerConfig cfg = trainer.config();
        TrainingBatch batch = new InductionData(64, 0, 20, 4, 8, true).next(new SplittableRandom(5), 3);
        int[][] tokens = new int[3][20];
        for (int b = 0; b < 3; b++) {
            System.arraycopy(batch.tokens(), b * 20, tokens[b], 0, 20);
        }
        // the checkpoint reloads to the model the trainer trained: the same logits and activations, bit for bit
        HookedTransformer ours = trainer.model();
        try (HookedTransformer model = LensCheckpoint.load(dir)) {
            assertThat(model.config()).isEqualTo(cfg);
            assertThat(model.tokenizer().decode(new int[] {0, 1})).isEqualTo("<|bos|> apple");
            assertThat(model.forward(tokens).toArray()).containsExactly(ours.forward(tokens).toArray());
            ActivationCache mine = ours.runWithCache(tokens).cache();
            ActivationCache cache = model.runWithCache(tokens).cache();
            assertThat(cache.names()).containsExactlyElementsOf(mine.names());
            for (String n : mine.names()) {
                assertThat(cache.get(n).toArray()).as(n).containsExactly(mine.get(n).toArray());
            }
        }
    }

    static double maxAbsDiff(float[] a, float[] b) {
        assertThat(a).hasSameSizeAs(b);
        double m = 0;
        for (int i = 0; i < a.length; i++) {
            m = Math.max(m, Math.abs(a[i] - b[i]));
        }
        return m;
    }
}
