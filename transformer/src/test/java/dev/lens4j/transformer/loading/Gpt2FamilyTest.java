package dev.lens4j.transformer.loading;

import dev.lens4j.transformer.Normalization;
import dev.lens4j.transformer.Activation;
import dev.lens4j.tensor.internal.Json;
import dev.lens4j.transformer.TransformerConfig;
import dev.lens4j.transformer.TransformerWeights;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The published configs of the GPT-2 family convert to the shapes of REFERENCE.md, and a checkpoint
 * with exactly the tensor names and shapes of each model, at full size, loads. The full-size files are
 * sparse (header written, data left as a hole), so gpt2-xl's 6.2 GB cost neither disk nor time; a few
 * elements are written to check where the views point.
 */
class Gpt2FamilyTest {

    @ParameterizedTest
    @CsvSource({
            // name,      d_model, layers, heads, d_head, d_mlp, n_ctx, vocab, parameters (tied)
            "gpt2,         768,    12,     12,    64,     3072,  1024,  50257, 124439808",
            "gpt2-medium,  1024,   24,     16,    64,     4096,  1024,  50257, 354823168",
            "gpt2-large,   1280,   36,     20,    64,     5120,  1024,  50257, 774030080",
            "gpt2-xl,      1600,   48,     25,    64,     6400,  1024,  50257, 1557611200",
            "distilgpt2,   768,    6,      12,    64,     3072,  1024,  50257, 81912576",
    })
    void publishedConfigHasTheReferenceShape(String name, int dModel, int layers, int heads, int dHead, int dMlp,
                                             int nCtx, int vocab, long params) throws IOException {
        TransformerConfig cfg = SyntheticCheckpoints.gpt2Config(publishedConfig(name), name);
        assertThat(cfg).isEqualTo(TransformerConfig.builder().nLayers(layers).dModel(dModel).nHeads(heads).dHead(dHead).dMlp(dMlp).nCtx(nCtx).dVocab(vocab).actFn(Activation.fromTlName("gelu_new")).normalization(Normalization.LN).modelName(name).build());
        long count = 0;
        for (int[] shape : SyntheticCheckpoints.gpt2Shapes(cfg).values()) {
            long n = 1;
            for (int d : shape) {
                n *= d;
            }
            count += n;
        }
        assertThat(count).isEqualTo(params);
    }

    @ParameterizedTest
    @CsvSource({"gpt2", "gpt2-medium", "gpt2-large", "gpt2-xl", "distilgpt2"})
    void fullSizeCheckpointWithTheRealNamesAndShapesLoads(String name, @TempDir Path dir) throws IOException {
        Map<String, Object> hf = publishedConfig(name);
        SyntheticCheckpoints.writeJson(dir.resolve("config.json"), hf);
        TransformerConfig cfg = SyntheticCheckpoints.gpt2Config(hf, name);
        int d = cfg.dModel(), h = cfg.nHeads(), dh = cfg.dHead(), last = cfg.nLayers() - 1;
        Map<String, int[]> shapes = SyntheticCheckpoints.gpt2HfShapes(cfg);
        Path file = dir.resolve("model.safetensors");
        long dataStart = SyntheticCheckpoints.writeSparse(file, shapes);
        // Mark c_attn[r, d + i*dh + j] of the last layer (head i, dim j of the K block), a row of
        // c_proj (head i, dim j) and wte[token, c].
        int r = d - 3, i = h - 1, j = 5, token = 50256, c = 7;
        SyntheticCheckpoints.poke(file, dataStart + offsetOf(shapes, "transformer.h." + last + ".attn.c_attn.weight")
                + 4L * ((long) r * 3 * d + d + (long) i * dh + j), 1.5f);
        SyntheticCheckpoints.poke(file, dataStart + offsetOf(shapes, "transformer.h." + last + ".attn.c_proj.weight")
                + 4L * ((long) (i * dh + j) * d + c), -2.5f);
        SyntheticCheckpoints.poke(file, dataStart + offsetOf(shapes, "transformer.wte.weight") + 4L * ((long) token * d + c), 3.25f);

        // Non-finite weights allowed: the check would read every page of the sparse file (11.5 GB for the five).
        try (LoadedCheckpoint ckpt = HfCheckpoint.read(dir, LoadOptions.noProcessing().allowingNonFiniteWeights())) {
            assertThat(ckpt.config()).isEqualTo(cfg.withModelName("gpt2")); // the model_type: the config names no model
            // transformers' num_parameters() of the published config (tools/reference/make_parameter_counts.py)
            assertThat(ckpt.parameterCount()).isEqualTo(ParameterCountTest.hfCount("hf-configs/" + name));
            TransformerWeights w = ckpt.weights();
            assertThat(w.layers()).hasSize(cfg.nLayers());
            TransformerWeights.Layer l = w.layers().get(last);
            assertThat(l.wK().shape()).containsExactly(h, d, dh);
            assertThat(l.wK().get(i, r, j)).isEqualTo(1.5f);
            assertThat(l.wQ().get(i, r, j)).isZero();
            assertThat(l.wO().get(i, j, c)).isEqualTo(-2.5f);
            assertThat(w.wE().get(token, c)).isEqualTo(3.25f);
            assertThat(w.wU().get(c, token)).isEqualTo(3.25f);
            assertThat(w.wU().shape()).containsExactly(d, cfg.dVocab());
            assertThat(l.wIn().shape()).containsExactly(d, cfg.dMlp());
            assertThat(w.stateDict().values().stream().filter(t -> t.isHeap()).count())
                    .as("only b_U (absent from GPT-2 checkpoints) is allocated").isEqualTo(1);
        }
    }

    private static long offsetOf(Map<String, int[]> shapes, String name) {
        long off = 0;
        for (Map.Entry<String, int[]> e : shapes.entrySet()) {
            if (e.getKey().equals(name)) {
                return off;
            }
            long n = 4;
            for (int x : e.getValue()) {
                n *= x;
            }
            off += n;
        }
        throw new IllegalArgumentException(name);
    }

    static Map<String, Object> publishedConfig(String name) throws IOException {
        try (InputStream in = Gpt2FamilyTest.class.getResourceAsStream("/hf-configs/" + name + "/config.json")) {
            assertThat(in).as(name).isNotNull();
            return Json.parseObject(new String(in.readAllBytes(), StandardCharsets.UTF_8));
        }
    }
}
