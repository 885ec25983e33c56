package dev.lens4j.transformer.loading;

import dev.lens4j.tensor.Shapes;
import dev.lens4j.tensor.Tensor;
import dev.lens4j.tensor.io.DType;
import dev.lens4j.tensor.internal.Json;
import dev.lens4j.tensor.io.SafetensorsWriter;
import dev.lens4j.tensor.io.StagedFolder;
import dev.lens4j.transformer.HookedTransformer;
import dev.lens4j.transformer.ParameterCount;
import dev.lens4j.transformer.TransformerConfig;
import dev.lens4j.transformer.TransformerWeights;
import dev.lens4j.transformer.tokenizer.Tokenizer;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Checkpoints in TransformerLens names, readable from Python: a folder with
 * <ul>
 *   <li>{@code config.json}: TransformerLens {@code HookedTransformerConfig} keys ({@code n_layers},
 *       {@code d_model}, {@code normalization_type}, ...; see {@link TransformerConfig#toJsonMap()}), so
 *       {@code HookedTransformerConfig(**json.load(f))} rebuilds the config;</li>
 *   <li>{@code model.safetensors}: F32 tensors under TransformerLens state-dict names
 *       ({@code embed.W_E [d_vocab, d_model]}, {@code blocks.0.attn.W_Q [n_heads, d_model, d_head]},
 *       {@code unembed.W_U [d_model, d_vocab]}, ...; see {@link TransformerWeights#stateDict()}), so
 *       {@code model.load_state_dict(safetensors.torch.load_file(f), strict=False)} loads them
 *       ({@code strict=False} because TransformerLens's state dict also holds the attention-mask buffers);</li>
 *   <li>the tokenizer files, when known ({@code vocab.json} and {@code merges.txt}, or {@code tokenizer.json}).</li>
 * </ul>
 *
 * <p>Weights are saved as they are: a processed model saves processed weights and says
 * {@code "normalization_type": "LNPre"}.
 */
public final class LensCheckpoint {

    private static final Pattern LAYER = Pattern.compile("blocks\\.(\\d+)\\..*");

    /** TransformerLens's buffers, which its state dict holds beside the parameters: masks and rotary tables. */
    private static final Pattern BUFFER = Pattern.compile("blocks\\.\\d+\\.attn\\.(mask|IGNORE|rotary_sin|rotary_cos)");

    private LensCheckpoint() {}

    /**
     * Saves a model: its config, weights and (when known) tokenizer files.
     *
     * @param model the model
     * @param dir the folder, created if needed
     * @return the files written
     * @throws IOException if writing fails
     * @see #save(TransformerConfig, TransformerWeights, Tokenizer, Path)
     */
    public static List<Path> save(HookedTransformer model, Path dir) throws IOException {
        return save(model.config(), model.weights(), model.hasTokenizer() ? model.tokenizer() : null, dir);
    }

    /**
     * Loads a TransformerLens-named checkpoint folder as it is, without weight processing.
     *
     * @param dir the folder
     * @return the model; closing it unmaps the file
     * @throws IOException as {@link #read}
     */
    public static HookedTransformer load(Path dir) throws IOException {
        return read(dir, LoadOptions.noProcessing()).toModel();
    }

    /**
     * Writes a config, weights and tokenizer as a TransformerLens-named checkpoint folder (created if
     * needed; existing files of the same names are replaced). Tensors that are not whole heap arrays
     * (views, mapped weights) are copied while writing.
     *
     * @param cfg the config
     * @param weights the weights, shaped as the config says
     * @param tokenizer the tokenizer, or null; its files are written when lens4j knows them (GPT-2's
     *                  built-in tokenizer, or one loaded from a checkpoint folder), otherwise skipped
     * @param dir the folder; its files are replaced as a whole ({@link StagedFolder}): interrupted at any
     *            point, it holds either the previous checkpoint or this one; its other files are kept
     * @return the files written
     * @throws IOException if writing fails; {@code dir} is then as it was
     */
    public static List<Path> save(TransformerConfig cfg, TransformerWeights weights, Tokenizer tokenizer, Path dir)
            throws IOException {
        SafetensorsWriter out = new SafetensorsWriter().metadata("format", "pt");
        for (Map.Entry<String, Tensor> e : weights.stateDict().entrySet()) {
            Tensor t = e.getValue();
            out.add(e.getKey(), DType.F32, t);   // read when written, without handing out its array
        }
        try (StagedFolder staged = StagedFolder.begin(dir)) {
            Path d = staged.dir();
            List<Path> files = new ArrayList<>();
            files.add(d.resolve("model.safetensors"));
            out.write(files.getLast());
            files.add(d.resolve("config.json"));
            Files.writeString(files.getLast(), Json.write(cfg.toJsonMap()) + "\n", StandardCharsets.UTF_8);
            files.addAll(TokenizerFiles.write(tokenizer, d));
            staged.commit();
            List<Path> written = new ArrayList<>();
            for (Path f : files) {
                written.add(dir.resolve(d.relativize(f).toString()));
            }
            return written;
        }
    }

    /**
     * Reads a TransformerLens-named checkpoint folder and applies the requested weight processing.
     * F32 weights are zero-copy views of the memory-mapped file.
     *
     * @param dir the folder
     * @param options how to load
     * @return the checkpoint; close it (or hand it to a model that will) to unmap the file
     * @throws java.nio.file.NoSuchFileException if the folder, {@code config.json} or the weights are missing
     * @throws CheckpointFormatException naming the file and the key or tensor at fault
     * @throws IOException if a file is malformed or cannot be read
     */
    public static LoadedCheckpoint read(Path dir, LoadOptions options) throws IOException {
        HfCheckpoint.requireDirectory(dir);
        Path configFile = dir.resolve("config.json");
        Map<String, Object> json = JsonFiles.readObject(configFile);
        TransformerConfig cfg = config(json, configFile.toString());
        if (!(json.get("model_name") instanceof String name) || name.isBlank()) {
            // a config that names no model: the folder's name, the last resort (HfCheckpoint.modelName)
            cfg = cfg.withModelName(HfCheckpoint.folderModelName(dir));
        }
        Tokenizer tok = TokenizerFiles.forCheckpoint(dir, cfg);
        MappedSafetensors src = MappedSafetensors.openDirectory(dir).requireFinite(!options.allowNonFiniteWeights());
        try {
            return new LoadedCheckpoint(cfg, weights(cfg, src), tok, src, parameterCount(cfg, src)).process(options.processing());
        } catch (IOException | RuntimeException | Error e) {
            src.close();
            throw e;
        }
    }

    /**
     * @param json a parsed {@code config.json} with TransformerLens keys
     * @param source the file, for messages
     * @return the config
     * @throws CheckpointFormatException naming the file and the key at fault
     */
    static TransformerConfig config(Map<String, Object> json, String source) throws CheckpointFormatException {
        if (!json.containsKey("d_model")) {
            throw new CheckpointFormatException(source, json.containsKey("n_embd")
                    ? "is a Hugging Face config (n_embd), not a TransformerLens one (d_model); read it with HfCheckpoint"
                    : "missing key \"d_model\" (a TransformerLens config has n_layers, d_model, n_heads, n_ctx, d_vocab)");
        }
        try {
            return TransformerConfig.fromJsonMap(json, source);
        } catch (IllegalArgumentException e) {
            throw new CheckpointFormatException(source, e.getMessage().replace(source + ": ", ""), e);
        }
    }

    /**
     * The parameter count of a TransformerLens-named checkpoint: the tensors of the config it holds
     * (a bias it leaves out, which loads as zeros, does not count; TransformerLens's layout never ties
     * {@code W_U}).
     */
    static ParameterCount parameterCount(TransformerConfig cfg, TensorSource src) {
        List<int[]> held = new ArrayList<>();
        for (Map.Entry<String, int[]> e : TransformerWeights.shapes(cfg).entrySet()) {
            if (src.contains(e.getKey())) {
                held.add(e.getValue());
            }
        }
        return ParameterCount.of(held, false);
    }

    /**
     * Reads the weights a config needs from TransformerLens-named tensors, checking presence, dtype
     * and shape of each before reading any. Other tensors (such as TransformerLens's
     * {@code blocks.L.attn.mask} buffers) are ignored, except blocks beyond {@code n_layers}.
     */
    static TransformerWeights weights(TransformerConfig cfg, TensorSource src) throws IOException {
        TensorSource.requireRoomForLayers(src, cfg.nLayers(), "n_layers");
        Map<String, int[]> expected = TransformerWeights.shapes(cfg);
        List<String> missing = new ArrayList<>();
        for (Map.Entry<String, int[]> e : expected.entrySet()) {
            String name = e.getKey();
            if (!src.contains(name)) {
                if (!TransformerWeights.isOptionalBias(name)) {
                    missing.add(name);
                }
                continue;
            }
            DType t = src.dtype(name);
            if (!TensorSource.isReadableFloat(t)) {
                throw TensorSource.unsupportedDtype(src.fileOf(name), name, t);
            }
            int[] actual = src.shape(name);
            if (!Arrays.equals(actual, e.getValue())) {
                throw new CheckpointFormatException(src.fileOf(name), "tensor \"" + name + "\" has shape " + Shapes.str(actual)
                        + ", but the config (d_model " + cfg.dModel() + ", n_heads " + cfg.nHeads() + ", n_key_value_heads "
                        + cfg.nKvHeads() + ", d_head " + cfg.dHead() + ", d_mlp " + cfg.dMlp() + ", n_ctx " + cfg.nCtx()
                        + ", d_vocab " + cfg.dVocab() + ") needs " + Shapes.str(e.getValue()));
            }
        }
        if (!missing.isEmpty()) {
            throw new CheckpointFormatException(src.describe(), missing.size() + " tensor" + (missing.size() == 1 ? " is" : "s are")
                    + " missing: " + HfCheckpoint.abbreviate(missing) + " (normalization_type " + cfg.normalization().tlName()
                    + ", attn_only " + cfg.attnOnly() + ")");
        }
        List<String> unused = new ArrayList<>();
        for (String name : src.names()) {
            Matcher m = LAYER.matcher(name);
            if (m.matches() && (m.group(1).length() > 9 || Integer.parseInt(m.group(1)) >= cfg.nLayers())) {
                throw new CheckpointFormatException(src.fileOf(name), "has tensor \"" + name + "\" but the config says n_layers "
                        + cfg.nLayers());
            }
            if (!expected.containsKey(name) && !BUFFER.matcher(name).matches()) {
                unused.add(name);
            }
        }
        if (!unused.isEmpty()) {
            throw new CheckpointFormatException(src.describe(), "has " + unused.size() + " tensor" + (unused.size() == 1 ? "" : "s")
                    + " the config does not use: " + HfCheckpoint.abbreviate(unused) + " (normalization_type "
                    + cfg.normalization().tlName() + ", attn_only " + cfg.attnOnly() + ")");
        }
        Map<String, Tensor> sd = new LinkedHashMap<>();
        for (String name : expected.keySet()) {
            if (src.contains(name)) {
                sd.put(name, src.tensor(name));
            }
        }
        return TransformerWeights.fromStateDict(cfg, sd, src.describe());
    }
}
