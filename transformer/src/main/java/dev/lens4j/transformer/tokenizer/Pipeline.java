package dev.lens4j.transformer.tokenizer;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Hugging Face's tokenizer pipeline, assembled from its parts: added tokens, normaliser,
 * pre-tokenizer, BPE model, post-processor and decoder ({@code TokenizerImpl} in tokenizers). Both
 * {@link Gpt2Tokenizer} and {@link HfTokenizer} run on one; immutable apart from the model's cache.
 */
final class Pipeline {

    final AddedVocabulary added;
    /** Null for none. */
    final Normalizer normalizer;
    /** Null for none: each normalised piece goes to the model whole. */
    final PreTokenizer preTokenizer;
    final Bpe model;
    /** Null for none: the tokens are joined with spaces, as Hugging Face does. */
    final Decoder decoder;
    /** What tokenizer.json's post-processor adds with special tokens; null when it has none. */
    final PostProcessor postProcessor;
    /** One more than the largest id of the model and the added tokens. */
    final int vocabSize;
    /** Where it was read from, for messages. */
    final String source;

    Pipeline(AddedVocabulary added, Normalizer normalizer, PreTokenizer preTokenizer, Bpe model, Decoder decoder,
             PostProcessor postProcessor, String source) {
        this.added = added;
        this.normalizer = normalizer;
        this.preTokenizer = preTokenizer;
        this.model = model;
        this.decoder = decoder;
        this.postProcessor = postProcessor;
        this.source = source;
        int size = model.tokens.length;
        for (AddedVocabulary.Token t : added.tokens()) {
            size = Math.max(size, t.id() + 1);
        }
        this.vocabSize = size;
    }

    /**
     * Hugging Face's {@code encode(text, add_special_tokens=False)}.
     *
     * @param text the text
     * @param addedTokens whether added tokens are recognised in the text; false reads their text as
     *     ordinary characters (OpenAI's {@code encode_ordinary})
     * @return the ids {@code [pos]}
     * @throws IllegalArgumentException for an unpaired surrogate, or a character with no token
     */
    int[] encode(String text, boolean addedTokens) {
        Utf8.requireEncodable(text);
        List<AddedVocabulary.Segment> segments;
        if (addedTokens) {
            segments = added.split(text, normalizer);
        } else {
            NormalizedText t = NormalizedText.of(text, 0, text.length());
            t = normalizer == null || t.isEmpty() ? t : normalizer.normalize(t);
            segments = t.isEmpty() ? List.of() : List.of(new AddedVocabulary.Segment(-1, t));
        }
        int[] out = new int[text.length() + 8];
        int n = 0;
        List<NormalizedText> pieces = new ArrayList<>();
        for (AddedVocabulary.Segment s : segments) {
            if (s.text() == null) {
                out = grow(out, n, 1);
                out[n++] = s.id();
                continue;
            }
            pieces.clear();
            if (preTokenizer == null) {
                pieces.add(s.text());
            } else {
                preTokenizer.split(s.text(), pieces);
            }
            for (NormalizedText p : pieces) {
                int[] ids = model.tokenize(p.text());
                out = grow(out, n, ids.length);
                System.arraycopy(ids, 0, out, n, ids.length);
                n += ids.length;
            }
        }
        return Arrays.copyOf(out, n);
    }

    private static int[] grow(int[] a, int n, int more) {
        return n + more <= a.length ? a : Arrays.copyOf(a, Math.max(a.length * 2, n + more));
    }

    /** Whether an id is a token: an added token or a model token. */
    boolean isToken(int id) {
        return added.decodeText(id) != null || (id >= 0 && id < model.tokens.length && model.tokens[id] != null);
    }

    /**
     * The vocabulary's text of a token (Hugging Face's {@code id_to_token}): an added token's
     * content (normalised for normalized ones), else the model's entry.
     *
     * @param id a token id
     * @return the token's text
     * @throws IllegalArgumentException if the id is not a token
     */
    String tokenText(int id) {
        String t = added.decodeText(id);
        if (t == null && id >= 0 && id < model.tokens.length) {
            t = model.tokens[id];
        }
        if (t == null) {
            throw new IllegalArgumentException("token id " + id + " is not in the vocabulary of " + source
                    + " (" + vocabSize + " ids)");
        }
        return t;
    }

    /**
     * Hugging Face's {@code decode(ids, skip_special_tokens=False)}, except that an id that is not a
     * token is refused rather than skipped.
     *
     * @param ids token ids {@code [pos]}
     * @return the text
     * @throws IllegalArgumentException if an id is not a token
     */
    String decode(int[] ids) {
        List<String> tokens = new ArrayList<>(ids.length);
        for (int id : ids) {
            tokens.add(tokenText(id));
        }
        if (decoder == null) {
            return String.join(" ", tokens);
        }
        return String.join("", decoder.decodeChain(tokens));
    }
}
