package dev.lens4j.transformer.loading;

import dev.lens4j.transformer.Normalization;
import dev.lens4j.transformer.Activation;
import dev.lens4j.tensor.Tensor;
import dev.lens4j.tensor.fuzz.Fuzz;
import dev.lens4j.tensor.internal.Json;
import dev.lens4j.transformer.HookedTransformer;
import dev.lens4j.transformer.TransformerConfig;
import dev.lens4j.transformer.TransformerWeights;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Checkpoint folders with a mutated {@code config.json} or {@code model.safetensors.index.json} load
 * (and the model runs), or fail with an {@link IOException} whose message names a file of the folder
 * ({@link CheckpointFormatException}, {@link dev.lens4j.tensor.io.SafetensorsFormatException},
 * {@link java.nio.file.NoSuchFileException}, {@link java.nio.file.FileSystemException}); never with an
 * unchecked exception. Mutations replace JSON values with edge values (boundary integers, huge
 * floats, wrong types), nudge numbers, drop and add keys (including the other format's keys and
 * switches such as {@code normalization_type}), point shards at folders, links, escapes and missing
 * files, and flip bytes of the text.
 */
class CheckpointFuzzTest {

    /** Cases in CI for each target; a case loads a checkpoint (about 1 ms). */
    static final int CASES = Fuzz.cases(5_000);

    /** Keys of both config formats and TransformerLens switches, to set and remove. */
    private static final String[] CONFIG_KEYS = {"n_embd", "n_layer", "n_head", "n_positions", "n_ctx", "vocab_size", "n_inner",
            "activation_function", "layer_norm_epsilon", "model_type", "scale_attn_weights", "scale_attn_by_inverse_layer_idx",
            "add_cross_attention", "torch_dtype", "bos_token_id", "d_model", "n_layers", "n_heads", "d_head", "d_mlp", "d_vocab",
            "act_fn", "normalization_type", "attn_only", "eps", "use_attn_result", "use_split_qkv_input", "use_hook_mlp_in",
            "use_attn_in", "use_hook_tokens", "positional_embedding_type", "model_name"};
    /** Values that a config plausibly holds: the format's own, near misses, and the unsupported. */
    private static final Object[] PLAUSIBLE = {1L, 2L, 3L, 4L, 8L, 16L, 32L, 101L, 50257L, 1_000_000_000L, "LN", "LNPre", "RMS",
            "none", "gelu_new", "gelu", "relu", "solu", "standard", "rotary", "gpt2", "llama", true, false, 1e-5, 0.0};

    @TempDir
    Path dir;

    @Test
    void everyMutatedConfigLoadsOrIsRefusedNamingTheFile() throws IOException {
        List<Path> folders = List.of(hfFolder(dir.resolve("hf")), lensFolder(dir.resolve("lens-ln"), "LN", false),
                lensFolder(dir.resolve("lens-attn-only"), "none", true));
        List<Map<String, Object>> configs = new ArrayList<>();
        for (Path f : folders) {
            configs.add(JsonFiles.readObject(f.resolve("config.json")));
        }
        Map<String, Integer> outcomes = Fuzz.run("config", CASES, (r, input) -> {
            int k = r.nextInt(folders.size());
            Path folder = folders.get(k);
            Map<String, Object> cfg = new LinkedHashMap<>(configs.get(k));
            int steps = 1 + r.nextInt(3);
            for (int s = 0; s < steps; s++) {
                mutateConfig(cfg, r, input);
            }
            byte[] text = Json.write(cfg).getBytes(StandardCharsets.UTF_8);
            if (r.nextInt(10) == 0) {
                text = Fuzz.mutateBytes(text, r, input);
            }
            input.bytes(text);
            Files.write(folder.resolve("config.json"), text);
            return load(folder, r);
        });
        assertThat(outcomes.getOrDefault("ok", 0)).as("configs that loaded and ran").isGreaterThan(CASES / 20);
        assertThat(outcomes.size()).as("distinct outcomes").isGreaterThanOrEqualTo(Math.min(25, CASES / 100));
    }

    @Test
    void everyMutatedShardIndexLoadsOrIsRefusedNamingTheFile() throws IOException {
        Path folder = Files.createDirectories(dir.resolve("sharded"));
        for (String f : new String[] {"config.json", "model.safetensors.index.json", "model-00001-of-00002.safetensors",
                "model-00002-of-00002.safetensors"}) {
            Files.copy(TinyGpt2.path("hf-sharded/" + f), folder.resolve(f));
        }
        Files.createDirectory(folder.resolve("sub"));
        Files.createSymbolicLink(folder.resolve("loop.safetensors"), folder.resolve("loop.safetensors"));
        Files.createSymbolicLink(folder.resolve("dangling.safetensors"), folder.resolve("nowhere"));
        Path index = folder.resolve(MappedSafetensors.INDEX_FILE);
        Map<String, Object> seed = JsonFiles.readObject(index);
        List<String> tensors = new ArrayList<>(((Map<?, ?>) seed.get("weight_map")).keySet().stream().map(String::valueOf).toList());
        Map<String, Integer> outcomes = Fuzz.run("shard-index", CASES, (r, input) -> {
            Map<String, Object> json = copy(seed);
            int steps = 1 + r.nextInt(3);
            for (int s = 0; s < steps; s++) {
                mutateIndex(json, tensors, r, input);
            }
            byte[] text = Json.write(json).getBytes(StandardCharsets.UTF_8);
            if (r.nextInt(10) == 0) {
                text = Fuzz.mutateBytes(text, r, input);
            }
            input.bytes(text);
            Files.write(index, text);
            return load(folder, r);
        });
        assertThat(outcomes.getOrDefault("ok", 0)).as("indexes that loaded and ran").isGreaterThan(CASES / 20);
        assertThat(outcomes.size()).as("distinct outcomes").isGreaterThanOrEqualTo(Math.min(12, CASES / 100));
    }

    /**
     * Loads the folder (with or without processing), runs the model on two tokens, and returns
     * "ok"; or returns the kind of a refusal that names a file of the folder.
     */
    private static String load(Path folder, SplittableRandom r) throws Exception {
        LoadOptions options = Fuzz.pick(r, LoadOptions.noProcessing(), LoadOptions.defaults());
        LoadedCheckpoint c;
        try {
            c = Models.read(folder, options);
        } catch (IOException e) {
            assertThat(e.getMessage()).as("the message names the file").contains(folder.toString());
            return Fuzz.kind(folder.toString(), e).replaceAll("/[^ :]*", "");
        }
        try (HookedTransformer m = c.toModel()) {
            int vocab = m.config().dVocab();
            Tensor logits = m.forward(new int[][] {{0, Math.min(1, vocab - 1)}});
            assertThat(logits.shape()).containsExactly(1, 2, vocab);
        }
        return "ok";
    }


    // ------------------------------------------------------------------ seeds

    private static Path hfFolder(Path d) throws IOException {
        Files.createDirectories(d);
        Files.copy(TinyGpt2.path("hf/config.json"), d.resolve("config.json"));
        Files.copy(TinyGpt2.path("hf/model.safetensors"), d.resolve("model.safetensors"));
        return d;
    }

    private static Path lensFolder(Path d, String norm, boolean attnOnly) throws IOException {
        TransformerConfig cfg = TransformerConfig.builder().nLayers(2).dModel(8).nHeads(2).dHead(4).attnOnly(attnOnly).dMlp(attnOnly ? 0 : 16).nCtx(6).dVocab(7).actFn(Activation.fromTlName("gelu_new")).normalization(Normalization.fromTlName(norm.equals("none") ? null : norm)).modelName("fuzz").build();
        Map<String, Tensor> sd = new LinkedHashMap<>();
        long seed = 1;
        for (Map.Entry<String, int[]> e : TransformerWeights.shapes(cfg).entrySet()) {
            sd.put(e.getKey(), Tensor.randn(seed++, e.getValue()).mul(0.1f));
        }
        LensCheckpoint.save(cfg, TransformerWeights.fromStateDict(cfg, sd, "fuzz"), null, d);
        return d;
    }

    // ------------------------------------------------------------------ mutations

    private static void mutateConfig(Map<String, Object> cfg, SplittableRandom r, Fuzz.Input input) {
        List<String> keys = new ArrayList<>(cfg.keySet());
        switch (r.nextInt(6)) {
            case 0, 1 -> {
                String key = keys.isEmpty() ? Fuzz.pick(r, CONFIG_KEYS) : Fuzz.pick(r, keys);
                Object v = cfg.get(key) instanceof Long l && r.nextBoolean() ? Fuzz.nudge(l, r) : Fuzz.pick(r, PLAUSIBLE);
                cfg.put(key, v);
                input.step(key + " = " + Json.write(v));
            }
            case 2 -> {
                String key = Fuzz.pick(r, CONFIG_KEYS);
                Object v = r.nextBoolean() ? Fuzz.pick(r, PLAUSIBLE) : Fuzz.jsonValue(r);
                cfg.put(key, v);
                input.step(key + " = " + Json.write(v));
            }
            case 3 -> {
                if (!keys.isEmpty()) {
                    String key = Fuzz.pick(r, keys);
                    cfg.remove(key);
                    input.step("remove " + key);
                }
            }
            case 4 -> {
                String key = keys.isEmpty() ? Fuzz.pick(r, CONFIG_KEYS) : Fuzz.pick(r, keys);
                Object v = Fuzz.jsonValue(r);
                cfg.put(key, v);
                input.step(key + " = " + Json.write(v));
            }
            default -> {
                String key = keys.isEmpty() ? "n_layer" : Fuzz.pick(r, keys);
                Object v = Fuzz.interestingLong(r);
                cfg.put(key, v);
                input.step(key + " = " + v);
            }
        }
    }

    @SuppressWarnings("unchecked")
    private static void mutateIndex(Map<String, Object> json, List<String> tensors, SplittableRandom r, Fuzz.Input input) {
        Object wm = json.get("weight_map");
        Map<String, Object> map = wm instanceof Map<?, ?> m ? (Map<String, Object>) m : null;
        switch (r.nextInt(map == null ? 2 : 8)) {
            case 0 -> {
                Object v = r.nextInt(3) == 0 ? new LinkedHashMap<>() : Fuzz.jsonValue(r);
                json.put("weight_map", v);
                input.step("weight_map = " + Json.write(v));
            }
            case 1 -> {
                Object v = Fuzz.jsonValue(r);
                json.put(r.nextBoolean() ? "metadata" : "extra", v);
                input.step("metadata = " + Json.write(v));
            }
            case 2, 3 -> {
                String t = Fuzz.pick(r, tensors);
                Object shard = r.nextInt(5) == 0 ? Fuzz.jsonValue(r) : Fuzz.pick(r, "", "\u0000", ".", "..", "../x.safetensors",
                        "/etc/hostname", "sub", "sub/../model-00001-of-00002.safetensors", "./model-00002-of-00002.safetensors",
                        "config.json", MappedSafetensors.INDEX_FILE, "missing.safetensors", "loop.safetensors",
                        "dangling.safetensors", "model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors");
                map.put(t, shard);
                input.step(t + " -> " + Json.write(shard));
            }
            case 4 -> {
                String t = Fuzz.pick(r, tensors);
                map.remove(t);
                input.step("remove " + t);
            }
            case 5 -> {
                String t = Fuzz.pick(r, "transformer.h.9.attn.bias", "lm_head.weight", "", "wte.weight", "transformer.wte.weight.x");
                Object shard = Fuzz.pick(r, "model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors");
                map.put(t, shard);
                input.step("add " + t + " -> " + shard);
            }
            case 6 -> {
                String a = Fuzz.pick(r, tensors);
                String b = Fuzz.pick(r, tensors);
                Object va = map.get(a);
                map.put(a, map.get(b));
                map.put(b, va);
                input.step("swap the shards of " + a + " and " + b);
            }
            default -> {
                json.remove("weight_map");
                input.step("remove weight_map");
            }
        }
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> copy(Map<String, Object> m) {
        Map<String, Object> out = new LinkedHashMap<>();
        m.forEach((k, v) -> out.put(k, v instanceof Map<?, ?> inner ? copy((Map<String, Object>) inner) : v));
        return out;
    }
}
