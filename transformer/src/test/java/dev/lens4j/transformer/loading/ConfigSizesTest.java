package dev.lens4j.transformer.loading;

import dev.lens4j.transformer.Normalization;
import dev.lens4j.transformer.Activation;
import dev.lens4j.tensor.Tensor;
import dev.lens4j.transformer.TransformerConfig;
import dev.lens4j.transformer.TransformerWeights;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A config whose sizes its weights file cannot hold, or whose derived sizes overflow, is refused
 * by key before anything is allocated for it; eps must be a finite positive float.
 */
class ConfigSizesTest {

    @TempDir
    Path dir;

    private Map<String, Object> hf;

    private Path tinyCopyWith(String key, Object value) throws IOException {
        if (hf == null) {
            Files.copy(TinyGpt2.path("hf/model.safetensors"), dir.resolve("model.safetensors"));
            hf = JsonFiles.readObject(TinyGpt2.path("hf/config.json"));
        }
        Map<String, Object> cfg = new LinkedHashMap<>(hf);
        cfg.put(key, value);
        SyntheticCheckpoints.writeJson(dir.resolve("config.json"), cfg);
        return dir.resolve("config.json");
    }

    /** Before: n_layer 2^31-1 built a shape for every tensor of every block, ran 87 s and ran out of heap. */
    @Test
    void moreBlocksThanTheFileHasTensorsIsRefusedBeforeTheyAreListed() throws IOException {
        for (long layers : new long[] {1_000_000_000L, Integer.MAX_VALUE}) {
            tinyCopyWith("n_layer", layers);
            for (LoadOptions o : new LoadOptions[] {LoadOptions.noProcessing(), LoadOptions.defaults()}) {
                assertThatThrownBy(() -> Models.fromPretrained(dir, o)).isInstanceOf(CheckpointFormatException.class)
                        .hasMessage(dir.resolve("model.safetensors") + ": holds 32 tensors, fewer than the " + layers
                                + " blocks that config.json's \"n_layer\" says (a block has 8 or more)");
            }
        }
        // a TransformerLens-named checkpoint likewise
        Path lens = dir.resolve("lens");
        TransformerConfig cfg = TransformerConfig.gpt2(1, 8, 2, 4, 5);
        Map<String, Tensor> sd = new LinkedHashMap<>();
        TransformerWeights.shapes(cfg).forEach((n, s) -> sd.put(n, Tensor.zeros(s)));
        LensCheckpoint.save(cfg, TransformerWeights.fromStateDict(cfg, sd, "test"), null, lens);
        Map<String, Object> json = JsonFiles.readObject(lens.resolve("config.json"));
        json.put("n_layers", 1_000_000_000L);
        SyntheticCheckpoints.writeJson(lens.resolve("config.json"), json);
        assertThatThrownBy(() -> Models.fromPretrained(lens)).isInstanceOf(CheckpointFormatException.class)
                .hasMessage(lens.resolve("model.safetensors") + ": holds 22 tensors, fewer than the 1000000000 blocks that "
                        + "config.json's \"n_layers\" says (a block has 8 or more)");
    }

    /** Before: 4 n_embd wrapped to 0 and the message said "d_mlp must be positive, got 0". */
    @Test
    void derivedSizesThatOverflowNameTheKey() throws IOException {
        tinyCopyWith("n_head", 1L);
        hf.put("n_head", 1L);
        Path config = tinyCopyWith("n_embd", 1L << 30);
        assertThatThrownBy(() -> Models.fromPretrained(dir)).isInstanceOf(CheckpointFormatException.class)
                .hasMessage(config + ": \"n_inner\" is null, so the MLP width is 4 n_embd = 4294967296, more than 2^31-1: "
                        + "\"n_embd\" 1073741824 is too large");
        hf.put("n_inner", 4L);
        tinyCopyWith("n_embd", 1L << 30);
        assertThatThrownBy(() -> Models.fromPretrained(dir)).isInstanceOf(CheckpointFormatException.class)
                .hasMessage(config + ": vocab_size 101 x n_embd 1073741824 = 1.08e+11 elements in W_E, more than a tensor "
                        + "holds (2^31-1)");
        hf.put("vocab_size", 1L);
        hf.put("n_positions", 1L);
        tinyCopyWith("n_embd", 1L << 30);
        assertThatThrownBy(() -> Models.fromPretrained(dir)).isInstanceOf(CheckpointFormatException.class)
                .hasMessage(config + ": n_head 1 x n_embd 1073741824 x d_head (n_embd / n_head) 1073741824 = 1.15e+18 elements "
                        + "in W_Q, W_K, W_V and W_O (each), more than a tensor holds (2^31-1)");

        // TransformerLens keys: the default d_mlp of 4 d_model
        Map<String, Object> tl = new LinkedHashMap<>(Map.of("n_layers", 1L, "d_model", 1L << 30, "n_heads", 1L, "d_head", 1L,
                "n_ctx", 1L, "d_vocab", 1L));
        assertThatThrownBy(() -> TransformerConfig.fromJsonMap(tl, "c.json"))
                .hasMessage("c.json: bad model config: \"d_mlp\" is absent, so it is 4 d_model = 4294967296, more than "
                        + "2^31-1: d_model 1073741824 is too large");
        tl.put("d_model", 1L << 16);
        tl.put("d_mlp", 1L << 16);
        assertThatThrownBy(() -> TransformerConfig.fromJsonMap(tl, "c.json"))
                .hasMessage("c.json: bad model config: d_model 65536 x d_mlp 65536 = 4.29e+09 elements in W_in and W_out (each), "
                        + "more than a tensor holds (2^31-1)");
        // n_heads 0 is named, not a division by zero
        tl.put("d_model", 8L);
        tl.put("n_heads", 0L);
        tl.remove("d_head");
        assertThatThrownBy(() -> TransformerConfig.fromJsonMap(tl, "c.json")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("c.json: bad model config: missing key \"d_head\"");
    }

    @Test
    void epsMustBeAPositiveFloat32() throws IOException {
        for (Object eps : new Object[] {1e300, 1e-50, 0.0, -1e-5, "small"}) {
            Path config = tinyCopyWith("layer_norm_epsilon", eps);
            assertThatThrownBy(() -> Models.fromPretrained(dir)).as("%s", eps).isInstanceOf(CheckpointFormatException.class)
                    .hasMessageStartingWith(config + ": \"layer_norm_epsilon\" must be a positive number that float32 holds, got ");
        }
        Map<String, Object> tl = new LinkedHashMap<>(Map.of("n_layers", 1L, "d_model", 8L, "n_heads", 2L, "n_ctx", 4L,
                "d_vocab", 5L));
        for (Object eps : new Object[] {1e300, 0.0, "1e-5"}) {
            tl.put("eps", eps);
            // before: 1e300 became an infinite eps, and a string a ClassCastException
            assertThatThrownBy(() -> TransformerConfig.fromJsonMap(tl, "c.json")).as("%s", eps)
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageStartingWith("c.json: bad model config: \"eps\" must be a positive number that float32 holds, got ");
        }
        assertThatThrownBy(() -> TransformerConfig.builder().nLayers(1).dModel(8).nHeads(2).dHead(4).dMlp(32).nCtx(4).dVocab(5).actFn(Activation.fromTlName("gelu_new")).normalization(Normalization.LN).eps(Float.POSITIVE_INFINITY).modelName("x").build())
                .hasMessage("eps must be a positive finite number, got Infinity");
        assertThat(TransformerConfig.fromJsonMap(Map.of("n_layers", 1L, "d_model", 8L, "n_heads", 2L, "n_ctx", 4L,
                "d_vocab", 5L, "eps", 1e-6), "c.json").eps()).isEqualTo(1e-6f);
    }
}
