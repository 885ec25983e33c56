package dev.lens4j.transformer.loading;

import dev.lens4j.tensor.Tensor;
import dev.lens4j.tensor.io.DType;
import dev.lens4j.tensor.io.SafetensorsFile;
import dev.lens4j.tensor.io.TensorInfo;
import dev.lens4j.transformer.HookedTransformer;
import dev.lens4j.transformer.TransformerConfig;
import dev.lens4j.transformer.TransformerWeights;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Weights holding NaN or infinity are refused at load time, naming the file, the tensor and the first
 * bad element, on every reading path (mapped F32 views, F32 read in blocks for processing, converted
 * F16, the sharded and class-path sources share these readers); {@link LoadOptions#allowingNonFiniteWeights()}
 * loads them anyway.
 */
class NonFiniteWeightsTest {

    @TempDir
    Path dir;

    private static final TransformerConfig CFG = TransformerConfig.gpt2(2, 16, 2, 8, 11);

    /** Writes one float into the tensor's data, at a flat index. */
    private static void set(Path file, String tensor, long index, float value) throws IOException {
        long offset;
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            TensorInfo t = f.info(tensor);
            assertThat(t.dtype()).isEqualTo(DType.F32);
            offset = t.fileOffset() + 4 * index;
        }
        SyntheticCheckpoints.poke(file, offset, value);
    }

    @Test
    void aNanInAnF32HuggingFaceCheckpointIsRefusedOnBothReadingPaths() throws IOException {
        SyntheticCheckpoints.writeHf(dir, CFG, DType.F32, "transformer.");
        Path file = dir.resolve("model.safetensors");
        // c_attn [16, 48]: element [3, 17] is flat index 3 * 48 + 17 = 161; a later +inf is counted too
        set(file, "transformer.h.1.attn.c_attn.weight", 161, Float.NaN);
        set(file, "transformer.h.1.attn.c_attn.weight", 700, Float.POSITIVE_INFINITY);
        String expected = file + ": tensor \"transformer.h.1.attn.c_attn.weight\" [16, 48] holds NaN at [3, 17] (flat index 161), "
                + "the first of 2 non-finite values (1 NaN, 1 +inf, 0 -inf) among 768; lens4j refuses weights that are not "
                + "finite (LoadOptions.allowingNonFiniteWeights() loads them, to debug the checkpoint)";
        for (LoadOptions o : new LoadOptions[] {LoadOptions.noProcessing(), LoadOptions.defaults()}) {
            assertThatThrownBy(() -> Models.fromPretrained(dir, o)).as(o.toString())
                    .isInstanceOf(CheckpointFormatException.class).hasMessage(expected);
        }
        try (HookedTransformer m = Models.fromPretrained(dir, LoadOptions.noProcessing().allowingNonFiniteWeights())) {
            // W_Q of layer 1 is c_attn[:, 0:16] as [head, d_model, d_head]: column 17 is W_K's head 0, dimension 1
            assertThat(m.weights().layers().get(1).wK().get(0, 3, 1)).isNaN();
            assertThat(m.forward(new int[][] {{1, 2, 3}}).toArray()).contains(Float.NaN);
        }
    }

    @Test
    void anInfinityInAnF16CheckpointIsRefused() throws IOException {
        Path f16 = dir.resolve("f16");
        SyntheticCheckpoints.writeHf(f16, CFG, DType.F16, "");
        // write an F16 infinity (0x7c00) into wte.weight [11, 16] at [2, 5]: bytes of element 37
        Path file = f16.resolve("model.safetensors");
        long offset;
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            offset = f.info("wte.weight").fileOffset() + 2 * 37;
        }
        try (var ch = java.nio.channels.FileChannel.open(file, java.nio.file.StandardOpenOption.WRITE)) {
            ch.write(java.nio.ByteBuffer.wrap(new byte[] {0x00, (byte) 0xfc}), offset); // -inf, little-endian
        }
        assertThatThrownBy(() -> Models.fromPretrainedNoProcessing(f16)).isInstanceOf(CheckpointFormatException.class)
                .hasMessageStartingWith(file + ": tensor \"wte.weight\" [11, 16] holds -inf at [2, 5] (flat index 37), "
                        + "the first of 1 non-finite values (0 NaN, 0 +inf, 1 -inf)");
    }

    @Test
    void aNanInALensCheckpointIsRefusedUnlessAllowed() throws IOException {
        Map<String, Tensor> sd = new LinkedHashMap<>();
        long seed = 3;
        for (Map.Entry<String, int[]> e : TransformerWeights.shapes(CFG).entrySet()) {
            sd.put(e.getKey(), Tensor.randn(seed++, e.getValue()).mul(0.1f));
        }
        sd.get("blocks.0.attn.W_V").set(Float.NaN, 1, 4, 6);
        LensCheckpoint.save(CFG, TransformerWeights.fromStateDict(CFG, sd, "test"), null, dir);
        assertThatThrownBy(() -> Models.fromPretrained(dir)).isInstanceOf(CheckpointFormatException.class)
                .hasMessageStartingWith(dir.resolve("model.safetensors") + ": tensor \"blocks.0.attn.W_V\" [2, 16, 8] holds NaN "
                        + "at [1, 4, 6] (flat index " + (128 + 4 * 8 + 6) + "), the first of 1 non-finite values");
        try (HookedTransformer m = Models.fromPretrained(dir, LoadOptions.defaults().allowingNonFiniteWeights())) {
            assertThat(m.config().nLayers()).isEqualTo(2);
        }
    }

    @Test
    void flatIndicesReadAsMultiIndices() {
        assertThat(FiniteWeights.index(new int[] {4, 64, 16}, 0)).isEqualTo("[0, 0, 0]");
        assertThat(FiniteWeights.index(new int[] {4, 64, 16}, 64 * 16 + 17)).isEqualTo("[1, 1, 1]");
        assertThat(FiniteWeights.index(new int[] {7}, 6)).isEqualTo("[6]");
        assertThat(FiniteWeights.index(new int[] {}, 0)).isEqualTo("[]");
    }
}
