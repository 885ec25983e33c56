package dev.lens4j.transformer.loading;

import dev.lens4j.transformer.HookedTransformer;
import dev.lens4j.transformer.TransformerConfig;
import dev.lens4j.transformer.TransformerWeights;
import dev.lens4j.transformer.tokenizer.Tokenizer;

import java.io.IOException;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Loading pretrained models, like TransformerLens's {@code HookedTransformer.from_pretrained} and
 * {@code from_pretrained_no_processing}.
 *
 * <p>A model is found by name or by folder. A name is, in this order:
 * <ol>
 *   <li>a model shipped with lens4j, as class-path resources under
 *       {@code dev/lens4j/transformer/models/<name>/} (for example {@code "induction-2l"});</li>
 *   <li>a folder;</li>
 *   <li>a model in the Hugging Face cache ({@link HfCache#defaultRoot()}), by repository id such as
 *       {@code "gpt2"} or {@code "openai-community/gpt2"}; lens4j never downloads.</li>
 * </ol>
 * A folder holds either a Hugging Face checkpoint of a supported family ({@code config.json} with a
 * {@code model_type}: gpt2, gpt_neox, llama, mistral, qwen2, qwen3, gemma, gemma2, phi3; see
 * {@link HfCheckpoint}) or a TransformerLens-named one ({@code config.json} with {@code d_model}; see
 * {@link LensCheckpoint}); a model's Hugging Face cache folder ({@code models--gpt2}) is followed to
 * the snapshot {@code refs/main} points at.
 *
 * <pre>{@code
 * try (HookedTransformer model = Models.fromPretrained("gpt2")) {        // processed, as TransformerLens
 *     float loss = model.loss(new int[][] {model.tokenizer().toTokens("Hello world")});
 * }
 * try (HookedTransformer raw = Models.fromPretrainedNoProcessing(Path.of("/models/gpt2"))) { ... }
 * }</pre>
 *
 * <p>Float32 checkpoint files are memory-mapped and, without processing, used in place; the model owns
 * the mapping, so close the model to unmap. Processing (the default) makes float32 heap copies of the
 * weights it changes. A Hugging Face GPT-2 folder is then read one block at a time with plain file
 * reads once its headers are checked, so loading GPT-2 small (498 MB) with processing peaks at about
 * 1.4 times the file in heap with nothing mapped, and the model keeps 1.32 times the file (W_U,
 * centred, is no longer a view of W_E). See {@link HfCheckpoint}.
 */
public final class Models {

    /** The class-path folder of the models shipped with lens4j. */
    public static final String RESOURCE_ROOT = "dev/lens4j/transformer/models/";

    private static final Pattern RESOURCE_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]*");

    private Models() {}

    /**
     * Loads a model by name with TransformerLens's default weight processing.
     *
     * @param name a built-in model, a folder, or a Hugging Face cache repository id
     * @return the model with TransformerLens's default weight processing
     * @throws IOException as {@link #read(String, LoadOptions)}
     */
    public static HookedTransformer fromPretrained(String name) throws IOException {
        return fromPretrained(name, LoadOptions.defaults());
    }

    /**
     * Loads a model by name without weight processing.
     *
     * @param name a built-in model, a folder, or a Hugging Face cache repository id
     * @return the model with its weights as stored
     * @throws IOException as {@link #read(String, LoadOptions)}
     */
    public static HookedTransformer fromPretrainedNoProcessing(String name) throws IOException {
        return fromPretrained(name, LoadOptions.noProcessing());
    }

    /**
     * Loads a model by name.
     *
     * @param name a built-in model, a folder, or a Hugging Face cache repository id
     * @param options how to load
     * @return the model
     * @throws IOException as {@link #read(String, LoadOptions)}
     */
    public static HookedTransformer fromPretrained(String name, LoadOptions options) throws IOException {
        return read(name, options).toModel();
    }

    /**
     * Loads a checkpoint folder with TransformerLens's default weight processing.
     *
     * @param dir a checkpoint folder
     * @return the model with TransformerLens's default weight processing
     * @throws IOException as {@link #read(Path, LoadOptions)}
     */
    public static HookedTransformer fromPretrained(Path dir) throws IOException {
        return fromPretrained(dir, LoadOptions.defaults());
    }

    /**
     * Loads a checkpoint folder without weight processing.
     *
     * @param dir a checkpoint folder
     * @return the model with its weights as stored
     * @throws IOException as {@link #read(Path, LoadOptions)}
     */
    public static HookedTransformer fromPretrainedNoProcessing(Path dir) throws IOException {
        return fromPretrained(dir, LoadOptions.noProcessing());
    }

    /**
     * Loads a checkpoint folder.
     *
     * @param dir a checkpoint folder
     * @param options how to load
     * @return the model
     * @throws IOException as {@link #read(Path, LoadOptions)}
     */
    public static HookedTransformer fromPretrained(Path dir, LoadOptions options) throws IOException {
        return read(dir, options).toModel();
    }

    /**
     * Reads a checkpoint folder of either format.
     *
     * @param dir a Hugging Face or TransformerLens-named checkpoint folder, or a model's Hugging Face
     *            cache folder
     * @param options how to load
     * @return the checkpoint
     * @throws NoSuchFileException if the folder or a file it needs is missing
     * @throws CheckpointFormatException if the files do not describe a model lens4j can build
     * @throws IOException if a file is malformed or cannot be read
     */
    public static LoadedCheckpoint read(Path dir, LoadOptions options) throws IOException {
        HfCheckpoint.requireDirectory(dir);
        Path d = HfCache.isRepoFolder(dir) ? HfCache.snapshot(dir) : dir;
        Path config = d.resolve("config.json");
        return isLensConfig(JsonFiles.readObject(config)) ? LensCheckpoint.read(d, options) : HfCheckpoint.read(d, options);
    }

    /**
     * Reads a checkpoint by name: a built-in model, a folder, or a Hugging Face cache repository id.
     *
     * @param name the name
     * @param options how to load
     * @return the checkpoint
     * @throws NoSuchFileException if the name is none of these, naming what was tried
     * @throws CheckpointFormatException if the files do not describe a model lens4j can build
     * @throws IOException if a file is malformed or cannot be read
     */
    public static LoadedCheckpoint read(String name, LoadOptions options) throws IOException {
        return read(name, options, Models.class.getClassLoader(), HfCache.defaultRoot());
    }

    /** {@link #read(String, LoadOptions)} with the class loader and Hugging Face cache given. */
    static LoadedCheckpoint read(String name, LoadOptions options, ClassLoader loader, Path hubCache) throws IOException {
        if (RESOURCE_NAME.matcher(name).matches() && loader.getResource(RESOURCE_ROOT + name + "/config.json") != null) {
            return readResource(name, options, loader);
        }
        Path dir = null;
        try {
            dir = Path.of(name);
        } catch (InvalidPathException e) {
            // not a path: try the cache
        }
        if (dir != null && Files.isDirectory(dir)) {
            return read(dir, options);
        }
        Path repo = hubCache.resolve(HfCache.folderName(name));
        if (Files.isDirectory(repo)) {
            return read(HfCache.snapshot(repo), options);
        }
        throw new NoSuchFileException(name, null, "not a model shipped with lens4j (" + RESOURCE_ROOT + name
                + "/), a folder, or a model in the Hugging Face cache (" + repo + ")");
    }

    /**
     * Reads a model shipped as class-path resources. From a folder on the class path it is mapped like
     * any checkpoint; from inside a jar, which cannot be mapped, its bytes are read into memory.
     */
    static LoadedCheckpoint readResource(String name, LoadOptions options, ClassLoader loader) throws IOException {
        String prefix = RESOURCE_ROOT + name + "/";
        URL url = loader.getResource(prefix + "config.json");
        if (url == null) {
            throw new NoSuchFileException(prefix + "config.json", null, "no such class-path resource");
        }
        if (url.getProtocol().equals("file")) {
            try {
                return read(Path.of(url.toURI()).getParent(), options);
            } catch (URISyntaxException e) {
                throw new IOException("bad resource URL " + url, e);
            }
        }
        Map<String, Object> json = JsonFiles.parseObject(prefix + "config.json", bytes(loader, prefix + "config.json"));
        MappedSafetensors src = MappedSafetensors.inMemory(prefix + "model.safetensors", bytes(loader, prefix + "model.safetensors"))
                .requireFinite(!options.allowNonFiniteWeights());
        if (isLensConfig(json)) {
            TransformerConfig cfg = LensCheckpoint.config(json, prefix + "config.json");
            TransformerWeights w = LensCheckpoint.weights(cfg, src);
            Tokenizer tok = TokenizerFiles.forResources(loader, prefix, cfg);
            return new LoadedCheckpoint(cfg, w, tok, null, LensCheckpoint.parameterCount(cfg, src)).process(options.processing());
        }
        HfConfig hf = new HfConfig(json, prefix + "config.json");
        ModelFamily family = HfCheckpoint.family(hf);
        TransformerConfig cfg = family.config(hf, name);
        Tokenizer tok = TokenizerFiles.forResources(loader, prefix, cfg);
        return HfCheckpoint.read(family, hf, cfg, src, tok, options);
    }

    private static byte[] bytes(ClassLoader loader, String resource) throws IOException {
        try (InputStream in = loader.getResourceAsStream(resource)) {
            if (in == null) {
                throw new NoSuchFileException(resource, null, "no such class-path resource");
            }
            return in.readAllBytes();
        }
    }

    /** TransformerLens configs say {@code d_model}; Hugging Face GPT-2 ones {@code n_embd}. */
    private static boolean isLensConfig(Map<String, Object> json) {
        return json.containsKey("d_model");
    }
}
