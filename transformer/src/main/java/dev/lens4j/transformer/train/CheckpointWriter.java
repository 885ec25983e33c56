package dev.lens4j.transformer.train;

import dev.lens4j.tensor.Tensor;
import dev.lens4j.tensor.io.DType;
import dev.lens4j.tensor.internal.Json;
import dev.lens4j.tensor.io.SafetensorsWriter;
import dev.lens4j.tensor.io.StagedFolder;
import dev.lens4j.transformer.TransformerConfig;
import dev.lens4j.transformer.TransformerWeights;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * Writes a lens4j checkpoint directory, the format lens4j's loader reads and TransformerLens users
 * recognise:
 * <ul>
 *   <li>{@value #CONFIG_FILE}: {@link TransformerConfig#toJsonMap()}, TransformerLens
 *       {@code HookedTransformerConfig} keys;</li>
 *   <li>{@value #WEIGHTS_FILE}: float32 tensors under TransformerLens state-dict names
 *       ({@link TransformerWeights#stateDict()}), metadata {@code format: pt};</li>
 *   <li>the tokenizer: {@value WordTokenizer#FILE_NAME}, the vocabulary one token per line, or a
 *       Hugging Face {@code tokenizer.json} ({@link dev.lens4j.transformer.tokenizer.BpeTrainer}).</li>
 * </ul>
 * All are deterministic functions of their inputs (no time stamps), so a checkpoint can be
 * compared byte for byte.
 *
 * <p>The files are written as a whole ({@link StagedFolder}): into a hidden folder beside {@code dir},
 * which then replaces it, keeping any other files {@code dir} held. Interrupted at any point (an
 * error, Ctrl-C, a kill), the folder holds either the previous checkpoint or the new one, never the
 * new config beside the old weights.
 */
public final class CheckpointWriter {

    /** The model configuration file. */
    public static final String CONFIG_FILE = "config.json";
    /** The weights file. */
    public static final String WEIGHTS_FILE = "model.safetensors";
    /** The record of how the weights were trained, written by {@link InductionTrainer#writeCheckpoint}. */
    public static final String TRAINING_FILE = "training.json";

    private CheckpointWriter() {}

    /**
     * Writes config, weights and vocabulary into {@code dir}.
     *
     * @param dir the directory, created if needed; files of the same names are replaced
     * @param cfg the model configuration
     * @param weights the weights, shaped as {@code cfg} says
     * @param tokenizer the vocabulary, of {@code cfg.dVocab()} tokens
     * @throws IOException if writing fails
     * @throws IllegalArgumentException if the vocabulary size differs from {@code d_vocab}
     */
    public static void write(Path dir, TransformerConfig cfg, TransformerWeights weights, WordTokenizer tokenizer)
            throws IOException {
        write(dir, cfg, weights, tokenizer, null);
    }

    /**
     * Writes config, weights, vocabulary and the training record into {@code dir}, as a whole.
     *
     * @param dir the directory, created if needed; files of the same names are replaced, others kept
     * @param cfg the model configuration
     * @param weights the weights, shaped as {@code cfg} says
     * @param tokenizer the vocabulary, of {@code cfg.dVocab()} tokens
     * @param training the content of {@value #TRAINING_FILE} (JSON values), or null to write none
     * @throws IOException if writing fails; {@code dir} is then as it was
     * @throws IllegalArgumentException if the vocabulary size differs from {@code d_vocab}
     */
    public static void write(Path dir, TransformerConfig cfg, TransformerWeights weights, WordTokenizer tokenizer,
                             Map<String, Object> training) throws IOException {
        if (tokenizer.vocabSize() != cfg.dVocab()) {
            throw new IllegalArgumentException("tokenizer has " + tokenizer.vocabSize() + " tokens but d_vocab is " + cfg.dVocab());
        }
        write(dir, cfg, weights, files(tokenizer), training);
    }

    /**
     * The files of a word vocabulary in a checkpoint.
     *
     * @param tokenizer the vocabulary
     * @return {@value WordTokenizer#FILE_NAME} and its bytes
     */
    public static Map<String, byte[]> files(WordTokenizer tokenizer) {
        return Map.of(WordTokenizer.FILE_NAME, tokenizer.fileContent().getBytes(StandardCharsets.UTF_8));
    }

    /**
     * Writes config, weights, the tokenizer's files and the training record into {@code dir}, as a whole.
     *
     * @param dir the directory, created if needed; files of the same names are replaced, others kept
     * @param cfg the model configuration
     * @param weights the weights, shaped as {@code cfg} says
     * @param tokenizerFiles the tokenizer's files by name ({@value WordTokenizer#FILE_NAME}, or
     *                       {@code tokenizer.json}), written as they are
     * @param training the content of {@value #TRAINING_FILE} (JSON values), or null to write none
     * @throws IOException if writing fails; {@code dir} is then as it was
     * @throws IllegalArgumentException if a tokenizer file has the name of another file of the checkpoint
     */
    public static void write(Path dir, TransformerConfig cfg, TransformerWeights weights, Map<String, byte[]> tokenizerFiles,
                             Map<String, Object> training) throws IOException {
        for (String name : tokenizerFiles.keySet()) {
            if (name.equals(CONFIG_FILE) || name.equals(WEIGHTS_FILE) || name.equals(TRAINING_FILE) || name.contains("/")) {
                throw new IllegalArgumentException("a tokenizer file cannot be named " + name);
            }
        }
        try (StagedFolder out = StagedFolder.begin(dir)) {
            Path d = out.dir();
            Files.writeString(d.resolve(CONFIG_FILE), Json.write(cfg.toJsonMap()) + "\n", StandardCharsets.UTF_8);
            SafetensorsWriter w = new SafetensorsWriter().metadata("format", "pt");
            for (Map.Entry<String, Tensor> e : weights.stateDict().entrySet()) {
                w.add(e.getKey(), DType.F32, e.getValue().contiguous().toArray(), e.getValue().shape());
            }
            w.write(d.resolve(WEIGHTS_FILE));
            for (Map.Entry<String, byte[]> e : new java.util.TreeMap<>(tokenizerFiles).entrySet()) {
                Files.write(d.resolve(e.getKey()), e.getValue());
            }
            if (training != null) {
                Files.writeString(d.resolve(TRAINING_FILE), Json.write(training) + "\n", StandardCharsets.UTF_8);
            }
            out.commit();
        }
    }
}
