package dev.lens4j.transformer.train;

import dev.lens4j.hooks.ActivationCache;
import dev.lens4j.tensor.Tensor;
import dev.lens4j.transformer.HookedTransformer;
import dev.lens4j.transformer.TransformerConfig;
import dev.lens4j.transformer.loading.LensCheckpoint;
import dev.lens4j.transformer.train.InductionData.Batch;
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

    @ParameterizedTest(name = "{0}, mlp={1}")
    @CsvSource({"LN, 0", "none, 0", "LN, 32"})
    void hookedTransformerAgreesWithTheTrainingForwardPass(String norm, int dMlp, @TempDir Path dir) throws Exception {
        TrainingOptions o = TrainingOptions.defaults().withSteps(3).withBatchSize(4)
                .withArchitecture(2, 4, 32, 8, dMlp, 20, norm).withBlocks(4, 8);
        InductionTrainer trainer = new InductionTrainer(o);
        for (int i = 0; i < 3; i++) {
            trainer.step(); // move away from the symmetric initialisation (zero biases, unit gains)
        }
        trainer.writeCheckpoint(dir);

        TransformerConfig cfg = trainer.config();
        Batch batch = new InductionData(64, 0, 20, 4, 8, true).next(new SplittableRandom(5), 3);
        TrainableTransformer ours = new TrainableTransformer(cfg, 3, 20, trainer.params());
        ours.forward(batch.tokens(), batch.targets());
        int[][] tokens = new int[3][20];
        for (int b = 0; b < 3; b++) {
            System.arraycopy(batch.tokens(), b * 20, tokens[b], 0, 20);
        }
        try (HookedTransformer model = LensCheckpoint.load(dir)) {
            assertThat(model.config()).isEqualTo(cfg);
            assertThat(model.tokenizer().decode(new int[] {0, 1})).isEqualTo("<|bos|> apple");
            ActivationCache cache = model.runWithCache(tokens).cache();
            Tensor logits = model.forward(tokens);
            assertThat(maxAbsDiff(logits.contiguous().toArray(), ours.logits)).isLessThan(1e-4);
            for (int l = 0; l < cfg.nLayers(); l++) {
                // hook_pattern [batch, head, q, k] is the layout of att
                assertThat(maxAbsDiff(cache.get("pattern", l).contiguous().toArray(), ours.att[l])).isLessThan(1e-5);
                // hook_q [batch, pos, head, d_head] is the first third of each qkv row
                float[] q = cache.get("q", l).contiguous().toArray();
                int qc = cfg.nHeads() * cfg.dHead();
                double worst = 0;
                for (int r = 0; r < 3 * 20; r++) {
                    for (int j = 0; j < qc; j++) {
                        worst = Math.max(worst, Math.abs(q[r * qc + j] - ours.qkv[l][r * 3 * qc + j]));
                    }
                }
                assertThat(worst).isLessThan(1e-5);
            }
            float[] loss = model.perTokenLoss(tokens).contiguous().toArray(); // [batch, pos - 1]
            for (int b = 0; b < 3; b++) {
                for (int t = 0; t < 19; t++) {
                    assertThat((double) loss[b * 19 + t]).isCloseTo(ours.losses[b * 20 + t], org.assertj.core.api.Assertions.within(1e-4));
                }
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
