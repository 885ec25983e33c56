package dev.lens4j.transformer.loading;

import dev.lens4j.tensor.Tensor;
import dev.lens4j.tensor.internal.Json;
import dev.lens4j.tensor.io.SafetensorsFile;
import dev.lens4j.transformer.AttentionType;
import dev.lens4j.transformer.ForwardOptions;
import dev.lens4j.transformer.HookedTransformer;
import dev.lens4j.transformer.KvCache;
import dev.lens4j.transformer.PositionalEmbedding;
import dev.lens4j.transformer.ReferenceChecks;
import dev.lens4j.transformer.TransformerConfig;
import dev.lens4j.transformer.generation.GenerationConfig;
import dev.lens4j.transformer.generation.GenerationResult;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * What every family must do beyond matching the references on one batch: KV-cached decoding equal to
 * recomputing the whole sequence (grouped K/V heads, rotary offsets, sliding windows), left padding
 * equal to each sequence run alone (rotary positions count real tokens), configs written by
 * transformers 4 read as the transformers 5 ones, and bad values refused by name.
 */
class FamilyBehaviourTest {

    private static final Path ROOT = FamilyReferenceTest.ROOT;

    private static int[][] tokens(String family) throws IOException {
        try (SafetensorsFile f = SafetensorsFile.open(ROOT.resolve(family).resolve("hf-logits.safetensors"))) {
            return ReferenceChecks.ints(f, "tokens");
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"gpt2", "gpt_neox", "llama", "mistral", "qwen2", "qwen3", "gemma", "gemma2", "phi3"})
    void kvCachedDecodingEqualsRecomputingTheSequence(String family) throws IOException {
        int[] seq = tokens(family)[1];                                   // 12 tokens; windows of 5 slide over them
        try (HookedTransformer m = HfCheckpoint.load(ROOT.resolve(family).resolve("hf"), LoadOptions.noProcessing())) {
            Tensor full = m.forward(new int[][] {seq});                   // [1, 12, V]
            KvCache kv = m.newKvCache(1);
            ForwardOptions o = ForwardOptions.builder().kvCache(kv).build();
            Tensor first = m.run(new int[][] {java.util.Arrays.copyOf(seq, 4)}, o).output();
            ReferenceChecks.check(family + " prompt pass", first, full.slice(1, 0, 4));
            for (int t = 4; t < seq.length; t++) {
                Tensor step = m.run(new int[][] {{seq[t]}}, o).output();  // [1, 1, V]
                ReferenceChecks.check(family + " cached step " + t, step, full.slice(1, t, t + 1));
            }
            assertThat(kv.length()).isEqualTo(seq.length);
            // generate() with and without the cache agree token for token
            GenerationResult cached = m.generate(java.util.Arrays.copyOf(seq, 5),
                    GenerationConfig.builder().maxNewTokens(6).greedy().stopAtEos(false).useKvCache(true).build());
            GenerationResult recomputed = m.generate(java.util.Arrays.copyOf(seq, 5),
                    GenerationConfig.builder().maxNewTokens(6).greedy().stopAtEos(false).useKvCache(false).build());
            assertThat(cached.tokens()).containsExactly(recomputed.tokens());
        }
    }

    /**
     * A closed cache's arrays reused by the next cached pass (gated MLPs, RMS norms, rotary, grouped K/V
     * heads, soft caps, sliding windows): every activation equals that of a pass on new arrays.
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"gpt2", "gpt_neox", "llama", "mistral", "qwen2", "qwen3", "gemma", "gemma2", "phi3"})
    void aClosedCachesArraysGiveTheNextPassTheSameValues(String family) throws IOException {
        int[][] b = tokens(family);
        int[][] a = new int[b.length][];
        for (int i = 0; i < b.length; i++) {
            a[i] = b[b.length - 1 - i].clone();
        }
        try (HookedTransformer m = HfCheckpoint.load(ROOT.resolve(family).resolve("hf"), LoadOptions.noProcessing())) {
            java.util.Map<String, float[]> expected = new java.util.LinkedHashMap<>();
            m.runWithCache(b).cache().asMap().forEach((n, t) -> expected.put(n, t.toArray()));   // never closed
            m.runWithCache(a).cache().close();
            dev.lens4j.hooks.ActivationCache reused = m.runWithCache(b).cache();
            assertThat(reused.names()).containsExactlyElementsOf(expected.keySet());
            expected.forEach((n, v) -> assertThat(reused.get(n).toArray()).as(family + " " + n).containsExactly(v));
        }
    }

    /**
     * Generation with hooks on grouped key/value heads, rotary offsets and sliding windows: a hook that
     * zeroes one key/value head's values ({@code hook_v}, {@code [batch, pos, n_key_value_heads, d_head]})
     * in every pass gives the same tokens with the KV cache as without, and those are the greedy tokens
     * of full forward passes with the same hook; the hook sees one position per cached step.
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"gpt_neox", "llama", "mistral", "qwen2", "gemma", "gemma2", "phi3"})
    void hooksFireInEveryCachedStepOfGeneration(String family) throws IOException {
        int[] prompt = java.util.Arrays.copyOf(tokens(family)[0], 6);
        try (HookedTransformer m = HfCheckpoint.load(ROOT.resolve(family).resolve("hf"), LoadOptions.defaults())) {
            int kv = m.config().nKvHeads(), dh = m.config().dHead();
            java.util.List<int[]> shapes = new java.util.ArrayList<>();
            dev.lens4j.hooks.Hook zeroHead0 = (v, point) -> {
                shapes.add(v.shape());
                Tensor out = v.copy();                              // [batch, pos, n_key_value_heads, d_head]
                out.select(2, 0).copyFrom(Tensor.scalar(0f));
                return out;
            };
            dev.lens4j.hooks.HookSpec hook = dev.lens4j.hooks.HookSpec.of("blocks.1.attn.hook_v", zeroHead0);
            GenerationConfig greedy = GenerationConfig.builder().maxNewTokens(8).greedy().stopAtEos(false).useKvCache(true).build();
            int[] cached = m.generate(prompt, greedy, hook).tokens();
            assertThat(shapes).hasSize(8);
            assertThat(shapes.getFirst()).containsExactly(1, 6, kv, dh);
            for (int[] step : shapes.subList(1, shapes.size())) {
                assertThat(step).containsExactly(1, 1, kv, dh);
            }
            int[] recomputed = m.generate(prompt, GenerationConfig.builder().maxNewTokens(8).greedy().stopAtEos(false)
                    .useKvCache(false).build(), hook).tokens();
            assertThat(cached).containsExactly(recomputed);
            // each new token is the argmax of a full hooked pass over what came before
            for (int t = prompt.length; t < cached.length; t++) {
                Tensor logits = m.runWithHooks(new int[][] {java.util.Arrays.copyOf(cached, t)}, hook).select(0, 0).select(0, t - 1);
                assertThat(logits.argmax()).as(family + " token " + t).isEqualTo(cached[t]);
            }
            // and the hook matters: it moves the logits
            int[][] all = {cached};
            assertThat(m.runWithHooks(all, hook).maxAbsDiff(m.forward(all))).isGreaterThan(1e-3f);
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"gpt_neox", "llama", "mistral", "qwen3", "gemma2"})
    void leftPaddingGivesEachSequenceItsOwnLogits(String family) throws IOException {
        int[][] t = tokens(family);
        int pad = 0, real = 7;
        int[][] batch = {t[0].clone(), new int[12]};
        int[][] mask = {new int[12], new int[12]};
        java.util.Arrays.fill(mask[0], 1);
        for (int i = 0; i < 12; i++) {
            batch[1][i] = i < 12 - real ? pad : t[1][i - (12 - real)];
            mask[1][i] = i < 12 - real ? 0 : 1;
        }
        try (HookedTransformer m = HfCheckpoint.load(ROOT.resolve(family).resolve("hf"), LoadOptions.noProcessing())) {
            Tensor padded = m.run(batch, ForwardOptions.builder().attentionMask(mask).build()).output();
            Tensor alone = m.forward(new int[][] {java.util.Arrays.copyOf(t[1], real)});
            ReferenceChecks.check(family + " left-padded row", padded.select(0, 1).slice(0, 12 - real, 12), alone.select(0, 0));
            ReferenceChecks.check(family + " unpadded row", padded.select(0, 0), m.forward(new int[][] {t[0]}).select(0, 0));
        }
    }

    @Test
    void transformers4SpellingsReadAsTheTransformers5Ones(@TempDir Path tmp) throws IOException {
        // Llama: rope_theta and rope_scaling instead of rope_parameters
        Map<String, Object> llama = config("llama");
        @SuppressWarnings("unchecked")
        Map<String, Object> rope = new LinkedHashMap<>((Map<String, Object>) llama.remove("rope_parameters"));
        llama.put("rope_theta", rope.remove("rope_theta"));
        rope.put("type", rope.remove("rope_type"));                     // the oldest spelling of the type
        llama.put("rope_scaling", rope);
        assertSameConfig("llama", llama, tmp);
        // GPT-NeoX: rotary_pct and rotary_emb_base
        Map<String, Object> neox = config("gpt_neox");
        @SuppressWarnings("unchecked")
        Map<String, Object> nrope = (Map<String, Object>) neox.remove("rope_parameters");
        neox.put("rotary_pct", nrope.get("partial_rotary_factor"));
        neox.put("rotary_emb_base", nrope.get("rope_theta"));
        assertSameConfig("gpt_neox", neox, tmp);
        // Gemma 2 without layer_types: even layers slide, as transformers 4 did
        Map<String, Object> gemma2 = config("gemma2");
        gemma2.remove("layer_types");
        assertSameConfig("gemma2", gemma2, tmp);
    }

    private static Map<String, Object> config(String family) throws IOException {
        return JsonFiles.readObject(ROOT.resolve(family).resolve("hf/config.json"));
    }

    private static void assertSameConfig(String family, Map<String, Object> old, Path tmp) throws IOException {
        TransformerConfig expected = HfCheckpoint.family(new HfConfig(config(family), "new")).config(new HfConfig(config(family), "new"), family);
        TransformerConfig actual = HfCheckpoint.family(new HfConfig(old, "old")).config(new HfConfig(old, "old"), family);
        assertThat(actual).as(family + " in transformers 4 spelling").isEqualTo(expected);
        // and the checkpoint loads with it, giving the same logits
        Path dir = tmp.resolve(family);
        Files.createDirectories(dir);
        Files.copy(ROOT.resolve(family).resolve("hf/model.safetensors"), dir.resolve("model.safetensors"));
        Files.writeString(dir.resolve("config.json"), Json.write(old));
        int[][] t = tokens(family);
        try (HookedTransformer a = HfCheckpoint.load(dir, LoadOptions.noProcessing());
             HookedTransformer b = HfCheckpoint.load(ROOT.resolve(family).resolve("hf"), LoadOptions.noProcessing())) {
            assertThat(a.forward(t).maxAbsDiff(b.forward(t))).isZero();
        }
    }

    @Test
    void theFamiliesReadWhatTheFixturesExercise() throws IOException {
        TransformerConfig gemma2 = load("gemma2");
        assertThat(gemma2.attnTypes()).containsExactly(AttentionType.LOCAL, AttentionType.GLOBAL);
        assertThat(gemma2.windowSize()).isEqualTo(5);
        assertThat(gemma2.attnScoresSoftCap()).isPositive();
        assertThat(gemma2.outputLogitsSoftCap()).isPositive();
        assertThat(gemma2.useNormalizationBeforeAndAfter()).isTrue();
        assertThat(gemma2.attnScale()).isEqualTo((float) Math.sqrt(24));
        TransformerConfig neox = load("gpt_neox");
        assertThat(neox.parallelAttnMlp()).isTrue();
        assertThat(neox.rotaryDim()).isEqualTo(4);                   // 0.25 of d_head 16
        assertThat(neox.positionalEmbedding()).isEqualTo(PositionalEmbedding.ROTARY);
        TransformerConfig llama = load("llama");
        assertThat(llama.useNtkByPartsRope()).isTrue();
        assertThat(llama.nKeyValueHeads()).isEqualTo(2);
        assertThat(load("mistral").attnTypes()).containsOnly(AttentionType.LOCAL);
        assertThat(load("qwen3").useQkNorm()).isTrue();
        assertThat(load("gemma").nKeyValueHeads()).isEqualTo(1);
        assertThat(load("gemma").dHead()).isEqualTo(16);
    }

    private static TransformerConfig load(String family) throws IOException {
        try (LoadedCheckpoint c = HfCheckpoint.read(ROOT.resolve(family).resolve("hf"), LoadOptions.noProcessing())) {
            return c.config();
        }
    }

    @Test
    void badValuesAreRefusedByName(@TempDir Path tmp) throws IOException {
        assertRefused(tmp, "llama", c -> c.put("num_key_value_heads", 3L), "num_attention_heads 4 is not divisible by num_key_value_heads 3");
        assertRefused(tmp, "gpt_neox", c -> ((Map<String, Object>) c.get("rope_parameters")).put("partial_rotary_factor", 0.1875),
                "rotary_dim must be even");                                // 16 * 0.1875 = 3
        // transformers 5.18 ignores the factor for these (the logits equal a factor of 1's), uses it for Phi-3
        for (String family : List.of("llama", "mistral", "qwen2", "qwen3", "gemma", "gemma2")) {
            assertRefused(tmp, family, c -> ((Map<String, Object>) c.get("rope_parameters")).put("partial_rotary_factor", 0.5),
                    "partial_rotary_factor 0.5 is not supported for");
        }
        assertRefused(tmp, "phi3", c -> ((Map<String, Object>) c.get("rope_parameters")).put("partial_rotary_factor", 0.375),
                "rotary_dim must be even");                                // 8 * 0.375 = 3: phi3 reads the factor
        assertRefused(tmp, "llama", c -> ((Map<String, Object>) c.get("rope_parameters")).put("rope_type", "yarn"),
                "rope type \"yarn\" is not supported");
        assertRefused(tmp, "llama", c -> c.put("hidden_act", "mish"), "\"hidden_act\": \"mish\" is not supported");
        assertRefused(tmp, "qwen2", c -> c.put("layer_types", List.of("full_attention", "chunked_attention")),
                "layer type \"chunked_attention\" is not supported");
        assertRefused(tmp, "llama", c -> c.put("model_type", "mamba"), "model_type \"mamba\"");
        assertThatThrownBy(() -> TransformerConfig.builder().nLayers(2).dModel(8).nHeads(2).nCtx(8).dVocab(5).windowSize(4).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("window_size 4 is set but use_local_attn is false");
        assertThatThrownBy(() -> TransformerConfig.builder().nLayers(2).dModel(8).nHeads(2).nCtx(8).dVocab(5).useLocalAttn(true).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("use_local_attn needs attn_types");
        assertThatThrownBy(() -> TransformerConfig.builder().nLayers(2).dModel(8).nHeads(2).dHead(4).nCtx(8).dVocab(5)
                .positionalEmbedding(PositionalEmbedding.ROTARY).rotaryDim(6).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("rotary_dim must be even, positive and at most d_head 4");
    }

    @Test
    void aMissingTensorIsNamedWithTheFamilysName(@TempDir Path tmp) throws IOException {
        Path dir = tmp.resolve("llama");
        Files.createDirectories(dir);
        Files.copy(ROOT.resolve("llama/hf/config.json"), dir.resolve("config.json"));
        try (SafetensorsFile f = SafetensorsFile.open(ROOT.resolve("llama/hf/model.safetensors"))) {
            dev.lens4j.tensor.io.SafetensorsWriter w = new dev.lens4j.tensor.io.SafetensorsWriter();
            for (String n : f.names()) {
                if (!n.equals("model.layers.1.mlp.up_proj.weight")) {
                    w.add(n, dev.lens4j.tensor.io.DType.F32, f.readFloats(n), f.info(n).shape());
                }
            }
            w.write(dir.resolve("model.safetensors"));
        }
        assertThatThrownBy(() -> HfCheckpoint.read(dir, LoadOptions.noProcessing())).isInstanceOf(CheckpointFormatException.class)
                .hasMessageContaining("1 llama tensor is missing: [model.layers.1.mlp.up_proj.weight]");
    }

    @FunctionalInterface
    private interface Edit {
        @SuppressWarnings("unchecked")
        void apply(Map<String, Object> config);
    }

    private static void assertRefused(Path tmp, String family, Edit edit, String message) throws IOException {
        Map<String, Object> c = config(family);
        edit.apply(c);
        Path dir = tmp.resolve(family + "-" + Integer.toHexString(message.hashCode()));
        Files.createDirectories(dir);
        Files.copy(ROOT.resolve(family).resolve("hf/model.safetensors"), dir.resolve("model.safetensors"));
        Files.writeString(dir.resolve("config.json"), Json.write(c));
        assertThatThrownBy(() -> HfCheckpoint.read(dir, LoadOptions.noProcessing())).isInstanceOf(CheckpointFormatException.class)
                .hasMessageContaining(dir.resolve("config.json").toString()).hasMessageContaining(message);
    }
}
