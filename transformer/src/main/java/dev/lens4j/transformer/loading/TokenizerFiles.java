package dev.lens4j.transformer.loading;

import dev.lens4j.transformer.TransformerConfig;
import dev.lens4j.transformer.tokenizer.Gpt2Tokenizer;
import dev.lens4j.transformer.tokenizer.HfTokenizer;
import dev.lens4j.transformer.tokenizer.Tokenizer;
import dev.lens4j.transformer.tokenizer.TokenizerFileException;
import dev.lens4j.transformer.train.WordTokenizer;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
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
 * {@link LensCheckpoint#save} can write them next to the weights (a tokenizer cannot write its own files).
 *
 * <p>Tokenizer files of a checkpoint folder, in order of preference:
 * <ol>
 *   <li>{@code tokenizer.json}, with {@code tokenizer_config.json} if present (an {@link HfTokenizer}:
 *       byte-level or SentencePiece-style BPE, see docs/TOKENIZERS.md);</li>
 *   <li>{@code vocab.json} with {@code merges.txt} (a {@link Gpt2Tokenizer}); one without the other is refused;</li>
 *   <li>{@value WordTokenizer#FILE_NAME} (a {@link WordTokenizer}, as lens4j's trained toy models have).</li>
 * </ol>
 * A folder with none of these but with {@code tokenizer_config.json} or a SentencePiece
 * {@code tokenizer.model} is refused, naming the file lens4j would need. A folder without any
 * tokenizer file gets the built-in GPT-2 tokenizer if the model has GPT-2's 50257-token vocabulary,
 * and no tokenizer otherwise. A tokenizer with more tokens than the model's {@code d_vocab} is refused.
 */
final class TokenizerFiles {

    /** Where lens4j ships GPT-2's tokenizer files (see {@link Gpt2Tokenizer#gpt2()}). */
    private static final String BUNDLED_GPT2 = "dev/lens4j/transformer/tokenizer/gpt2/";

    /** GPT-2's vocabulary size. */
    static final int GPT2_VOCAB = 50257;

    static final String TOKENIZER_JSON = "tokenizer.json";
    static final String TOKENIZER_CONFIG = "tokenizer_config.json";
    static final String VOCAB_JSON = "vocab.json";
    static final String MERGES_TXT = "merges.txt";
    /** A SentencePiece model, which lens4j does not read. */
    static final String SENTENCEPIECE_MODEL = "tokenizer.model";

    /** Tokenizer to the files it was read from (file name to content); weak, so tokenizers are not kept alive. */
    private static final Map<Tokenizer, Map<String, byte[]>> SOURCES = Collections.synchronizedMap(new WeakHashMap<>());

    private TokenizerFiles() {}

    /** Reads a resource or file by name, or null when it does not exist. */
    @FunctionalInterface
    interface FileReader {
        byte[] read(String name) throws IOException;
    }

    /**
     * The tokenizer of a model folder: the entry point for loaders. Reads {@code tokenizer.json} and
     * {@code tokenizer_config.json} (special tokens, {@code add_bos_token}) itself, so a loader needs
     * to pass only the folder and the model's {@code d_vocab}.
     *
     * @param dir the model folder (a Hugging Face snapshot or a lens4j checkpoint)
     * @param dVocab the model's vocabulary size
     * @return the tokenizer, or null when the folder has no tokenizer files and the model's
     *     vocabulary is not GPT-2's
     * @throws NoSuchFileException if vocab.json or merges.txt is there without the other
     * @throws TokenizerFileException if a tokenizer file is malformed, uses an unsupported component,
     *     or is of a kind lens4j does not read; the message names the file
     * @throws CheckpointFormatException if the tokenizer holds more tokens than the model's d_vocab
     * @throws IOException if a file cannot be read
     */
    static Tokenizer forFolder(Path dir, int dVocab) throws IOException {
        return find(name -> {
            Path p = dir.resolve(name);
            if (!Files.exists(p, LinkOption.NOFOLLOW_LINKS)) {
                return null;
            }
            if (!Files.isRegularFile(p)) {
                throw new TokenizerFileException(p.toString(), "is not a regular file");
            }
            return Files.readAllBytes(p);
        }, dir + java.io.File.separator, dir.toString(), dVocab);
    }

    /**
     * The tokenizer of a checkpoint folder for a model with this config: {@link #forFolder(Path, int)}
     * with the config's {@code d_vocab}, and with the config's {@code default_prepend_bos} (false for
     * the families TransformerLens 2.18 loads without BOS by default: Qwen2, Qwen3).
     *
     * @param dir the checkpoint folder
     * @param cfg the model's config
     * @return the tokenizer, or null
     * @throws IOException as {@link #forFolder(Path, int)}, and a {@link CheckpointFormatException} when the
     *     config turns BOS off by default for a tokenizer that cannot (only tokenizer.json tokenizers can)
     */
    static Tokenizer forCheckpoint(Path dir, TransformerConfig cfg) throws IOException {
        return withConfigDefaults(forFolder(dir, cfg.dVocab()), cfg, dir.toString());
    }

    /**
     * The tokenizer of a checkpoint stored as class-path resources.
     *
     * @param loader the class loader
     * @param prefix the resource folder, ending in {@code /}
     * @param cfg the model's config ({@code d_vocab}, {@code default_prepend_bos})
     * @return the tokenizer, or null
     * @throws IOException as {@link #forCheckpoint(Path, TransformerConfig)}
     */
    static Tokenizer forResources(ClassLoader loader, String prefix, TransformerConfig cfg) throws IOException {
        Tokenizer tok = find(name -> {
            try (InputStream in = loader.getResourceAsStream(prefix + name)) {
                return in == null ? null : in.readAllBytes();
            }
        }, "class-path resource " + prefix, "class-path resource " + prefix, cfg.dVocab());
        return withConfigDefaults(tok, cfg, "class-path resource " + prefix);
    }

    /** The tokenizer with the config's {@code default_prepend_bos}, still known to {@link #write}. */
    private static Tokenizer withConfigDefaults(Tokenizer tok, TransformerConfig cfg, String where) throws CheckpointFormatException {
        if (tok == null || tok.defaultPrependBos() == cfg.defaultPrependBos()) {
            return tok;
        }
        if (!(tok instanceof HfTokenizer hf)) {
            throw new CheckpointFormatException(where, "the config says default_prepend_bos " + cfg.defaultPrependBos()
                    + ", which lens4j supports only with a tokenizer.json tokenizer, not " + tok.kind());
        }
        HfTokenizer out = hf.withDefaultPrependBos(cfg.defaultPrependBos());
        Map<String, byte[]> content = SOURCES.get(tok);
        if (content != null) {
            SOURCES.put(out, content);
        }
        return out;
    }

    /**
     * @param files reads a file by name
     * @param prefix put before a file name to name it in messages
     * @param where the folder, for messages
     */
    private static Tokenizer find(FileReader files, String prefix, String where, int dVocab) throws IOException {
        Tokenizer tok;
        Map<String, byte[]> content = new LinkedHashMap<>();
        byte[] json = files.read(TOKENIZER_JSON);
        byte[] config = files.read(TOKENIZER_CONFIG);
        byte[] vocab = files.read(VOCAB_JSON);
        byte[] merges = files.read(MERGES_TXT);
        if (json != null) {
            tok = HfTokenizer.read(prefix + TOKENIZER_JSON, json, config == null ? null : prefix + TOKENIZER_CONFIG, config);
            content.put(TOKENIZER_JSON, json);
            if (config != null) {
                content.put(TOKENIZER_CONFIG, config);
            }
        } else if (vocab != null || merges != null) {
            if (vocab == null || merges == null) {
                String missing = vocab == null ? VOCAB_JSON : MERGES_TXT;
                throw new NoSuchFileException(prefix + missing, null, (vocab == null ? MERGES_TXT : VOCAB_JSON)
                        + " is there but " + missing + " is not; a GPT-2 tokenizer needs both (lens4j does not "
                        + "fall back to its built-in GPT-2 tokenizer)");
            }
            tok = Gpt2Tokenizer.read(prefix + VOCAB_JSON, vocab, prefix + MERGES_TXT, merges);
            content.put(VOCAB_JSON, vocab);
            content.put(MERGES_TXT, merges);
        } else {
            byte[] words = files.read(WordTokenizer.FILE_NAME);
            if (words != null) {
                tok = WordTokenizer.read(new ByteArrayInputStream(words), prefix + WordTokenizer.FILE_NAME);
            } else if (files.read(SENTENCEPIECE_MODEL) != null) {
                throw new TokenizerFileException(prefix + SENTENCEPIECE_MODEL, "is a SentencePiece model, which lens4j "
                        + "does not read; it reads the tokenizer.json that Hugging Face converts it to");
            } else if (config != null) {
                throw new TokenizerFileException(prefix + TOKENIZER_CONFIG, "is there without tokenizer.json (or "
                        + "vocab.json and merges.txt), which lens4j needs to tokenize");
            } else {
                tok = dVocab == GPT2_VOCAB ? Gpt2Tokenizer.gpt2() : null;
            }
        }
        if (tok != null && tok.vocabSize() > dVocab) {
            throw new CheckpointFormatException(where, "the tokenizer has " + tok.vocabSize()
                    + " tokens but the model's vocabulary (d_vocab) is " + dVocab);
        }
        if (!content.isEmpty()) {
            SOURCES.put(tok, content);
        }
        return tok;
    }

    /**
     * Writes a tokenizer's files into a folder: the files a tokenizer was read from by this package,
     * GPT-2's bundled {@code vocab.json} and {@code merges.txt} for {@link Gpt2Tokenizer#gpt2()}, or
     * {@value WordTokenizer#FILE_NAME} for a {@link WordTokenizer}.
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
        } else if (tok == Gpt2Tokenizer.gpt2()) {
            for (String n : List.of(VOCAB_JSON, MERGES_TXT)) {
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
