package dev.lens4j.transformer.loading;

import dev.lens4j.tensor.internal.Json;
import dev.lens4j.transformer.HookedTransformer;
import dev.lens4j.transformer.TransformerConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The name a loaded checkpoint goes by ({@link TransformerConfig#modelName()}), which every command and
 * report shows: what the checkpoint says about itself first, its folder's name only as a last resort.
 * Before, a Hugging Face folder went by its folder's name, so every family fixture was called "hf".
 */
class ModelNameTest {

    /** A copy of the tiny GPT-2 checkpoint in {@code dir}, its config.json changed by {@code edit}. */
    private static Path copy(Path dir, java.util.function.Consumer<Map<String, Object>> edit) throws IOException {
        Files.createDirectories(dir);
        Files.copy(TinyGpt2.path("hf/model.safetensors"), dir.resolve("model.safetensors"));
        Map<String, Object> config = new java.util.LinkedHashMap<>(Json.parseObject(Files.readString(TinyGpt2.path("hf/config.json"))));
        edit.accept(config);
        Files.writeString(dir.resolve("config.json"), Json.write(config));
        return dir;
    }

    private static String nameOf(Path dir) throws IOException {
        try (HookedTransformer m = Models.fromPretrained(dir)) {
            return m.config().modelName();
        }
    }

    @Test
    void aHuggingFaceFolderGoesByItsModelTypeNotTheFolderName() throws IOException {
        assertThat(TinyGpt2.path("hf").getFileName().toString()).isEqualTo("hf");
        assertThat(nameOf(TinyGpt2.path("hf"))).isEqualTo("gpt2");
        assertThat(nameOf(Path.of("src/test/resources/reference/families/llama/hf"))).isEqualTo("llama");
        assertThat(nameOf(Path.of("src/test/resources/reference/families/gpt_neox/hf"))).isEqualTo("gpt_neox");
    }

    @Test
    void nameOrPathNamesTheModelWhenItIsAHubId(@TempDir Path tmp) throws IOException {
        // transformers 4's save_pretrained wrote the id the model was loaded by
        assertThat(nameOf(copy(tmp.resolve("a"), c -> c.put("_name_or_path", "openai-community/gpt2")))).isEqualTo("openai-community/gpt2");
        assertThat(nameOf(copy(tmp.resolve("b"), c -> c.put("_name_or_path", "distilgpt2")))).isEqualTo("distilgpt2");
        // a local path names no model: the model type instead
        assertThat(nameOf(copy(tmp.resolve("c"), c -> c.put("_name_or_path", "/home/me/checkpoints/run-3")))).isEqualTo("gpt2");
        assertThat(nameOf(copy(tmp.resolve("d"), c -> c.put("_name_or_path", "./out")))).isEqualTo("gpt2");
        assertThat(nameOf(copy(tmp.resolve("e"), c -> c.put("_name_or_path", "")))).isEqualTo("gpt2");
    }

    @Test
    void aCacheSnapshotGoesByItsRepository() throws IOException {
        assertThat(nameOf(TinyGpt2.path("hf-cache").resolve("models--tiny-gpt2"))).isEqualTo("tiny-gpt2");
    }

    @Test
    void aLensCheckpointGoesByItsModelNameAndItsFolderOnlyWithout(@TempDir Path tmp) throws IOException {
        try (HookedTransformer m = Models.fromPretrainedNoProcessing(TinyGpt2.path("hf"))) {
            LensCheckpoint.save(m.config().withModelName("my-model"), m.weights(), null, tmp.resolve("named"));
            LensCheckpoint.save(m.config(), m.weights(), null, tmp.resolve("unnamed-folder"));
        }
        assertThat(nameOf(tmp.resolve("named"))).isEqualTo("my-model");
        Path config = tmp.resolve("unnamed-folder/config.json");
        Map<String, Object> json = new java.util.LinkedHashMap<>(Json.parseObject(Files.readString(config)));
        json.remove("model_name");
        Files.writeString(config, Json.write(json));
        assertThat(nameOf(tmp.resolve("unnamed-folder"))).isEqualTo("unnamed-folder");
    }
}
