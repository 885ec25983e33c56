package dev.lens4j.transformer.loading;

import dev.lens4j.tensor.Shapes;
import dev.lens4j.tensor.Tensor;
import dev.lens4j.tensor.io.DType;
import dev.lens4j.transformer.HookedTransformer;
import dev.lens4j.transformer.ParameterCount;
import dev.lens4j.transformer.TransformerConfig;
import dev.lens4j.transformer.TransformerWeights;
import dev.lens4j.transformer.loading.family.Families;
import dev.lens4j.transformer.processing.ProcessingOptions;
import dev.lens4j.transformer.processing.WeightProcessing;
import dev.lens4j.transformer.tokenizer.Tokenizer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Loads a Hugging Face checkpoint folder ({@code config.json} plus {@code model.safetensors}, or
 * shards listed in {@code model.safetensors.index.json}) of any supported family
 * ({@link Families}) into TransformerLens layout. {@code config.json}'s {@code model_type} picks the
 * family's {@link ModelFamily}, which translates the config and names the tensors; everything else is
 * here and the same for every family:
 * <ul>
 *   <li>every tensor the config needs is checked (present, float dtype, shape) before any is read, and
 *       a tensor the config does not use is refused, named (buffers such as GPT-2's causal masks and
 *       rotary {@code inv_freq} caches excepted);</li>
 *   <li>without weight processing, float32, bfloat16 and half weights are not copied: the file is
 *       memory-mapped and every weight is a view of the mapping, owned by the returned checkpoint
 *       (closing it unmaps the file); 16-bit weights stay 16-bit and are widened to float32 where they
 *       are read (in GEMM's packing, GEMV's loads, an embedding row), so a bfloat16 model takes about its
 *       file size in memory (F64 weights become float32 heap copies);</li>
 *   <li>with processing, the headers are checked on the mapping, the file is unmapped, and the tensors
 *       are read with positional reads one block at a time (the parameters outside the blocks first),
 *       each block processed before the next is read, so the memory in use peaks at the processed
 *       weights plus one unprocessed block.</li>
 * </ul>
 * Tensor names may carry the prefix of the {@code ...ForCausalLM} class ({@code model.},
 * {@code transformer.}, {@code gpt_neox.}) or not (the base model class). The tokenizer comes from the
 * folder ({@code tokenizer.json}, or {@code vocab.json} and {@code merges.txt}); a model with GPT-2's
 * 50257-token vocabulary and no files gets the built-in GPT-2 tokenizer.
 *
 * <pre>{@code
 * try (LoadedCheckpoint c = HfCheckpoint.read(Path.of("Llama-3.2-1B"), LoadOptions.noProcessing())) {
 *     c.weights().layers().get(0).wQ();   // [32, 2048, 64], a view of the mapped q_proj.weight
 * }
 * }</pre>
 */
public final class HfCheckpoint {

    /** A Hugging Face Hub repository id, {@code name} or {@code org/name}, as huggingface_hub's validate_repo_id accepts it. */
    private static final Pattern HUB_ID = Pattern.compile("(?!.*(--|\\.\\.))(\\b[\\w.-]+\\b/)?\\b[\\w.-]{1,96}\\b");

    private static final Pattern BLOCK = Pattern.compile("(?:[a-z_]+\\.)?(?:h|layers)\\.(\\d+)\\..*");

    private HfCheckpoint() {}

    /**
     * Loads a Hugging Face folder as a model, as {@link #read} then {@link LoadedCheckpoint#toModel()}.
     *
     * @param dir the folder
     * @param options how to load
     * @return the model; closing it unmaps the file
     * @throws IOException as {@link #read}
     */
    public static HookedTransformer load(Path dir, LoadOptions options) throws IOException {
        return read(dir, options).toModel();
    }

    /**
     * Reads a Hugging Face folder and applies the requested weight processing.
     *
     * @param dir the folder (a snapshot folder of the Hugging Face cache works too)
     * @param options how to load
     * @return the checkpoint; close it (or hand it to a model that will) to unmap the file
     * @throws NoSuchFileException if the folder, {@code config.json} or the weights are missing
     * @throws CheckpointFormatException if the config or the tensors do not describe a model lens4j can
     *     build (naming the file, key or tensor and, for a mismatch, both shapes), including a
     *     {@code model_type} of no supported family (the message lists the supported ones)
     * @throws dev.lens4j.tensor.io.SafetensorsFormatException if a weights file is malformed
     * @throws IOException if a file cannot be read
     */
    public static LoadedCheckpoint read(Path dir, LoadOptions options) throws IOException {
        requireDirectory(dir);
        Path configFile = dir.resolve("config.json");
        HfConfig hf = new HfConfig(JsonFiles.readObject(configFile), configFile.toString());
        ModelFamily family = family(hf);
        TransformerConfig cfg = family.config(hf, modelName(hf, dir));
        Tokenizer tok = TokenizerFiles.forCheckpoint(dir, cfg);
        MappedSafetensors src = MappedSafetensors.openDirectory(dir).requireFinite(!options.allowNonFiniteWeights());
        return read(family, hf, cfg, src, tok, options);
    }

    /**
     * The family of a config.
     *
     * @param hf the config
     * @return its family
     * @throws CheckpointFormatException naming the model type and listing the supported ones
     */
    public static ModelFamily family(HfConfig hf) throws CheckpointFormatException {
        String type = hf.modelType();
        if (type == null) {
            throw hf.error("has no \"model_type\"; lens4j reads Hugging Face configs of model_type " + Families.modelTypes());
        }
        return Families.forModelType(type).orElseThrow(() -> hf.error("model_type \"" + type + "\""
                + (hf.architecture() != null ? " (" + hf.architecture() + ")" : "") + " is not supported; lens4j loads "
                + Families.modelTypes() + " (see docs/ARCHITECTURES.md)"));
    }

    /**
     * Reads the tensors of an opened checkpoint. Takes over {@code src}: on success it belongs to the
     * returned checkpoint (or is closed, when every weight was copied), on failure it is closed.
     */
    static LoadedCheckpoint read(ModelFamily family, HfConfig hf, TransformerConfig cfg, MappedSafetensors src, Tokenizer tok,
                                 LoadOptions options) throws IOException {
        ProcessingOptions processing = options.processing();
        ModelFamily.Layout layout;
        ParameterCount count;
        try {
            layout = check(family, hf, cfg, src);
            // as transformers' num_parameters(): the checkpoint's tensors, a tied lm_head not among them
            count = ParameterCount.of(family.checkpointShapes(cfg, hf).values(), layout.tied());
        } catch (IOException | RuntimeException | Error e) {
            src.close();
            throw e;
        }
        boolean viewsOfTheFile = processing.isNone() && !src.isHeap()
                && src.names().stream().anyMatch(n -> src.dtype(n) == DType.F32 || src.dtype(n) == DType.BF16 || src.dtype(n) == DType.F16);
        if (viewsOfTheFile) {
            try {
                return new LoadedCheckpoint(cfg, convert(family, cfg, src, layout, null), tok, src, count);
            } catch (IOException | RuntimeException | Error e) {
                src.close();
                throw e;
            }
        }
        if (src.isHeap()) {
            // bytes already in memory (a class-path resource): nothing to unmap
            TransformerWeights w = convert(family, cfg, src, layout, processing);
            return new LoadedCheckpoint(WeightProcessing.processedConfig(cfg, processing), w, tok, null, count);
        }
        // Every weight is read into a heap array (processing copies most of them anyway, and computes
        // in float32 as TransformerLens does): unmap, then read the tensors from the files one block at a time, so that neither
        // the mapping nor more than one unprocessed block is held while the copies grow.
        FileTensors files;
        try {
            files = FileTensors.of(src);
        } finally {
            src.close();
        }
        try (files) {
            TransformerWeights w = convert(family, cfg, files, layout, processing);
            return new LoadedCheckpoint(WeightProcessing.processedConfig(cfg, processing), w, tok, null, count);
        }
    }

    /**
     * Converts the checked tensors of {@code src}: the parameters outside the blocks first, then each
     * block as soon as it is read; with processing, each part is processed at once (so a copying step
     * holds one unprocessed block at a time), and a block's Q, K and V are fused into one matrix, which
     * the forward pass would otherwise copy them into while every separate one is held.
     */
    private static TransformerWeights convert(ModelFamily family, TransformerConfig cfg, TensorSource src, ModelFamily.Layout layout,
                                              ProcessingOptions processing) throws IOException {
        ModelFamily.Source s = source(src, layout.prefix());
        Map<String, Tensor> sd = new LinkedHashMap<>();
        Map<String, int[]> shapes = TransformerWeights.shapes(cfg);
        family.ends(cfg, s, layout.tied(), sd);
        zeroBiases(shapes, "", sd);
        boolean process = processing != null && !processing.isNone();
        if (process) {
            WeightProcessing.processEnds(cfg, sd, processing);
        }
        for (int l = 0; l < cfg.nLayers(); l++) {
            Map<String, Tensor> block = new LinkedHashMap<>();
            family.block(cfg, l, s, block);
            zeroBiases(shapes, "blocks." + l + ".", block);
            if (process) {
                WeightProcessing.processBlock(cfg, l, block, processing);
                TransformerWeights.fuseQkv(cfg, l, block);
            }
            sd.putAll(block);
        }
        TransformerConfig out = process ? WeightProcessing.processedConfig(cfg, processing) : cfg;
        try {
            return TransformerWeights.fromStateDict(out, sd, src.describe());
        } catch (IllegalArgumentException e) {
            throw new CheckpointFormatException(src.describe(), "the " + family.name() + " conversion gave unusable weights: "
                    + e.getMessage(), e);
        }
    }

    /**
     * Puts zeros for the biases a family's checkpoints do not have (Llama's, GPT-2's b_U) among the
     * parameters whose names start with {@code prefix} (outside the blocks for {@code ""}), as
     * TransformerLens's conversions do, so that every step of weight processing finds them.
     */
    private static void zeroBiases(Map<String, int[]> shapes, String prefix, Map<String, Tensor> out) {
        for (Map.Entry<String, int[]> e : shapes.entrySet()) {
            String n = e.getKey();
            boolean mine = prefix.isEmpty() ? !n.startsWith("blocks.") : n.startsWith(prefix);
            if (mine && TransformerWeights.isOptionalBias(n) && !out.containsKey(n)) {
                out.put(n, Tensor.zeros(e.getValue()));
            }
        }
    }

    /** The tensors of {@code src} by name relative to the base prefix ({@code "/name"}: outside it). */
    private static ModelFamily.Source source(TensorSource src, String prefix) {
        return new ModelFamily.Source() {
            @Override
            public Tensor get(String name) throws IOException {
                return src.tensor(full(name, prefix));
            }

            @Override
            public boolean has(String name) {
                return src.contains(full(name, prefix));
            }
        };
    }

    private static String full(String name, String prefix) {
        return name.startsWith("/") ? name.substring(1) : prefix + name;
    }

    /**
     * Checks every tensor the config needs (present, float dtype, shape), that no other tensor is in
     * the checkpoint (buffers aside), and finds the prefix.
     */
    private static ModelFamily.Layout check(ModelFamily family, HfConfig hf, TransformerConfig cfg, TensorSource src)
            throws CheckpointFormatException {
        TensorSource.requireRoomForLayers(src, cfg.nLayers(), family.layersKey());
        String prefix = src.contains(family.basePrefix() + family.embeddingName()) ? family.basePrefix() : "";
        boolean tied = family.tied(hf);
        Map<String, int[]> expected = family.tensors(cfg, hf, tied);
        List<String> missing = new ArrayList<>();
        List<String> expectedFull = new ArrayList<>();
        for (Map.Entry<String, int[]> e : expected.entrySet()) {
            String name = full(e.getKey(), prefix);
            expectedFull.add(name);
            if (!src.contains(name)) {
                missing.add(name);
                continue;
            }
            checkTensor(cfg, src, name, e.getValue());
        }
        if (!missing.isEmpty()) {
            throw new CheckpointFormatException(src.describe(), missing.size() + " " + family.name() + " tensor"
                    + (missing.size() == 1 ? " is" : "s are") + " missing: " + abbreviate(missing)
                    + " (the file has " + abbreviate(new ArrayList<>(src.names())) + ")");
        }
        List<String> unused = new ArrayList<>();
        for (String name : src.names()) {
            if (expectedFull.contains(name)) {
                continue;
            }
            String relative = name.startsWith(prefix) ? name.substring(prefix.length()) : name;
            if (family.isBuffer(relative)) {
                continue;
            }
            Matcher m = BLOCK.matcher(name);
            if (m.matches() && (m.group(1).length() > 9 || Integer.parseInt(m.group(1)) >= cfg.nLayers())) {
                throw new CheckpointFormatException(src.fileOf(name), "has tensor \"" + name + "\" but the config says "
                        + cfg.nLayers() + " layers (n_layer / num_hidden_layers " + cfg.nLayers() + ")");
            }
            unused.add(name);
        }
        if (!unused.isEmpty()) {
            String hint = unused.stream().anyMatch(n -> n.endsWith("lm_head.weight") || n.endsWith("embed_out.weight"))
                    ? "; the config says tie_word_embeddings " + tied : "";
            throw new CheckpointFormatException(src.describe(), "has " + unused.size() + " tensor" + (unused.size() == 1 ? "" : "s")
                    + " the " + family.name() + " config does not use: " + abbreviate(unused) + hint);
        }
        return new ModelFamily.Layout(prefix, tied);
    }

    private static void checkTensor(TransformerConfig cfg, TensorSource src, String name, int... shape) throws CheckpointFormatException {
        DType t = src.dtype(name);
        if (!TensorSource.isReadableFloat(t)) {
            throw TensorSource.unsupportedDtype(src.fileOf(name), name, t);
        }
        int[] actual = src.shape(name);
        if (!Arrays.equals(actual, shape)) {
            throw new CheckpointFormatException(src.fileOf(name), "tensor \"" + name + "\" has shape " + Shapes.str(actual)
                    + ", but the config (d_model " + cfg.dModel() + ", n_heads " + cfg.nHeads() + ", n_key_value_heads "
                    + cfg.nKvHeads() + ", d_head " + cfg.dHead() + ", d_mlp " + cfg.dMlp() + ", n_ctx " + cfg.nCtx()
                    + ", d_vocab " + cfg.dVocab() + ") needs " + Shapes.str(shape));
        }
    }

    /**
     * The name a Hugging Face checkpoint goes by ({@link TransformerConfig#modelName()}), from what it
     * says about itself first: its config's {@code _name_or_path} when that is a Hub id ({@code gpt2},
     * {@code org/name}; transformers 4 wrote a local path there for a model loaded from a folder, and
     * a path names no model), else the repository of a Hugging Face cache snapshot
     * ({@code models--org--name/snapshots/REV}), else the config's {@code model_type} ({@code llama}):
     * transformers 5's {@code save_pretrained} no longer writes {@code _name_or_path}. The folder's own
     * name ({@code hf}, {@code checkpoint-500}) says least, and is never used for a Hugging Face config,
     * which always has a model type.
     */
    static String modelName(HfConfig hf, Path dir) {
        if (hf.json().get("_name_or_path") instanceof String s && HUB_ID.matcher(s).matches()) {
            return s;
        }
        String repo = cacheRepoId(dir);
        return repo != null ? repo : hf.modelType();
    }

    /** The repository of a Hugging Face cache snapshot folder ({@code models--org--name/snapshots/REV}), or null. */
    private static String cacheRepoId(Path dir) {
        Path abs = dir.toAbsolutePath().normalize();
        Path parent = abs.getParent();
        if (parent != null && parent.getFileName() != null && parent.getFileName().toString().equals("snapshots")) {
            Path repo = parent.getParent();
            if (repo != null && repo.getFileName() != null) {
                return HfCache.repoIdOf(repo.getFileName().toString());
            }
        }
        return null;
    }

    /**
     * The name of a model folder whose config names no model: {@code org/name} for a Hugging Face cache
     * snapshot ({@code models--org--name/snapshots/REV}), otherwise the folder's name.
     *
     * @param dir the folder
     * @return its name
     */
    static String folderModelName(Path dir) {
        String repo = cacheRepoId(dir);
        if (repo != null) {
            return repo;
        }
        Path name = dir.toAbsolutePath().normalize().getFileName();
        return name == null ? "unnamed" : name.toString();
    }

    static void requireDirectory(Path dir) throws NoSuchFileException {
        if (!Files.isDirectory(dir)) {
            throw new NoSuchFileException(dir.toString(), null, Files.exists(dir) ? "not a directory" : "no such directory");
        }
    }

    static String abbreviate(List<String> names) {
        int show = 8;
        String head = String.join(", ", names.subList(0, Math.min(show, names.size())));
        return names.size() <= show ? "[" + head + "]" : "[" + head + ", ... " + (names.size() - show) + " more]";
    }
}
