package dev.lens4j.app;

import dev.lens4j.tensor.Tensor;
import dev.lens4j.transformer.HookedTransformer;
import dev.lens4j.transformer.loading.LensCheckpoint;
import dev.lens4j.transformer.loading.Models;
import dev.lens4j.transformer.train.InductionTrainer;
import dev.lens4j.transformer.train.TrainingListener;
import dev.lens4j.transformer.train.TrainingOptions;
import dev.lens4j.transformer.train.TrainingProgress;
import dev.lens4j.transformer.train.WordTokenizer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class TrainCommandTest {

    @Test
    void trainWritesALoadableCheckpointAndReportsItsHash(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("ckpt");
        // through picocli's streams (CommandRun captures them), not System.out and System.err
        CommandRun run = CommandRun.of("train", "--out", out.toString(), "--steps", "10", "--batch", "4", "--seed", "3");
        assertThat(run.status()).as(run.toString()).isZero();
        String text = run.out();
        // the shipped architecture's parameters, by hand: W_E 64x64 = 4,096 and W_pos 48x64 = 3,072; per layer
        // W_Q, W_K, W_V, W_O 4 x 4x64x16 = 16,384, b_Q, b_K, b_V 3 x 4x16 = 192, b_O 64, ln1 w and b 128
        // (16,768, twice: 33,536); ln_final 128; W_U 64x64 = 4,096 and b_U 64, which training updates too
        assertThat(4096 + 3072 + 2 * (16_384 + 192 + 64 + 128) + 128 + 4096 + 64).isEqualTo(44_992);
        assertThat(text).startsWith("training induction-2l: gpt2 style, 2 layers, 4 heads, d_model 64, attention-only, LN norm, "
                + "44,992 parameters (W_U untied), all trained; 10 steps of 4 sequences, seed 3, ");
        assertThat(text).contains("done: 10 steps").contains("model.safetensors sha256 ");
        // not a terminal: one progress line per tenth of the run, on picocli's stderr
        assertThat(run.errLines().stream().filter(l -> l.contains("steps/s"))).hasSizeBetween(10, 11);
        for (String f : new String[] {"config.json", "model.safetensors", "words.txt", "training.json"}) {
            assertThat(out.resolve(f)).exists();
        }
        String hash = text.replaceAll("(?s).*sha256 ([0-9a-f]{64}).*", "$1");
        assertThat(hash).isEqualTo(TrainCommand.sha256(out.resolve("model.safetensors")));
        assertThat(Files.readString(out.resolve("training.json"))).contains("\"seed\":3").contains("\"steps_done\":10");
        assertThat(text).contains("wrote " + out.toAbsolutePath().normalize() + " ");

        // The same run in-process: the checkpoint holds exactly the weights it trained, and loads as a
        // working model with its word tokenizer.
        InductionTrainer same = new InductionTrainer(TrainingOptions.defaults().withSteps(10).withBatchSize(4).withSeed(3));
        same.train(TrainingListener.NONE);
        int[][] tokens = {same.tokenizer().toTokens("apple river stone apple river stone")};
        try (HookedTransformer expected = HookedTransformer.of(same.config(), same.weights(), same.tokenizer(), null);
             HookedTransformer stored = LensCheckpoint.load(out)) {
            assertThat(stored.config()).isEqualTo(same.config());
            // the count train printed is the checkpoint's, as inspect and the reports give it
            assertThat(stored.parameterCount()).hasToString("44,992 parameters (W_U untied)");
            assertThat(stored.tokenizer()).isInstanceOf(WordTokenizer.class);
            assertThat(stored.tokenizer().toTokens("apple river stone apple river stone")).isEqualTo(tokens[0]);
            Tensor want = expected.forward(tokens);
            Tensor got = stored.forward(tokens);
            assertThat(got.shape()).containsExactly(1, 7, 64);
            assertThat(got.maxAbsDiff(want)).as("logits of the written checkpoint vs the trained weights").isEqualTo(0f);
        }
        // and by folder through Models, with TransformerLens's default weight processing: same loss
        try (HookedTransformer processed = Models.fromPretrained(out);
             HookedTransformer expected = HookedTransformer.of(same.config(), same.weights(), same.tokenizer(), null)) {
            float loss = processed.loss(tokens);
            assertThat(Float.isFinite(loss)).isTrue();
            assertThat((double) loss).isCloseTo(expected.loss(tokens), within(1e-4));
        }
    }

    @Test
    void aLlamaStyleModelTrainsWithoutBiasesAndLoadsAsRotary(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("llama");
        CommandRun run = CommandRun.of("train", "--out", out.toString(), "--style", "llama", "--d-mlp", "32", "--steps", "5",
                "--batch", "4");
        assertThat(run.status()).as(run.toString()).isZero();
        // by hand: W_E 4,096; per layer W_Q, W_K, W_V, W_O 16,384, RMSNorm weights ln1 and ln2 128, W_gate, W_in
        // 64x32 and W_out 32x64 6,144 (22,656, twice: 45,312); ln_final 64; W_U 4,096; no positions, no biases
        assertThat(4096 + 2 * (16_384 + 128 + 3 * 2048) + 64 + 4096).isEqualTo(53_568);
        // the checkpoint also holds the zero biases of TransformerLens's layout: b_Q, b_K, b_V 3 x 4x16, b_O 64, b_in 32,
        // b_out 64 (384, twice) and b_U 64
        assertThat(53_568 + 2 * (3 * 64 + 64 + 32 + 64) + 64).isEqualTo(54_336);
        assertThat(run.out()).startsWith("training induction-2l: llama style, 2 layers, 4 heads, d_model 64, d_mlp 32, RMS norm, "
                + "54,336 parameters (W_U untied), 53,568 of them trained (768 bias parameters stay zero); 5 steps of 4 sequences");
        try (HookedTransformer m = LensCheckpoint.load(out)) {
            assertThat(m.parameterCount()).hasToString("54,336 parameters (W_U untied)");
            assertThat(m.config().positionalEmbedding().tlName()).isEqualTo("rotary");
            assertThat(m.config().gatedMlp()).isTrue();
            assertThat(m.weights().get("blocks.0.attn.b_Q").toArray()).containsOnly(0f);
            assertThat(m.hookPointNames()).contains("blocks.0.attn.hook_rot_q").doesNotContain("hook_pos_embed");
        }
    }

    /** Before: a learning rate of 1e30 trained to NaN and wrote the NaN weights with exit 0. */
    @Test
    void aRunWhoseLossBecomesNanStopsNamingTheStepAndWritesNoCheckpoint(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("ckpt");
        CommandRun run = CommandRun.of("train", "--out", out.toString(), "--steps", "30", "--batch", "4", "--lr", "1e30",
                "--final-lr", "1e30");
        assertThat(run.status()).as(run.toString()).isEqualTo(1);
        assertThat(run.errLines().getLast()).as(run.toString())
                .matches("lens4j: training diverged at step \\d+: the (loss|gradient norm) is (NaN|Infinity) \\(learning rate "
                        + "1\\.0E30 at that step, gradient clipping to 1\\.0\\); lower the learning rate");
        assertThat(run.out()).doesNotContain("wrote");
        assertThat(out).isEmptyDirectory();
    }

    @Test
    void everyOptionNamedInTrainingErrorsIsAnOptionOfTheCommand() {
        var spec = Main.commandLine().getSubcommands().get("train").getCommandSpec();
        java.util.Set<String> components = java.util.Arrays.stream(TrainingOptions.class.getRecordComponents())
                .map(java.lang.reflect.RecordComponent::getName).collect(java.util.stream.Collectors.toSet());
        assertThat(TrainCommand.OPTION_OF).isNotEmpty();
        TrainCommand.OPTION_OF.forEach((component, option) -> {
            assertThat(components).as("a TrainingOptions component").contains(component);
            assertThat(spec.findOption(option)).as(option).isNotNull();
        });
    }

    @Test
    void progressLineShowsStepLossesSpeedAndTimeLeft() {
        TrainingProgress p = new TrainingProgress(250, 1000, 3.1, 0.8, 4.2, 0.75, 4.21, 0.4, 5.0, 50.0, 15.0);
        assertThat(ProgressBar.line(p)).isEqualTo("[######..................]   250/1000  repeated 0.750  other 4.210   50.0 steps/s  0:15 left");
        assertThat(ProgressBar.time(3725)).isEqualTo("1:02:05");
        assertThat(ProgressBar.time(Double.NaN)).isEqualTo("--:--");
    }
}
