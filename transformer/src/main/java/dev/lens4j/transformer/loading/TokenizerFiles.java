package dev.lens4j.transformer.loading;

import dev.lens4j.transformer.tokenizer.Gpt2Tokenizer;
import dev.lens4j.transformer.tokenizer.Tokenizer;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.WeakHashMap;

/**
 * Finds a checkpoint's tokenizer and remembers which files each tokenizer came from, so that
 * {@link LensCheckpoint#save} can write them next to the weights ({@link Tokenizer} itself cannot
 * write its files).
 */
final class TokenizerFiles {

    /** Where lens4j ships GPT-2's tokenizer files (see {@link Gpt2Tokenizer#gpt2()}). */
    private static final String BUNDLED_GPT2 = "/dev/lens4j/transformer/tokenizer/gpt2/";

    /** GPT-2's vocabulary size: a checkpoint of this size without tokenizer files gets GPT-2's tokenizer. */
    static final int GPT2_VOCAB = 50257;

    /** Tokenizer to the folder it was loaded from; weak, so tokenizers are not kept alive. */
    private static final Map<Tokenizer, Path> SOURCES = Collections.synchronizedMap(new WeakHashMap<>());

    private TokenizerFiles() {}

    /** @return whether a folder has tokenizer files ({@code tokenizer.json}, or {@code vocab.json} and {@code merges.txt}) */
    static boolean present(Path dir) {
        return Files.isRegularFile(dir.resolve("tokenizer.json"))
                || (Files.isRegularFile(dir.resolve("vocab.json")) && Files.isRegularFile(dir.resolve("merges.txt")));
    }

    /**
     * The tokenizer of a checkpoint folder: its own files if it has them, otherwise GPT-2's built-in
     * tokenizer when the vocabulary is GPT-2's size, otherwise none.
     *
     * @param dir the checkpoint folder
     * @param dVocab the model's vocabulary size
     * @param source the checkpoint, for messages
     * @return the tokenizer, or null
     * @throws IOException if the tokenizer files are malformed, or hold more tokens than the model has rows of W_E
     */
    static Tokenizer forCheckpoint(Path dir, int dVocab, String source) throws IOException {
        Tokenizer tok;
        if (present(dir)) {
            tok = Gpt2Tokenizer.fromDirectory(dir);
            SOURCES.put(tok, dir.toAbsolutePath());
        } else if (dVocab == GPT2_VOCAB) {
            tok = Gpt2Tokenizer.gpt2();
        } else {
            return null;
        }
        if (tok.vocabSize() > dVocab) {
            throw new CheckpointFormatException(source, "the tokenizer in " + dir + " has " + tok.vocabSize()
                    + " tokens but the model's vocabulary (d_vocab) is " + dVocab);
        }
        return tok;
    }

    /**
     * Writes a tokenizer's files into a folder: GPT-2's bundled {@code vocab.json} and
     * {@code merges.txt} for {@link Gpt2Tokenizer#gpt2()}, or copies of the files a tokenizer was loaded
     * from by this package.
     *
     * @param tok the tokenizer, or null
     * @param dir the target folder
     * @return the files written; empty when the tokenizer is null or its files are not known
     * @throws IOException if writing fails
     */
    static List<Path> write(Tokenizer tok, Path dir) throws IOException {
        List<Path> out = new ArrayList<>();
        if (tok == null) {
            return out;
        }
        Path from = SOURCES.get(tok);
        if (from != null) {
            List<String> names = Files.isRegularFile(from.resolve("tokenizer.json"))
                    ? List.of("tokenizer.json") : List.of("vocab.json", "merges.txt");
            for (String n : names) {
                Path target = dir.resolve(n);
                Files.copy(from.resolve(n), target, StandardCopyOption.REPLACE_EXISTING);
                out.add(target);
            }
        } else if (tok instanceof Gpt2Tokenizer g && g.vocabSize() == GPT2_VOCAB && g == Gpt2Tokenizer.gpt2()) {
            for (String n : List.of("vocab.json", "merges.txt")) {
                try (InputStream in = TokenizerFiles.class.getResourceAsStream(BUNDLED_GPT2 + n)) {
                    if (in == null) {
                        throw new IOException("the GPT-2 tokenizer file " + BUNDLED_GPT2 + n + " is missing from the class path");
                    }
                    Path target = dir.resolve(n);
                    Files.copy(in, target, StandardCopyOption.REPLACE_EXISTING);
                    out.add(target);
                }
            }
        }
        return out;
    }

    /** Records where a tokenizer came from (a folder holding its files). */
    static void remember(Tokenizer tok, Path dir) {
        SOURCES.put(tok, dir.toAbsolutePath());
    }
}
