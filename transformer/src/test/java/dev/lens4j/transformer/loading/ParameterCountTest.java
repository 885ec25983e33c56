package dev.lens4j.transformer.loading;

import dev.lens4j.tensor.Tensor;
import dev.lens4j.tensor.io.DType;
import dev.lens4j.tensor.internal.Json;
import dev.lens4j.tensor.io.SafetensorsWriter;
import dev.lens4j.transformer.HookedTransformer;
import dev.lens4j.transformer.ParameterCount;
import dev.lens4j.transformer.TransformerConfig;
import dev.lens4j.transformer.TransformerWeights;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A model's one parameter count ({@link HookedTransformer#parameterCount()}) is its checkpoint's:
 * transformers' own {@code num_parameters()} for every Hugging Face fixture
 * ({@code reference/hf-parameter-counts.json}, made by {@code tools/reference/make_parameter_counts.py}),
 * the same with TransformerLens's weight processing as without. Before, the count was of the weights as
 * loaded: the zero biases lens4j gives a family without biases counted, folding the LayerNorms removed
 * theirs and centring a tied W_U added it again, so one model had several counts.
 */
class ParameterCountTest {

    /** transformers 5.18's counts, by folder under the test resources. */
    @SuppressWarnings("unchecked")
    static Map<String, Object> hfCounts() throws IOException {
        Path file = TinyGpt2.path("../hf-parameter-counts.json");
        return (Map<String, Object>) Json.parseObject(Files.readString(file)).get("counts");
    }

    @SuppressWarnings("unchecked")
    static ParameterCount hfCount(String folder) throws IOException {
        Map<String, Object> e = (Map<String, Object>) hfCounts().get(folder);
        return new ParameterCount(((Number) e.get("num_parameters")).longValue(), (Boolean) e.get("tied"));
    }

    static Stream<String> checkpointFolders() throws IOException {
        return hfCounts().keySet().stream().filter(k -> k.startsWith("reference/"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("checkpointFolders")
    void aHuggingFaceCheckpointCountsAsTransformersCountsItWhateverTheProcessing(String folder) throws IOException {
        Path dir = TinyGpt2.path("../../" + folder);
        ParameterCount expected = hfCount(folder);
        try (HookedTransformer processed = Models.fromPretrained(dir);
             HookedTransformer stored = Models.fromPretrainedNoProcessing(dir)) {
            assertThat(processed.parameterCount()).isEqualTo(expected);
            assertThat(stored.parameterCount()).isEqualTo(expected);
        }
    }

    @Test
    void tinyGpt2ByHand() throws IOException {
        // 2 layers, d_model 32, 4 heads of 8, d_mlp 128, n_ctx 24, d_vocab 101, W_U tied to W_E, no b_U
        long embed = 101 * 32 + 24 * 32;
        // ln1 (w, b), c_attn (W, b), attn c_proj, ln2, mlp c_fc, mlp c_proj
        long layer = 2 * 32 + (32 * 96 + 96) + (32 * 32 + 32) + 2 * 32 + (32 * 128 + 128) + (128 * 32 + 32);
        assertThat(embed + 2 * layer + 2 * 32).isEqualTo(hfCount("reference/tiny-gpt2/hf").count()).isEqualTo(29_472L);
        try (HookedTransformer m = Models.fromPretrained(TinyGpt2.path("hf"))) {
            assertThat(m.parameterCount()).hasToString("29,472 parameters (W_U tied to W_E, counted once)");
            assertThat(m.parameterCount().describe()).isEqualTo("29,472 (W_U tied to W_E, counted once)");
            // the processed weights hold other tensors: no LayerNorm weights, a centred W_U of its own, a zero b_U
            assertThat(ParameterCount.of(m.weights())).isEqualTo(new ParameterCount(29_472L - 5 * 64 + 101 * 32 + 101, false));
        }
    }

    @Test
    void tiedLlamaFixtureByHand() throws IOException {
        // 2 layers, d_model 32, 4 query heads and 2 key/value heads of 8, d_mlp 64, d_vocab 512, no biases,
        // RMSNorm weights only, rotary positions (no W_pos), lm_head tied to embed_tokens
        long embed = 512 * 32;
        long layer = (32 * 32 + 2 * 16 * 32 + 32 * 32) + 3 * 64 * 32 + 2 * 32; // q, k, v, o; gate, up, down; two norms
        long byHand = embed + 2 * layer + 32;
        Path dir = TinyGpt2.path("../families/llama/hf");
        assertThat(byHand).isEqualTo(hfCount("reference/families/llama/hf").count()).isEqualTo(34_976L);
        try (HookedTransformer processed = Models.fromPretrained(dir);
             HookedTransformer stored = Models.fromPretrainedNoProcessing(dir)) {
            assertThat(processed.parameterCount()).isEqualTo(stored.parameterCount()).isEqualTo(new ParameterCount(byHand, true));
            assertThat(processed.parameterCount()).hasToString("34,976 parameters (W_U tied to W_E, counted once)");
            // the model as loaded holds more: the zero biases TransformerLens gives a family without biases, and b_U
            assertThat(ParameterCount.of(stored.weights()).count()).isGreaterThan(byHand);
        }
    }

    @Test
    void theShippedModelHasOneCountLoadedEitherWay() throws IOException {
        // W_E, W_pos; per layer W_Q, W_K, W_V, W_O, b_Q, b_K, b_V, b_O and ln1 w, b; ln_final w, b; W_U, b_U
        long byHand = 64 * 64 + 48 * 64 + 2 * (4 * (4 * 64 * 16) + 3 * (4 * 16) + 64 + 2 * 64) + 2 * 64 + 64 * 64 + 64;
        try (HookedTransformer processed = Models.fromPretrained("induction-2l");
             HookedTransformer stored = Models.fromPretrainedNoProcessing("induction-2l")) {
            assertThat(processed.parameterCount()).isEqualTo(stored.parameterCount()).isEqualTo(new ParameterCount(byHand, false));
            assertThat(processed.parameterCount()).hasToString("44,992 parameters (W_U untied)");
        }
    }

    @Test
    void aLensCheckpointCountsTheTensorsItHolds(@TempDir Path tmp) throws IOException {
        TransformerConfig cfg = TransformerConfig.gpt2(1, 8, 2, 4, 10).withModelName("no-biases");
        Map<String, Tensor> sd = new LinkedHashMap<>();
        long held = 0;
        for (Map.Entry<String, int[]> e : TransformerWeights.shapes(cfg).entrySet()) {
            Tensor t = Tensor.randn(sd.size() + 1, e.getValue());
            sd.put(e.getKey(), t);
            if (!TransformerWeights.isOptionalBias(e.getKey())) {
                held += t.size();
            }
        }
        LensCheckpoint.save(cfg, TransformerWeights.fromStateDict(cfg, sd, "test"), null, tmp.resolve("all"));
        try (HookedTransformer all = Models.fromPretrained(tmp.resolve("all"))) {
            assertThat(all.parameterCount()).isEqualTo(ParameterCount.of(TransformerWeights.fromStateDict(cfg, sd, "test")));
        }
        // a checkpoint without biases loads them as zeros, which are not its parameters
        sd.keySet().removeIf(TransformerWeights::isOptionalBias);
        Path none = Files.createDirectories(tmp.resolve("none"));
        Files.copy(tmp.resolve("all/config.json"), none.resolve("config.json"));
        SafetensorsWriter.write(none.resolve("model.safetensors"), sd, DType.F32, Map.of());
        try (HookedTransformer stored = Models.fromPretrainedNoProcessing(none);
             HookedTransformer processed = Models.fromPretrained(none)) {
            assertThat(stored.weights().layers().getFirst().bQ().toArray()).containsOnly(0f);
            assertThat(stored.parameterCount()).isEqualTo(new ParameterCount(held, false));
            assertThat(processed.parameterCount()).isEqualTo(new ParameterCount(held, false));
        }
    }

    @Test
    void weightsInMemoryCountATiedUnembeddingOnce() {
        TransformerConfig cfg = TransformerConfig.gpt2(1, 8, 2, 4, 10);
        Map<String, Tensor> sd = new LinkedHashMap<>();
        for (Map.Entry<String, int[]> e : TransformerWeights.shapes(cfg).entrySet()) {
            sd.put(e.getKey(), Tensor.zeros(e.getValue()));
        }
        long all = 0;
        for (Tensor t : sd.values()) {
            all += t.size();
        }
        assertThat(ParameterCount.of(TransformerWeights.fromStateDict(cfg, sd, "test"))).isEqualTo(new ParameterCount(all, false));
        sd.put("unembed.W_U", sd.get("embed.W_E").mT()); // W_U = W_E^T, one storage
        assertThat(ParameterCount.of(TransformerWeights.fromStateDict(cfg, sd, "test"))).isEqualTo(new ParameterCount(all - 80, true));
        try (HookedTransformer m = HookedTransformer.of(cfg, TransformerWeights.fromStateDict(cfg, sd, "test"), null, null)) {
            assertThat(m.parameterCount()).isEqualTo(new ParameterCount(all - 80, true));
        }
    }
}
