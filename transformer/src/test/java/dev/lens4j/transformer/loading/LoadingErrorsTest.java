package dev.lens4j.transformer.loading;

import dev.lens4j.tensor.io.DType;
import dev.lens4j.tensor.io.SafetensorsFile;
import dev.lens4j.tensor.io.SafetensorsFormatException;
import dev.lens4j.tensor.io.SafetensorsWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assumptions.assumeThat;

/**
 * Bad checkpoints fail with an exception that names the file and what is wrong, and leave nothing
 * open: after a failure the file is no longer mapped (checked in {@code /proc/self/maps}).
 */
class LoadingErrorsTest {

    @TempDir
    Path dir;

    private Path tinyCopy() throws IOException {
        Files.copy(TinyGpt2.path("hf/config.json"), dir.resolve("config.json"));
        Files.copy(TinyGpt2.path("hf/model.safetensors"), dir.resolve("model.safetensors"));
        return dir.resolve("model.safetensors");
    }

    private LoadedCheckpoint load() throws IOException {
        return HfCheckpoint.read(dir, LoadOptions.noProcessing());
    }

    @Test
    void theMappingCheckSeesAnOpenCheckpoint() throws IOException {
        Path model = tinyCopy();
        LoadedCheckpoint c = load();
        assumeThat(Files.isReadable(Path.of("/proc/self/maps"))).isTrue();
        assertThat(Files.readString(Path.of("/proc/self/maps"))).contains(model.toRealPath().toString());
        c.close();
        assertNotMapped(model);
    }

    @Test
    void truncatedFileNamesTheFile() throws IOException {
        Path model = tinyCopy();
        try (FileChannel ch = FileChannel.open(model, StandardOpenOption.WRITE)) {
            ch.truncate(ch.size() / 2);
        }
        assertThatThrownBy(this::load).isInstanceOf(SafetensorsFormatException.class)
                .hasMessageContaining(model.toString()).hasMessageContaining("past the end");
    }

    @Test
    void headerLengthPastTheEndNamesTheFile() throws IOException {
        tinyCopy();
        Path model = writeRaw(1_000_000, "{}", 0);
        assertThatThrownBy(this::load).isInstanceOf(SafetensorsFormatException.class)
                .hasMessageContaining(model.toString()).hasMessageContaining("header length 1000000");
    }

    @Test
    void malformedJsonHeaderNamesTheFile() throws IOException {
        tinyCopy();
        Path model = writeRaw(-1, "{\"wte.weight\": {\"dtype\": \"F32\",", 0);
        assertThatThrownBy(this::load).isInstanceOf(SafetensorsFormatException.class)
                .hasMessageContaining(model.toString()).hasMessageContaining("JSON");
    }

    @Test
    void offsetsOutsideTheFileNameFileAndTensor() throws IOException {
        tinyCopy();
        Path model = writeRaw(-1, "{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[16,32]}}", 16);
        assertThatThrownBy(this::load).isInstanceOf(SafetensorsFormatException.class)
                .hasMessageContaining(model.toString()).hasMessageContaining("\"b\"");
    }

    @Test
    void overlappingOffsetsNameFileAndTensor() throws IOException {
        tinyCopy();
        Path model = writeRaw(-1, "{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[8,24]}}", 24);
        assertThatThrownBy(this::load).isInstanceOf(SafetensorsFormatException.class)
                .hasMessageContaining(model.toString()).hasMessageContaining("overlap");
    }

    @Test
    void shapeNotMatchingTheConfigNamesTensorAndBothShapesAndUnmaps() throws IOException {
        Path model = tinyCopy();
        Map<String, Object> cfg = JsonFiles.readObject(dir.resolve("config.json"));
        cfg.put("n_inner", 64L);
        SyntheticCheckpoints.writeJson(dir.resolve("config.json"), cfg);
        assertThatThrownBy(this::load).isInstanceOf(CheckpointFormatException.class)
                .hasMessageContaining(model.toString())
                .hasMessageContaining("\"transformer.h.0.mlp.c_fc.weight\" has shape [32, 128]")
                .hasMessageContaining("needs [32, 64]");
        assertNotMapped(model);
    }

    @Test
    void nonFloatDtypeNamesTensorAndDtype() throws IOException {
        tinyCopy();
        rewrite(dir.resolve("model.safetensors"), "transformer.ln_f.bias", DType.I32);
        assertThatThrownBy(this::load).isInstanceOf(CheckpointFormatException.class)
                .hasMessageContaining("\"transformer.ln_f.bias\" has dtype I32");
    }

    @Test
    void missingTensorsAreNamed() throws IOException {
        tinyCopy();
        rewrite(dir.resolve("model.safetensors"), "transformer.h.1.mlp.c_fc.bias", null);
        assertThatThrownBy(this::load).isInstanceOf(CheckpointFormatException.class)
                .hasMessageContaining("1 gpt2 tensor is missing: [transformer.h.1.mlp.c_fc.bias]");
    }

    @Test
    void loadingWithProcessingChecksTheSameWayAndLeavesNothingMapped() throws IOException {
        Path model = tinyCopy();
        rewrite(model, "transformer.h.1.mlp.c_fc.bias", null);
        assertThatThrownBy(() -> HfCheckpoint.read(dir, LoadOptions.defaults())).isInstanceOf(CheckpointFormatException.class)
                .hasMessageContaining(model.toString())
                .hasMessageContaining("1 gpt2 tensor is missing: [transformer.h.1.mlp.c_fc.bias]");
        assertNotMapped(model);
        tinyCopyOver();
        rewrite(model, "transformer.ln_f.bias", DType.I32);
        assertThatThrownBy(() -> HfCheckpoint.read(dir, LoadOptions.defaults())).isInstanceOf(CheckpointFormatException.class)
                .hasMessageContaining("\"transformer.ln_f.bias\" has dtype I32");
        assertNotMapped(model);
        // and a good one: processed, read with plain reads, nothing left mapped
        tinyCopyOver();
        try (LoadedCheckpoint c = HfCheckpoint.read(dir, LoadOptions.defaults())) {
            assertThat(c.owner()).isNull();
            assertNotMapped(model);
        }
    }

    private void tinyCopyOver() throws IOException {
        Files.copy(TinyGpt2.path("hf/model.safetensors"), dir.resolve("model.safetensors"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }

    @Test
    void moreLayersThanTheConfigSaysIsAnError() throws IOException {
        tinyCopy();
        Map<String, Object> cfg = JsonFiles.readObject(dir.resolve("config.json"));
        cfg.put("n_layer", 1L);
        SyntheticCheckpoints.writeJson(dir.resolve("config.json"), cfg);
        assertThatThrownBy(this::load).isInstanceOf(CheckpointFormatException.class)
                .hasMessageContaining("transformer.h.1.").hasMessageContaining("n_layer / num_hidden_layers 1");
    }

    @Test
    void missingOrBadConfigIsNamed() throws IOException {
        tinyCopy();
        Files.delete(dir.resolve("config.json"));
        assertThatThrownBy(this::load).isInstanceOf(NoSuchFileException.class).hasMessageContaining("config.json");

        Files.writeString(dir.resolve("config.json"), "{\"n_embd\": 32,");
        assertThatThrownBy(this::load).isInstanceOf(CheckpointFormatException.class)
                .hasMessageContaining(dir.resolve("config.json").toString()).hasMessageContaining("JSON");

        Map<String, Object> cfg = JsonFiles.readObject(TinyGpt2.path("hf/config.json"));
        cfg.put("n_embd", "32");
        SyntheticCheckpoints.writeJson(dir.resolve("config.json"), cfg);
        assertThatThrownBy(this::load).isInstanceOf(CheckpointFormatException.class)
                .hasMessageContaining(dir.resolve("config.json").toString())
                .hasMessageContaining("\"n_embd\" must be a positive integer below 2^31, got \"32\"");

        cfg.put("n_embd", 32L);
        cfg.remove("n_head");
        SyntheticCheckpoints.writeJson(dir.resolve("config.json"), cfg);
        assertThatThrownBy(this::load).isInstanceOf(CheckpointFormatException.class).hasMessageContaining("missing key \"n_head\"");

        cfg.put("n_head", 4L);
        cfg.put("model_type", "mamba");
        SyntheticCheckpoints.writeJson(dir.resolve("config.json"), cfg);
        assertThatThrownBy(this::load).isInstanceOf(CheckpointFormatException.class).hasMessageContaining("\"mamba\"")
                .hasMessageContaining("[gpt2, gpt_neox, llama, mistral, qwen2, qwen3, gemma, gemma2, phi3]");

        cfg.put("model_type", "gpt2");
        cfg.put("scale_attn_by_inverse_layer_idx", true);
        SyntheticCheckpoints.writeJson(dir.resolve("config.json"), cfg);
        assertThatThrownBy(this::load).isInstanceOf(CheckpointFormatException.class)
                .hasMessageContaining("scale_attn_by_inverse_layer_idx");
    }

    @Test
    void missingFolderOrWeightsAreNamed() throws IOException {
        Path nowhere = dir.resolve("no-such-model");
        assertThatThrownBy(() -> HfCheckpoint.read(nowhere, LoadOptions.noProcessing()))
                .isInstanceOf(NoSuchFileException.class).hasMessageContaining("no-such-model");
        Files.copy(TinyGpt2.path("hf/config.json"), dir.resolve("config.json"));
        assertThatThrownBy(this::load).isInstanceOf(NoSuchFileException.class)
                .hasMessageContaining("model.safetensors");
    }

    @Test
    void missingShardIsNamedAndTheOtherShardsAreUnmapped() throws IOException {
        for (String f : new String[] {"config.json", "model.safetensors.index.json", "model-00001-of-00002.safetensors"}) {
            Files.copy(TinyGpt2.path("hf-sharded/" + f), dir.resolve(f));
        }
        assertThatThrownBy(this::load).isInstanceOf(NoSuchFileException.class)
                .hasMessageContaining("model-00002-of-00002.safetensors");
        assertNotMapped(dir.resolve("model-00001-of-00002.safetensors"));
    }

    @Test
    void lensReaderExplainsAHuggingFaceFolder() throws IOException {
        tinyCopy();
        assertThatThrownBy(() -> LensCheckpoint.read(dir, LoadOptions.noProcessing()))
                .isInstanceOf(CheckpointFormatException.class).hasMessageContaining("Hugging Face config");
    }

    /** Writes model.safetensors from a header text and {@code dataBytes} zero bytes; length -1 means the real one. */
    private Path writeRaw(long headerLength, String header, int dataBytes) throws IOException {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + h.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(headerLength < 0 ? h.length : headerLength).put(h);
        Path model = dir.resolve("model.safetensors");
        Files.write(model, b.array());
        return model;
    }

    /** Rewrites a checkpoint with one tensor dropped (dtype null) or stored as another dtype. */
    private static void rewrite(Path file, String tensor, DType dtype) throws IOException {
        SafetensorsWriter w = new SafetensorsWriter();
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            for (String n : f.names()) {
                float[] v = f.readFloats(n);
                if (!n.equals(tensor)) {
                    w.add(n, DType.F32, v, f.info(n).shape());
                } else if (dtype != null) {
                    ByteBuffer raw = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
                    for (float x : v) {
                        raw.putInt(Math.round(x * 1000));
                    }
                    w.addRaw(n, dtype, java.lang.foreign.MemorySegment.ofArray(raw.array()), f.info(n).shape());
                }
            }
        }
        w.write(file);
    }

    private static void assertNotMapped(Path file) throws IOException {
        Path maps = Path.of("/proc/self/maps");
        assumeThat(Files.isReadable(maps)).as("Linux /proc").isTrue();
        assertThat(Files.readString(maps)).doesNotContain(file.toRealPath().toString());
    }
}
