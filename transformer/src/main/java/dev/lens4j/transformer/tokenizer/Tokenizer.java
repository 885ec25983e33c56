package dev.lens4j.transformer.tokenizer;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.OptionalInt;

/**
 * Turns text into token ids and back, with TransformerLens's conveniences on top.
 *
 * <p>Implementations supply {@link #encode(String)}, {@link #decode(int[])}, {@link #vocabSize()}
 * and the special-token ids; the default methods add what TransformerLens's {@code HookedTransformer}
 * offers: {@code to_tokens} ({@link #toTokens(String, boolean)}), {@code to_str_tokens}
 * ({@link #toStrTokens(String, boolean)}), {@code to_string} ({@link #toString(int[])}) and
 * {@code to_single_token} ({@link #toSingleToken(String)}). As in TransformerLens, a beginning-of-sequence
 * token is prepended by default.
 *
 * <pre>{@code
 * Tokenizer tok = Gpt2Tokenizer.gpt2();
 * tok.encode("Hello world");        // [15496, 995]
 * tok.toTokens("Hello world");      // [50256, 15496, 995]
 * tok.toStrTokens("Hello world");   // [<|endoftext|>, Hello,  world]
 * tok.toSingleToken(" world");      // 995
 * }</pre>
 *
 * <p>Token ids are {@code [pos]} arrays of {@code int} in {@code [0, vocabSize())}.
 */
public interface Tokenizer {

    /**
     * Encodes text into token ids, without a beginning-of-sequence token.
     *
     * @param text the text
     * @return the token ids {@code [pos]}; empty for empty text
     * @throws IllegalArgumentException if the text cannot be encoded (for example an unpaired
     *     surrogate char, or a character the vocabulary has no token for)
     */
    int[] encode(String text);

    /**
     * Decodes token ids into text; special tokens are kept as their text.
     *
     * @param ids token ids {@code [pos]}
     * @return the text
     * @throws IllegalArgumentException if an id is not a token of this vocabulary
     */
    String decode(int[] ids);

    /**
     * Decodes one token id.
     *
     * @param id a token id
     * @return the token's text; for a byte-level tokenizer a token that holds only part of a
     *     character's UTF-8 bytes decodes to U+FFFD
     * @throws IllegalArgumentException if the id is not a token of this vocabulary
     */
    default String decode(int id) {
        return decode(new int[] {id});
    }

    /**
     * The readable form of one token, as one element of TransformerLens's {@code to_str_tokens}.
     *
     * @param id a token id
     * @return the token decoded on its own
     * @throws IllegalArgumentException if the id is not a token of this vocabulary
     */
    default String tokenString(int id) {
        return decode(id);
    }

    /**
     * The number of token ids, {@code d_vocab} of a model using this tokenizer.
     *
     * @return one more than the largest token id
     */
    int vocabSize();

    /**
     * The token put first by {@link #toTokens(String)}; {@code <|endoftext|>} (50256) for GPT-2.
     *
     * @return the beginning-of-sequence token id, if the tokenizer has one
     */
    OptionalInt bosTokenId();

    /**
     * The token that ends a document; {@code <|endoftext|>} (50256) for GPT-2.
     *
     * @return the end-of-sequence token id, if the tokenizer has one
     */
    OptionalInt eosTokenId();

    /**
     * The token that fills batches of unequal lengths; for GPT-2, which has none of its own,
     * TransformerLens uses {@code <|endoftext|>} (50256), and so does lens4j.
     *
     * @return the padding token id, if the tokenizer has one
     */
    OptionalInt padTokenId();

    /**
     * The token that stands for text the vocabulary cannot spell; SentencePiece-style tokenizers
     * have one ({@code <unk>}), byte-level ones do not need one.
     *
     * @return the unknown-token id, if the tokenizer has one
     */
    default OptionalInt unkTokenId() {
        return OptionalInt.empty();
    }

    /**
     * Whether {@link #toTokens(String)} and {@link #toStrTokens(String)} put the beginning-of-sequence
     * token first: TransformerLens's {@code default_prepend_bos}, true unless a model family says otherwise.
     *
     * @return the default for prepending BOS
     */
    default boolean defaultPrependBos() {
        return true;
    }

    /**
     * The special tokens, read as one token wherever their text appears ({@code <|endoftext|>},
     * {@code <s>}, ...).
     *
     * @return their texts; empty if the tokenizer has none
     */
    default List<String> specialTokens() {
        return List.of();
    }

    /**
     * Names the tokenizer's kind for people, e.g. {@code "GPT-2 byte-level BPE"}.
     *
     * @return a short description
     */
    default String kind() {
        return getClass().getSimpleName();
    }

    /**
     * The id of a string that is exactly one token, like TransformerLens's {@code to_single_token}.
     *
     * @param string the token's text, e.g. {@code " world"}
     * @return its token id
     * @throws IllegalArgumentException if the string does not encode to exactly one token; the
     *     message names the string and the tokens it became
     */
    default int toSingleToken(String string) {
        int[] ids = encode(string);
        if (ids.length != 1) {
            throw new IllegalArgumentException(quoted(string) + " is not a single token: it encodes to "
                    + ids.length + " tokens " + Arrays.toString(ids) + " = " + quoteAll(toStrTokens(ids)));
        }
        return ids[0];
    }

    /**
     * Encodes text, with the beginning-of-sequence token prepended when {@link #defaultPrependBos()}
     * says so (TransformerLens's default).
     *
     * @param text the text
     * @return {@code [bos] + encode(text)} by default, shape {@code [pos]}
     * @throws IllegalArgumentException if BOS is to be prepended and the tokenizer has none
     */
    default int[] toTokens(String text) {
        return toTokens(text, defaultPrependBos());
    }

    /**
     * Encodes text, like TransformerLens's {@code to_tokens} for one string.
     *
     * @param text the text
     * @param prependBos whether to put the beginning-of-sequence token first
     * @return the token ids {@code [pos]}
     * @throws IllegalArgumentException if {@code prependBos} is set and the tokenizer has no
     *     beginning-of-sequence token
     */
    default int[] toTokens(String text, boolean prependBos) {
        int[] ids = encode(text);
        if (!prependBos) {
            return ids;
        }
        int bos = bosTokenId().orElseThrow(() -> new IllegalArgumentException(
                "prependBos is true but " + this + " has no beginning-of-sequence token"));
        int[] out = new int[ids.length + 1];
        out[0] = bos;
        System.arraycopy(ids, 0, out, 1, ids.length);
        return out;
    }

    /**
     * The text of each token of a string, beginning-of-sequence token first by default, like
     * TransformerLens's {@code to_str_tokens}.
     *
     * @param text the text
     * @return one string per token
     * @throws IllegalArgumentException if BOS is to be prepended and the tokenizer has none
     */
    default List<String> toStrTokens(String text) {
        return toStrTokens(text, defaultPrependBos());
    }

    /**
     * The text of each token of a string, like TransformerLens's {@code to_str_tokens}.
     *
     * @param text the text
     * @param prependBos whether to put the beginning-of-sequence token first
     * @return one string per token, e.g. {@code ["<|endoftext|>", "Hello", " world"]}
     * @throws IllegalArgumentException if {@code prependBos} is set and the tokenizer has no
     *     beginning-of-sequence token
     */
    default List<String> toStrTokens(String text, boolean prependBos) {
        return toStrTokens(toTokens(text, prependBos));
    }

    /**
     * The text of each of the given tokens, like TransformerLens's {@code to_str_tokens} on a
     * tensor of tokens.
     *
     * @param ids token ids {@code [pos]}
     * @return one string per token
     * @throws IllegalArgumentException if an id is not a token of this vocabulary
     */
    default List<String> toStrTokens(int[] ids) {
        List<String> out = new ArrayList<>(ids.length);
        for (int id : ids) {
            out.add(tokenString(id));
        }
        return out;
    }

    /**
     * Decodes token ids into text, like TransformerLens's {@code to_string}; the same as
     * {@link #decode(int[])}.
     *
     * @param ids token ids {@code [pos]}
     * @return the text
     * @throws IllegalArgumentException if an id is not a token of this vocabulary
     */
    default String toString(int[] ids) {
        return decode(ids);
    }

    /**
     * A token or text as lens4j shows it in messages and tables: in double quotes, with {@code \n},
     * {@code \t}, {@code \r}, {@code "} and {@code \} escaped and other control characters as
     * {@code \}{@code uXXXX}, so that leading spaces and newlines are visible ({@code " apple"}, {@code "\n"}).
     *
     * @param text the text
     * @return the quoted text
     */
    static String quoted(String text) {
        StringBuilder b = new StringBuilder(text.length() + 2).append('"');
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            switch (c) {
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                default -> {
                    if (c < 0x20 || c == 0x7F) {
                        b.append(String.format("\\u%04x", (int) c));
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        return b.append('"').toString();
    }

    private static String quoteAll(List<String> strings) {
        StringBuilder b = new StringBuilder("[");
        for (int i = 0; i < strings.size(); i++) {
            if (i > 0) {
                b.append(", ");
            }
            b.append(quoted(strings.get(i)));
        }
        return b.append(']').toString();
    }
}
