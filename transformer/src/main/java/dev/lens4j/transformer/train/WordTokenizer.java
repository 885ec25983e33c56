package dev.lens4j.transformer.train;

import dev.lens4j.transformer.tokenizer.Tokenizer;
import dev.lens4j.transformer.tokenizer.TokenizerFileException;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;

/**
 * A word-level tokenizer over a small fixed vocabulary, for toy models whose attention patterns should
 * read as words.
 *
 * <p>Every token except the beginning-of-sequence token is a space followed by a word, GPT-2 style
 * ({@code " apple"}). {@link #encode} splits the text on whitespace and maps each word {@code w} to the
 * token {@code " " + w}; the literal {@code <|bos|>} is the BOS token. {@link #decode} concatenates the
 * tokens, so {@code decode(encode("apple river"))} is {@code " apple river"}. A word outside the
 * vocabulary is an error naming the word.
 *
 * <pre>{@code
 * WordTokenizer tok = WordTokenizer.induction();
 * tok.encode("apple river stone");            // [1, 2, 3]
 * tok.toStrTokens("apple river");             // [<|bos|>,  apple,  river]
 * tok.encode("apple banana");                 // IllegalArgumentException: unknown word "banana" ...
 * }</pre>
 *
 * <p>On disk the vocabulary is {@value #FILE_NAME}: UTF-8, one token per line in id order, exactly as
 * the token reads (the leading space included), lines ending in {@code \n}.
 */
public final class WordTokenizer implements Tokenizer {

    /** The file name of the vocabulary in a checkpoint directory. */
    public static final String FILE_NAME = "words.txt";

    /** The beginning-of-sequence token's text. */
    public static final String BOS = "<|bos|>";

    /** The 63 words of the shipped induction model, id 1 to 63 (id 0 is {@link #BOS}). */
    private static final List<String> INDUCTION_WORDS = List.of(
            "apple", "river", "stone", "cloud", "tree", "house", "bread", "fire", "water",
            "light", "horse", "green", "table", "chair", "glass", "paper", "music", "garden",
            "bird", "fish", "moon", "star", "snow", "rain", "wind", "road", "ship",
            "king", "queen", "dog", "cat", "milk", "honey", "salt", "sugar", "gold",
            "silver", "iron", "wood", "leaf", "rose", "lake", "hill", "sand", "wave",
            "bell", "door", "book", "lamp", "clock", "coat", "shoe", "ring", "key",
            "box", "cup", "egg", "corn", "rice", "bean", "plum", "pear", "tea");

    private final List<String> tokens;
    private final Map<String, Integer> ids;
    private final int bos;

    /**
     * A tokenizer over the given tokens, the id of each being its index.
     *
     * @param tokens token text by id; one of them must be {@link #BOS}, every other one a space followed
     *               by a word without whitespace
     * @throws IllegalArgumentException naming the first malformed or repeated token
     */
    public WordTokenizer(List<String> tokens) {
        Map<String, Integer> m = new HashMap<>();
        int b = -1;
        for (int i = 0; i < tokens.size(); i++) {
            String t = tokens.get(i);
            if (t.equals(BOS)) {
                b = i;
            } else if (t.length() < 2 || t.charAt(0) != ' ' || t.substring(1).chars().anyMatch(Character::isWhitespace)) {
                throw new IllegalArgumentException("token " + i + " \"" + t + "\" is not a space followed by a word");
            }
            if (m.put(t, i) != null) {
                throw new IllegalArgumentException("token \"" + t + "\" appears twice (ids " + m.get(t) + " and " + i + ")");
            }
        }
        if (b < 0) {
            throw new IllegalArgumentException("the vocabulary has no " + BOS + " token");
        }
        this.tokens = List.copyOf(tokens);
        this.ids = Map.copyOf(m);
        this.bos = b;
    }

    /**
     * The vocabulary of lens4j's shipped induction model: {@link #BOS} (id 0) and 63 short English words.
     *
     * @return the tokenizer
     */
    public static WordTokenizer induction() {
        List<String> t = new ArrayList<>();
        t.add(BOS);
        for (String w : INDUCTION_WORDS) {
            t.add(" " + w);
        }
        return new WordTokenizer(t);
    }

    /**
     * Reads a {@value #FILE_NAME} vocabulary.
     *
     * @param file the file
     * @return the tokenizer
     * @throws IOException if the file cannot be read; a {@link TokenizerFileException} naming the file if
     *     it is malformed
     */
    public static WordTokenizer read(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            return read(in, file.toString());
        }
    }

    /**
     * Reads a {@value #FILE_NAME} vocabulary from a stream (e.g. a class-path resource).
     *
     * @param in the bytes; not closed
     * @param source the file or resource name, for error messages
     * @return the tokenizer
     * @throws IOException if reading fails; a {@link TokenizerFileException} naming {@code source} if the
     *     content is not UTF-8 or not a valid vocabulary
     */
    public static WordTokenizer read(InputStream in, String source) throws IOException {
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(in.readAllBytes())).toString();
        } catch (CharacterCodingException e) {
            throw new TokenizerFileException(source, "not valid UTF-8", e);
        }
        if (!text.endsWith("\n")) {
            throw new TokenizerFileException(source, "a word list must end with a newline");
        }
        List<String> lines = List.of(text.substring(0, text.length() - 1).split("\n", -1));
        try {
            return new WordTokenizer(lines);
        } catch (IllegalArgumentException e) {
            throw new TokenizerFileException(source, e.getMessage(), e);
        }
    }

    /**
     * Writes the vocabulary as {@value #FILE_NAME}.
     *
     * @param file the target, replaced if it exists
     * @throws IOException if writing fails
     */
    public void write(Path file) throws IOException {
        Files.writeString(file, fileContent(), StandardCharsets.UTF_8);
    }

    /**
     * Returns the {@value #FILE_NAME} text: one token per line, in id order.
     *
     * @return the {@value #FILE_NAME} text: one token per line, in id order
     */
    public String fileContent() {
        StringBuilder b = new StringBuilder();
        for (String t : tokens) {
            b.append(t).append('\n');
        }
        return b.toString();
    }

    /**
     * Returns token text by id, unmodifiable.
     *
     * @return token text by id, unmodifiable
     */
    public List<String> tokens() {
        return Collections.unmodifiableList(tokens);
    }

    @Override
    public int[] encode(String text) {
        String trimmed = text.strip();
        if (trimmed.isEmpty()) {
            return new int[0];
        }
        String[] words = trimmed.split("\\s+");
        int[] out = new int[words.length];
        for (int i = 0; i < words.length; i++) {
            String w = words[i];
            Integer id = ids.get(w.equals(BOS) ? BOS : " " + w);
            if (id == null) {
                throw new IllegalArgumentException("unknown word \"" + w + "\" (word " + (i + 1) + " of \"" + text
                        + "\"); this vocabulary has " + tokens.size() + " tokens: " + String.join(",", tokens));
            }
            out[i] = id;
        }
        return out;
    }

    @Override
    public String decode(int[] idArray) {
        StringBuilder b = new StringBuilder();
        for (int id : idArray) {
            b.append(token(id));
        }
        return b.toString();
    }

    @Override
    public String tokenString(int id) {
        return token(id);
    }

    private String token(int id) {
        if (id < 0 || id >= tokens.size()) {
            throw new IllegalArgumentException("token id " + id + " is not in [0, " + tokens.size() + ")");
        }
        return tokens.get(id);
    }

    @Override
    public int vocabSize() {
        return tokens.size();
    }

    @Override
    public OptionalInt bosTokenId() {
        return OptionalInt.of(bos);
    }

    @Override
    public OptionalInt eosTokenId() {
        return OptionalInt.empty();
    }

    @Override
    public OptionalInt padTokenId() {
        return OptionalInt.empty();
    }

    @Override
    public String toString() {
        return "WordTokenizer(" + tokens.size() + " tokens)";
    }
}
