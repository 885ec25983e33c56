package dev.lens4j.transformer.loading;

import dev.lens4j.transformer.tokenizer.Gpt2Tokenizer;
import dev.lens4j.transformer.tokenizer.Tokenizer;
import dev.lens4j.transformer.train.WordTokenizer;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.WeakHashMap;

/**
 * Finds a checkpoint's tokenizer, and remembers the files each tokenizer was read from so that
 * {@link LensCheckpoint#save} can write them next to the weights (a {@link Gpt2Tokenizer} cannot
 * write its own files).
 *
 * <p>Tokenizer files of a checkpoint, in order of preference: {@code tokenizer.json}, or
 * {@code vocab.json} with {@code merges.txt} (a {@link Gpt2Tokenizer}); {@value WordTokenizer#FILE_NAME}
 * (a {@link WordTokenizer}, as lens4j's trained toy models have). Without any, a model with GPT-2's
 * 50257-token vocabulary gets the built-in GPT-2 tokenizer and any other model none.
 */
final class TokenizerFiles {

    /** Where lens4j ships GPT-2's tokenizer files (see {@link Gpt2Tokenizer#gpt2()}). */
    private static final String BUNDLED_GPT2 = "dev/lens4j/transformer/tokenizer/gpt2/";

    /** GPT-2's vocabulary size. */
    static final int GPT2_VOCAB = 50257;

    private static final List<String> TOKENIZER_JSON = List.of("tokenizer.json");
    private static final List<String> VOCAB_MERGES = List.of("vocab.json", "merges.txt");

    /** Tokenizer to the files it was read from (file name to content); weak, so tokenizers are not kept alive. */
    private static final Map<Tokenizer, Map<String, byte[]>> SOURCES = Collections.synchronizedMap(new WeakHashMap<>());

    private TokenizerFiles() {}

    /** Reads a resource or file by name, or null when it does not exist. */
    @FunctionalInterface
    interface FileReader {
        byte[] read(String name) throws IOException;
    }

    /**
     * The tokenizer of a checkpoint folder.
     *
     * @param dir the checkpoint folder
     * @param dVocab the model's vocabulary size
     * @return the tokenizer, or null
     * @throws IOException if the tokenizer files are malformed, or hold more tokens than the model's d_vocab
     */
    static Tokenizer forCheckpoint(Path dir, int dVocab) throws IOException {
        return find(name -> Files.isRegularFile(dir.resolve(name)) ? Files.readAllBytes(dir.resolve(name)) : null,
                dir, dir.toString(), dVocab);
    }

    /**
     * The tokenizer of a checkpoint stored as class-path resources.
     *
     * @param loader the class loader
     * @param prefix the resource folder, ending in {@code /}
     * @param dVocab the model's vocabulary size
     * @return the tokenizer, or null
     * @throws IOException if the tokenizer files are malformed or too large for the model
     */
    static Tokenizer forResources(ClassLoader loader, String prefix, int dVocab) throws IOException {
        return find(name -> {
            try (InputStream in = loader.getResourceAsStream(prefix + name)) {
                return in == null ? null : in.readAllBytes();
            }
        }, null, "class-path resource " + prefix, dVocab);
    }

    /**
     * @param dir the folder the files are in, or null when they are not files (resources): then a
     *            {@link Gpt2Tokenizer} is built through a temporary folder
     */
    private static Tokenizer find(FileReader files, Path dir, String where, int dVocab) throws IOException {
        Tokenizer tok = null;
        for (List<String> names : List.of(TOKENIZER_JSON, VOCAB_MERGES)) {
            Map<String, byte[]> content = readAll(files, names);
            if (content != null) {
                tok = dir != null ? Gpt2Tokenizer.fromDirectory(dir) : gpt2FromFiles(content);
                SOURCES.put(tok, content);
                break;
            }
        }
        if (tok == null) {
            byte[] words = files.read(WordTokenizer.FILE_NAME);
            if (words != null) {
                tok = WordTokenizer.read(new java.io.ByteArrayInputStream(words), where + "/" + WordTokenizer.FILE_NAME);
            } else if (dVocab == GPT2_VOCAB) {
                tok = Gpt2Tokenizer.gpt2();
            }
        }
        if (tok != null && tok.vocabSize() > dVocab) {
            throw new CheckpointFormatException(where, "the tokenizer has " + tok.vocabSize()
                    + " tokens but the model's vocabulary (d_vocab) is " + dVocab);
        }
        return tok;
    }

    /** @return every file's content, or null if any is missing */
    private static Map<String, byte[]> readAll(FileReader files, List<String> names) throws IOException {
        Map<String, byte[]> out = new LinkedHashMap<>();
        for (String n : names) {
            byte[] b = files.read(n);
            if (b == null) {
                return null;
            }
            out.put(n, b);
        }
        return out;
    }

    /**
     * Builds a {@link Gpt2Tokenizer} from file contents. Its loaders read paths, so the files go
     * through a private temporary folder, deleted at once.
     */
    private static Gpt2Tokenizer gpt2FromFiles(Map<String, byte[]> content) throws IOException {
        Path tmp = Files.createTempDirectory("lens4j-tokenizer");
        try {
            for (Map.Entry<String, byte[]> e : content.entrySet()) {
                Files.write(tmp.resolve(e.getKey()), e.getValue());
            }
            return Gpt2Tokenizer.fromDirectory(tmp);
        } finally {
            for (String n : content.keySet()) {
                Files.deleteIfExists(tmp.resolve(n));
            }
            Files.deleteIfExists(tmp);
        }
    }

    /**
     * Writes a tokenizer's files into a folder: the files a {@link Gpt2Tokenizer} was read from by
     * this package, GPT-2's bundled {@code vocab.json} and {@code merges.txt} for
     * {@link Gpt2Tokenizer#gpt2()}, or {@value WordTokenizer#FILE_NAME} for a {@link WordTokenizer}.
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
        Map<String, byte[]> content = SOURCES.get(tok);
        if (content != null) {
            for (Map.Entry<String, byte[]> e : content.entrySet()) {
                out.add(Files.write(dir.resolve(e.getKey()), e.getValue()));
            }
        } else if (tok instanceof WordTokenizer w) {
            Path file = dir.resolve(WordTokenizer.FILE_NAME);
            w.write(file);
            out.add(file);
        } else if (tok instanceof Gpt2Tokenizer g && g.vocabSize() == GPT2_VOCAB && g == Gpt2Tokenizer.gpt2()) {
            for (String n : VOCAB_MERGES) {
                try (InputStream in = TokenizerFiles.class.getClassLoader().getResourceAsStream(BUNDLED_GPT2 + n)) {
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
}
