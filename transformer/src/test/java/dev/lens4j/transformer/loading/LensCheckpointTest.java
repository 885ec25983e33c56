package dev.lens4j.transformer.loading;

import dev.lens4j.transformer.TransformerWeights;
import dev.lens4j.transformer.Activation;
import dev.lens4j.transformer.Normalization;
import dev.lens4j.tensor.Tensor;
import dev.lens4j.tensor.io.SafetensorsFile;
import dev.lens4j.transformer.HookedTransformer;
import dev.lens4j.transformer.TransformerConfig;
import dev.lens4j.transformer.tokenizer.Gpt2Tokenizer;
import dev.lens4j.transformer.train.WordTokenizer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Saving and loading in TransformerLens names. */
class LensCheckpointTest {

    private static int[][] tokens() {
        Tensor t = TinyGpt2.readAll("activations-raw.safetensors").get("tokens");
        int[][] out = new int[t.dim(0)][t.dim(1)];
        for (int b = 0; b < out.length; b++) {
            for (int p = 0; p < out[b].length; p++) {
                out[b][p] = (int) t.get(b, p);
            }
        }
        return out;
    }

    @Test
    void roundTripGivesIdenticalWeightsAndLogits(@TempDir Path dir) throws IOException {
        for (LoadOptions options : new LoadOptions[] {LoadOptions.noProcessing(), LoadOptions.defaults()}) {
            Path out = dir.resolve(options.processing().isNone() ? "raw" : "processed");
            try (HookedTransformer original = HfCheckpoint.load(TinyGpt2.path("hf"), options)) {
                LensCheckpoint.save(original, out);
                try (HookedTransformer loaded = LensCheckpoint.load(out)) {
                    assertThat(loaded.config()).isEqualTo(original.config());
                    Gpt2CheckpointTest.assertEqual(loaded.weights().stateDict(), original.weights().stateDict(), 0f);
                    float diff = loaded.forward(tokens()).maxAbsDiff(original.forward(tokens()));
                    assertThat(diff).as("logits after a round trip").isZero();
                }
            }
        }
        // The saved file has TransformerLens names and shapes.
        try (SafetensorsFile f = SafetensorsFile.open(dir.resolve("processed/model.safetensors"))) {
            assertThat(f.names()).contains("embed.W_E", "blocks.1.attn.W_Q", "unembed.b_U").doesNotContain("blocks.0.ln1.w");
            assertThat(f.info("blocks.0.attn.W_O").shape()).containsExactly(4, 8, 32);
            assertThat(f.metadata()).containsEntry("format", "pt");
        }
        assertThat(Files.readString(dir.resolve("processed/config.json")))
                .contains("\"normalization_type\":\"LNPre\"", "\"d_head\":8", "\"n_layers\":2");
    }

    @Test
    void theReferenceTransformerLensStateDictsLoad(@TempDir Path dir) throws IOException {
        TransformerConfig raw = TransformerConfig.builder().nLayers(2).dModel(32).nHeads(4).dHead(8).dMlp(128).nCtx(24).dVocab(101).actFn(Activation.fromTlName("gelu_new")).normalization(Normalization.LN).modelName("tiny-gpt2").build();
        for (String kind : new String[] {"raw", "processed"}) {
            Path d = dir.resolve(kind);
            Files.createDirectories(d);
            TransformerConfig cfg = kind.equals("raw") ? raw : raw.withNormalization(Normalization.LN_PRE);
            Files.writeString(d.resolve("config.json"), cfg.toJson());
            Files.copy(TinyGpt2.path("tl-weights-" + kind + ".safetensors"), d.resolve("model.safetensors"));
            Tensor expected = TinyGpt2.readAll("activations-" + kind + ".safetensors").get("logits");
            try (HookedTransformer m = LensCheckpoint.load(d)) {
                assertThat(m.forward(tokens()).maxAbsDiff(expected)).as(kind).isLessThan(1e-4f);
            }
        }
    }

    @Test
    void tokenizerFilesTravelWithTheCheckpoint(@TempDir Path dir) throws IOException {
        // GPT-2's built-in tokenizer is written as vocab.json + merges.txt.
        TransformerConfig cfg = TransformerConfig.gpt2(1, 8, 2, 4, 50257);
        SyntheticCheckpoints.writeHf(dir.resolve("hf"), cfg, dev.lens4j.tensor.io.DType.F32, "");
        try (HookedTransformer m = HfCheckpoint.load(dir.resolve("hf"), LoadOptions.noProcessing())) {
            assertThat(m.tokenizer()).isSameAs(Gpt2Tokenizer.gpt2());
            assertThat(LensCheckpoint.save(m, dir.resolve("lens")))
                    .extracting(p -> p.getFileName().toString())
                    .containsExactly("model.safetensors", "config.json", "vocab.json", "merges.txt");
        }
        try (HookedTransformer m = LensCheckpoint.load(dir.resolve("lens"))) {
            assertThat(m.tokenizer()).isNotSameAs(Gpt2Tokenizer.gpt2());
            assertThat(m.tokenizer().encode("Hello world")).containsExactly(15496, 995);
            // A tokenizer read from a folder is written again from the bytes read.
            LensCheckpoint.save(m, dir.resolve("again"));
        }
        assertThat(Files.mismatch(dir.resolve("lens/merges.txt"), dir.resolve("again/merges.txt"))).isEqualTo(-1);

        // A word-level tokenizer (lens4j's toy models) is written as words.txt.
        WordTokenizer words = WordTokenizer.induction();
        TransformerConfig small = TransformerConfig.builder().nLayers(1).dModel(8).nHeads(2).dHead(4).attnOnly(true).nCtx(6).dVocab(words.vocabSize()).normalization(Normalization.NONE).modelName("toy").build();
        var w = dev.lens4j.transformer.TransformerWeights.fromStateDict(small, randomState(small), "random");
        LensCheckpoint.save(small, w, words, dir.resolve("toy"));
        try (HookedTransformer m = LensCheckpoint.load(dir.resolve("toy"))) {
            assertThat(m.tokenizer()).isInstanceOf(WordTokenizer.class);
            assertThat(((WordTokenizer) m.tokenizer()).tokens()).isEqualTo(words.tokens());
            assertThat(m.config()).isEqualTo(small);
        }
    }

    @Test
    void badCheckpointsAreNamed(@TempDir Path dir) throws IOException {
        try (HookedTransformer m = HfCheckpoint.load(TinyGpt2.path("hf"), LoadOptions.noProcessing())) {
            LensCheckpoint.save(m, dir);
        }
        String config = Files.readString(dir.resolve("config.json"));
        Files.writeString(dir.resolve("config.json"), config.replace("\"d_mlp\":128", "\"d_mlp\":64"));
        assertThatThrownBy(() -> LensCheckpoint.load(dir)).isInstanceOf(CheckpointFormatException.class)
                .hasMessageContaining(dir.resolve("model.safetensors").toString())
                .hasMessageContaining("\"blocks.0.mlp.W_in\" has shape [32, 128]").hasMessageContaining("needs [32, 64]");
        Files.writeString(dir.resolve("config.json"), config.replace("\"n_heads\":4,", ""));
        assertThatThrownBy(() -> LensCheckpoint.load(dir)).isInstanceOf(CheckpointFormatException.class)
                .hasMessageContaining(dir.resolve("config.json").toString()).hasMessageContaining("n_heads");
        Files.writeString(dir.resolve("config.json"), config.replace("\"n_layers\":2", "\"n_layers\":3"));
        assertThatThrownBy(() -> LensCheckpoint.load(dir)).isInstanceOf(CheckpointFormatException.class)
                .hasMessageContaining("missing").hasMessageContaining("blocks.2.attn.W_Q");
    }

    private static Map<String, Tensor> randomState(TransformerConfig cfg) {
        Map<String, Tensor> sd = new java.util.LinkedHashMap<>();
        long seed = 3;
        for (Map.Entry<String, int[]> e : TransformerWeights.shapes(cfg).entrySet()) {
            sd.put(e.getKey(), Tensor.randn(seed++, e.getValue()));
        }
        return sd;
    }
}
