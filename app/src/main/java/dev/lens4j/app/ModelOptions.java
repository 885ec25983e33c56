package dev.lens4j.app;

import dev.lens4j.transformer.HookedTransformer;
import dev.lens4j.transformer.loading.LoadOptions;
import dev.lens4j.transformer.loading.Models;
import picocli.CommandLine.Option;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * The {@code --model}, {@code --no-processing} and {@code --allow-non-finite-weights} options that every
 * command running a model shares (a picocli mixin), and loading the model they name.
 */
final class ModelOptions {

    /** The model lens4j ships and uses when none is named. */
    static final String BUILT_IN = "induction-2l";

    @Option(names = "--model", paramLabel = "DIR",
            description = {"a Hugging Face checkpoint folder of a supported family (config.json with model_type gpt2, gpt_neox, "
                    + "llama, mistral, qwen2, qwen3, gemma, gemma2 or phi3, model.safetensors, and its tokenizer.json) or a lens4j "
                    + "checkpoint folder (config.json with d_model); also a model in the Hugging Face cache by id (e.g. gpt2). "
                    + "Default: the built-in " + BUILT_IN + " model."})
    String model;

    @Option(names = "--no-processing",
            description = "use the weights as stored (TransformerLens's from_pretrained_no_processing) instead of "
                    + "folding LayerNorms, centring and folding value biases (from_pretrained)")
    boolean noProcessing;

    @Option(names = "--allow-non-finite-weights",
            description = "load a checkpoint whose weights hold NaN or infinite values (refused by default, naming the "
                    + "tensor), to debug it")
    boolean allowNonFinite;

    /**
     * Loads the model.
     *
     * @return the model and how to name it
     * @throws UserError if the folder does not exist, is a file, has no config.json but subfolders that have
     *     one, or the name is not known
     * @throws IOException if the checkpoint cannot be read (the message names the file and the problem)
     */
    LoadedModel load() throws IOException {
        LoadOptions base = noProcessing ? LoadOptions.noProcessing() : LoadOptions.defaults();
        LoadOptions options = allowNonFinite ? base.allowingNonFiniteWeights() : base;
        if (model == null) {
            // checked first: by name, Models would also try a folder of that name in the working directory
            if (Models.class.getClassLoader().getResource(Models.RESOURCE_ROOT + BUILT_IN + "/config.json") == null) {
                throw new UserError("the built-in model " + BUILT_IN + " is missing from the class path ("
                        + Models.RESOURCE_ROOT + BUILT_IN + "/); rebuild lens4j, or pass --model DIR");
            }
            return new LoadedModel("built in", Models.fromPretrained(BUILT_IN, options));
        }
        Path dir;
        try {
            dir = Path.of(model);
        } catch (InvalidPathException e) {
            throw new UserError("--model " + model + " is not a valid path: " + e.getReason());
        }
        if (Files.isDirectory(dir)) {
            try {
                return new LoadedModel(dir.toAbsolutePath().normalize().toString(),
                        Models.fromPretrained(dir, options));
            } catch (NoSuchFileException e) {
                String subfolders = checkpointSubfolders(dir);
                if (subfolders != null) {
                    throw new UserError(subfolders);
                }
                throw e;
            }
        }
        if (Files.exists(dir)) {
            throw new UserError("--model " + model + " is a file; give the folder that holds config.json and model.safetensors");
        }
        if (looksLikePath(model)) {
            throw new UserError("model directory " + dir.toAbsolutePath().normalize() + " does not exist");
        }
        try {
            // a built-in model or a model in the Hugging Face cache, by name
            return new LoadedModel("by name", Models.fromPretrained(model, options));
        } catch (NoSuchFileException e) {
            throw new UserError("model directory " + dir.toAbsolutePath().normalize()
                    + " does not exist (nor is \"" + model + "\" a built-in model or a model in the Hugging Face cache)");
        }
    }

    /**
     * What to say of a folder without config.json whose direct subfolders have one (a family's folder
     * holding one checkpoint per precision, say): their names, to give one of them.
     *
     * @param dir the folder given as {@code --model}
     * @return the message, or null if the folder has config.json or none of its subfolders has
     */
    static String checkpointSubfolders(Path dir) {
        if (Files.exists(dir.resolve("config.json"))) {
            return null;
        }
        List<String> found;
        try (Stream<Path> children = Files.list(dir)) {
            found = children.filter(c -> Files.isRegularFile(c.resolve("config.json")))
                    .map(c -> c.getFileName().toString()).sorted().map(name -> name + "/").toList();
        } catch (IOException | UncheckedIOException e) {
            return null; // the loader's own message then
        }
        if (found.isEmpty()) {
            return null;
        }
        List<String> shown = new ArrayList<>(found.subList(0, Math.min(found.size(), 6)));
        if (found.size() > shown.size()) {
            shown.add((found.size() - shown.size()) + " more");
        }
        String listed = ErrorHandler.and(shown);
        return dir + " has no config.json; " + (found.size() == 1 ? "its subfolder " + listed + " has one: give it"
                : "its subfolders " + listed + " have one: give one of them") + " as --model";
    }

    private static boolean looksLikePath(String s) {
        return s.contains("/") || s.contains(File.separator) || s.startsWith(".") || s.startsWith("~");
    }

    /**
     * A loaded model and where it came from.
     *
     * @param source where it came from: {@code "built in"}, an absolute folder, or {@code "by name"}
     * @param model the model; closing this record closes it
     */
    record LoadedModel(String source, HookedTransformer model) implements AutoCloseable {

        /**
         * The name the model goes by in every command's output and report: its config's model name,
         * which the loaders take from the checkpoint itself ({@code model_name} of a lens4j config;
         * {@code _name_or_path}, the Hugging Face cache's repository or {@code model_type} of a Hugging
         * Face one) and from the folder's name only when the config names no model.
         *
         * @return the model's name, e.g. {@code "induction-2l"} or {@code "llama"}
         */
        String name() {
            return model.config().modelName();
        }

        @Override
        public void close() {
            model.close();
        }
    }
}
