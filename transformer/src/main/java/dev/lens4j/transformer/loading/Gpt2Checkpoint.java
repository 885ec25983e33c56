package dev.lens4j.transformer.loading;

import dev.lens4j.tensor.Shapes;
import dev.lens4j.tensor.Tensor;
import dev.lens4j.tensor.io.DType;
import dev.lens4j.transformer.HookedTransformer;
import dev.lens4j.transformer.TransformerConfig;
import dev.lens4j.transformer.TransformerWeights;
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
import java.util.function.UnaryOperator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Loads a Hugging Face GPT-2 checkpoint folder ({@code config.json} plus {@code model.safetensors}, or
 * shards listed in {@code model.safetensors.index.json}) into TransformerLens layout.
 *
 * <p>Without weight processing, float32 weights are not copied: the file is memory-mapped and every
 * weight is a view of the mapping, owned by the returned checkpoint (closing it unmaps the file). The
 * conversion is made of views too. With processing, every weight is read into a heap array: the
 * headers are checked on the mapping, the file is unmapped before any tensor is read, and the tensors
 * are read with positional reads one block at a time (the parameters outside the blocks first), each
 * block processed before the next is read. With the default options every weight is replaced
 * by a processed copy anyway; with partial {@link ProcessingOptions}, the weights that no enabled step
 * changes are heap copies on this path too, not views of the mapping. The memory in use peaks at the
 * processed weights plus one unprocessed block (GPT-2 small with the default options: 692 MB of heap
 * for a 498 MB file, nothing mapped), where mapping the file and processing the whole model at once
 * held the file's 498 MB mapped and up to 818 MB of heap. F16 and BF16 files, whose weights are
 * converted copies, are read that way too, processed or not.
 *
 * <p>Hugging Face's Conv1D {@code attn.c_attn.weight [d, 3d]} holds Q, K and V side by side,
 * heads contiguous inside each block, so {@code W_Q = c_attn[:, 0:d].view(d, h, dh).permute(1, 0, 2)}
 * is a strided {@code [h, d, dh]} view; {@code W_O = c_proj.weight.view(h, dh, d)};
 * {@code W_U = wte.weight^T} (or {@code lm_head.weight^T} if the file has one). F16 and BF16 (and F64)
 * weights are converted to float32 heap arrays. The dtype is the one each tensor has in the file;
 * {@code config.json}'s {@code torch_dtype} is a hint and is ignored (see {@link HfGpt2Config}).
 *
 * <p>Tensor names may carry the {@code transformer.} prefix of {@code GPT2LMHeadModel} or not (as in
 * {@code GPT2Model}); the buffers {@code attn.bias} and {@code attn.masked_bias} are ignored. The
 * tokenizer comes from the folder ({@code tokenizer.json}, or {@code vocab.json} and
 * {@code merges.txt}); without files, a model with GPT-2's 50257-token vocabulary gets the built-in
 * GPT-2 tokenizer and any other model none.
 *
 * <pre>{@code
 * try (LoadedCheckpoint c = Gpt2Checkpoint.read(Path.of("gpt2"), LoadOptions.noProcessing())) {
 *     c.weights().layers().get(0).wQ();   // [12, 768, 64], a view of the mapped c_attn.weight
 * }
 * }</pre>
 */
public final class Gpt2Checkpoint {

    private static final Pattern LAYER = Pattern.compile("(?:transformer\\.)?h\\.(\\d+)\\..*");

    private Gpt2Checkpoint() {}

    /**
     * Loads a Hugging Face GPT-2 folder as a model, as {@link #read} then {@link LoadedCheckpoint#toModel()}.
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
     * Reads a Hugging Face GPT-2 folder and applies the requested weight processing.
     *
     * @param dir the folder (a snapshot folder of the Hugging Face cache works too)
     * @param options how to load
     * @return the checkpoint; close it (or hand it to a model that will) to unmap the file (a
     *     checkpoint whose weights are all heap copies has no mapping and no owner)
     * @throws NoSuchFileException if the folder, {@code config.json} or the weights are missing
     * @throws CheckpointFormatException if the config or the tensors do not describe a GPT-2 model
     *     (naming the file, key or tensor and, for a mismatch, both shapes)
     * @throws dev.lens4j.tensor.io.SafetensorsFormatException if a weights file is malformed
     * @throws IOException if a file cannot be read
     */
    public static LoadedCheckpoint read(Path dir, LoadOptions options) throws IOException {
        requireDirectory(dir);
        Path configFile = dir.resolve("config.json");
        TransformerConfig cfg = HfGpt2Config.toTransformerConfig(JsonFiles.readObject(configFile), configFile.toString(),
                modelName(dir));
        Tokenizer tok = TokenizerFiles.forCheckpoint(dir, cfg.dVocab());
        MappedSafetensors src = MappedSafetensors.openDirectory(dir).requireFinite(!options.allowNonFiniteWeights());
        ProcessingOptions processing = options.processing();
        boolean viewsOfTheFile = processing.isNone() && src.names().stream().anyMatch(n -> src.dtype(n) == DType.F32);
        if (viewsOfTheFile) {
            try {
                return new LoadedCheckpoint(cfg, convert(cfg, src), tok, src);
            } catch (IOException | RuntimeException | Error e) {
                src.close();
                throw e;
            }
        }
        // Every weight is read into a heap array (processing copies most of them anyway, F16/BF16 need
        // converting): check the headers, unmap, then read the tensors from the files one block at a
        // time, so that neither the mapping nor more than one unprocessed block is held while the copies grow.
        FileTensors files;
        Layout layout;
        try {
            layout = check(cfg, src);
            files = FileTensors.of(src);
        } finally {
            src.close();
        }
        try (files) {
            // Unprocessed, W_Q, W_K, W_V are views of the c_attn copy, already in the fused layout.
            // Processed, they are fused here: the forward pass multiplies them as one matrix and would
            // otherwise make that copy itself when the model is built, while every separate one is held.
            TransformerWeights w = convert(cfg, files, layout, ends -> WeightProcessing.processEnds(cfg, ends, processing),
                    (l, raw) -> processing.isNone() ? raw : WeightProcessing.processLayer(cfg, l, raw, processing).withFusedQkv());
            return new LoadedCheckpoint(WeightProcessing.processedConfig(cfg, processing), w, tok, null);
        }
    }

    /**
     * A name for a model folder: {@code org/name} for a Hugging Face cache snapshot
     * ({@code models--org--name/snapshots/REV}), otherwise the folder's name.
     */
    static String modelName(Path dir) {
        Path abs = dir.toAbsolutePath().normalize();
        Path parent = abs.getParent();
        if (parent != null && parent.getFileName() != null && parent.getFileName().toString().equals("snapshots")) {
            Path repo = parent.getParent();
            if (repo != null && repo.getFileName() != null) {
                String r = HfCache.repoIdOf(repo.getFileName().toString());
                if (r != null) {
                    return r;
                }
            }
        }
        Path name = abs.getFileName();
        return name == null ? "unnamed" : name.toString();
    }

    static void requireDirectory(Path dir) throws NoSuchFileException {
        if (!Files.isDirectory(dir)) {
            throw new NoSuchFileException(dir.toString(), null, Files.exists(dir) ? "not a directory" : "no such directory");
        }
    }

    /**
     * The tensors of a Hugging Face {@code GPT2LMHeadModel} checkpoint for a config, without the
     * {@code transformer.} prefix and without buffers: what a checkpoint must contain, with shapes.
     *
     * @param cfg a GPT-2 config (LayerNorm, MLP)
     * @return tensor name to shape, in Hugging Face's order
     */
    public static Map<String, int[]> hfTensorShapes(TransformerConfig cfg) {
        int d = cfg.dModel();
        Map<String, int[]> m = new LinkedHashMap<>();
        m.put("wte.weight", new int[] {cfg.dVocab(), d});
        m.put("wpe.weight", new int[] {cfg.nCtx(), d});
        for (int l = 0; l < cfg.nLayers(); l++) {
            String p = "h." + l + ".";
            m.put(p + "ln_1.weight", new int[] {d});
            m.put(p + "ln_1.bias", new int[] {d});
            m.put(p + "attn.c_attn.weight", new int[] {d, 3 * d});
            m.put(p + "attn.c_attn.bias", new int[] {3 * d});
            m.put(p + "attn.c_proj.weight", new int[] {d, d});
            m.put(p + "attn.c_proj.bias", new int[] {d});
            m.put(p + "ln_2.weight", new int[] {d});
            m.put(p + "ln_2.bias", new int[] {d});
            m.put(p + "mlp.c_fc.weight", new int[] {d, cfg.dMlp()});
            m.put(p + "mlp.c_fc.bias", new int[] {cfg.dMlp()});
            m.put(p + "mlp.c_proj.weight", new int[] {cfg.dMlp(), d});
            m.put(p + "mlp.c_proj.bias", new int[] {d});
        }
        m.put("ln_f.weight", new int[] {d});
        m.put("ln_f.bias", new int[] {d});
        return m;
    }

    /**
     * Converts the tensors of a Hugging Face GPT-2 checkpoint to TransformerLens layout. Every tensor
     * is checked (present, float dtype, shape) before any is read.
     */
    static TransformerWeights convert(TransformerConfig cfg, TensorSource src) throws IOException {
        return convert(cfg, src, check(cfg, src), UnaryOperator.identity(), (l, block) -> block);
    }

    /**
     * Converts the checked tensors of {@code src}, passing the parameters outside the blocks through
     * {@code endsStep} first and then each block through {@code blockStep} as soon as it is read, so
     * that a step that copies (weight processing) holds one unprocessed block at a time.
     */
    private static TransformerWeights convert(TransformerConfig cfg, TensorSource src, Layout layout,
                                              UnaryOperator<TransformerWeights> endsStep, BlockStep blockStep)
            throws IOException {
        TransformerWeights ends = endsStep.apply(ends(cfg, src, layout));
        List<TransformerWeights.Layer> layers = new ArrayList<>();
        for (int l = 0; l < cfg.nLayers(); l++) {
            layers.add(blockStep.apply(l, layer(cfg, src, layout, l)));
        }
        return ends.withLayers(layers);
    }

    /** What to do with each block once it is read; the index is for messages. */
    @FunctionalInterface
    private interface BlockStep {
        TransformerWeights.Layer apply(int index, TransformerWeights.Layer block);
    }

    /**
     * What {@link #check} found out about the names.
     *
     * @param prefix {@code "transformer."} or {@code ""}
     * @param lmHead {@code "lm_head.weight"} when the file has an untied unembedding, else null
     */
    private record Layout(String prefix, String lmHead) {}

    /** Checks every tensor a config needs (present, float dtype, shape) and that no block is beyond n_layer. */
    private static Layout check(TransformerConfig cfg, TensorSource src) throws CheckpointFormatException {
        if (cfg.attnOnly() || !cfg.normalization().equals("LN") || cfg.dHead() * cfg.nHeads() != cfg.dModel()) {
            throw new IllegalArgumentException("not a GPT-2 config: " + cfg);
        }
        TensorSource.requireRoomForLayers(src, cfg.nLayers(), "n_layer");
        String prefix = src.contains("transformer.wte.weight") ? "transformer." : "";
        Map<String, int[]> expected = hfTensorShapes(cfg);
        List<String> missing = new ArrayList<>();
        for (Map.Entry<String, int[]> e : expected.entrySet()) {
            String name = prefix + e.getKey();
            if (!src.contains(name)) {
                missing.add(name);
                continue;
            }
            check(cfg, src, name, e.getValue());
        }
        if (!missing.isEmpty()) {
            throw new CheckpointFormatException(src.describe(), missing.size() + " tensor" + (missing.size() == 1 ? " is" : "s are")
                    + " missing: " + abbreviate(missing) + " (the file has " + abbreviate(new ArrayList<>(src.names())) + ")");
        }
        for (String name : src.names()) {
            Matcher m = LAYER.matcher(name);
            if (m.matches() && (m.group(1).length() > 9 || Integer.parseInt(m.group(1)) >= cfg.nLayers())) {
                throw new CheckpointFormatException(src.fileOf(name), "has tensor \"" + name + "\" but the config says n_layer "
                        + cfg.nLayers());
            }
        }
        String lmHead = src.contains("lm_head.weight") ? "lm_head.weight" : null;
        if (lmHead != null) {
            check(cfg, src, lmHead, cfg.dVocab(), cfg.dModel());
        }
        return new Layout(prefix, lmHead);
    }

    /** The parameters outside the blocks (W_E, W_pos, ln_final, W_U, b_U), with no blocks. */
    private static TransformerWeights ends(TransformerConfig cfg, TensorSource src, Layout layout) throws IOException {
        String prefix = layout.prefix();
        Tensor wte = src.tensor(prefix + "wte.weight");                                     // [d_vocab, d_model]
        Tensor wU = layout.lmHead() == null ? wte.mT() : src.tensor(layout.lmHead()).mT(); // [d_model, d_vocab]
        return new TransformerWeights(wte, src.tensor(prefix + "wpe.weight"), List.of(),
                src.tensor(prefix + "ln_f.weight"), src.tensor(prefix + "ln_f.bias"), wU, Tensor.zeros(cfg.dVocab()));
    }

    /** Block {@code l} in TransformerLens layout. */
    private static TransformerWeights.Layer layer(TransformerConfig cfg, TensorSource src, Layout layout, int l) throws IOException {
        int d = cfg.dModel(), h = cfg.nHeads(), dh = cfg.dHead();
        String p = layout.prefix() + "h." + l + ".";
        Tensor cAttn = src.tensor(p + "attn.c_attn.weight");        // [d_model, 3 d_model]: Q | K | V
        Tensor cAttnB = src.tensor(p + "attn.c_attn.bias");         // [3 d_model]
        return new TransformerWeights.Layer(
                src.tensor(p + "ln_1.weight"), src.tensor(p + "ln_1.bias"),
                headsIn(cAttn, 0, d, h, dh), headsIn(cAttn, 1, d, h, dh), headsIn(cAttn, 2, d, h, dh),
                src.tensor(p + "attn.c_proj.weight").view(h, dh, d),  // rows of c_proj are (head, d_head)
                cAttnB.slice(0, 0, d).view(h, dh), cAttnB.slice(0, d, 2 * d).view(h, dh),
                cAttnB.slice(0, 2 * d, 3 * d).view(h, dh),
                src.tensor(p + "attn.c_proj.bias"),
                src.tensor(p + "ln_2.weight"), src.tensor(p + "ln_2.bias"),
                src.tensor(p + "mlp.c_fc.weight"), src.tensor(p + "mlp.c_fc.bias"),
                src.tensor(p + "mlp.c_proj.weight"), src.tensor(p + "mlp.c_proj.bias"));
    }

    /**
     * One of the Q, K, V blocks of {@code c_attn [d, 3d]} as {@code [h, d, dh]}: columns
     * {@code block*d + i*dh + j} are head i, dimension j. A strided view, no copy.
     */
    private static Tensor headsIn(Tensor cAttn, int block, int d, int h, int dh) {
        return cAttn.slice(1, block * d, (block + 1) * d).view(d, h, dh).permute(1, 0, 2);
    }

    private static void check(TransformerConfig cfg, TensorSource src, String name, int... shape) throws CheckpointFormatException {
        DType t = src.dtype(name);
        if (!TensorSource.isReadableFloat(t)) {
            throw TensorSource.unsupportedDtype(src.fileOf(name), name, t);
        }
        int[] actual = src.shape(name);
        if (!Arrays.equals(actual, shape)) {
            throw new CheckpointFormatException(src.fileOf(name), "tensor \"" + name + "\" has shape " + Shapes.str(actual)
                    + ", but the config (n_embd " + cfg.dModel() + ", n_head " + cfg.nHeads() + ", n_inner " + cfg.dMlp()
                    + ", n_positions " + cfg.nCtx() + ", vocab_size " + cfg.dVocab() + ") needs " + Shapes.str(shape));
        }
    }

    private static String abbreviate(List<String> names) {
        int show = 8;
        String head = String.join(", ", names.subList(0, Math.min(show, names.size())));
        return names.size() <= show ? "[" + head + "]" : "[" + head + ", ... " + (names.size() - show) + " more]";
    }
}
