package dev.lens4j.transformer.tokenizer;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The added tokens of a tokenizer ({@code added_tokens} of tokenizer.json, such as
 * {@code <|endoftext|>} or {@code <s>}), each read as one token wherever its text appears: Hugging
 * Face's {@code AddedVocabulary}. The input is first cut at the tokens that are not
 * {@code normalized}; the pieces between are normalised and cut at the {@code normalized} ones
 * (whose text is then matched in its normalised form). At each place the earliest match wins, the
 * longest among those starting there. {@code single_word}, {@code lstrip} and {@code rstrip} work as
 * in Hugging Face's {@code find_matches}.
 */
final class AddedVocabulary {

    /**
     * One added token.
     *
     * @param id its id
     * @param content its text
     * @param singleWord only matched when not inside a word
     * @param lstrip takes the whitespace before it
     * @param rstrip takes the whitespace after it
     * @param normalized matched after normalisation, in normalised form
     * @param special a special token (such as BOS); Hugging Face can skip these when decoding
     */
    record Token(int id, String content, boolean singleWord, boolean lstrip, boolean rstrip, boolean normalized,
                 boolean special) {
    }

    /**
     * A piece of the input after cutting at added tokens: either an added token or text still to be
     * pre-tokenized.
     *
     * @param id the added token's id, or -1 for text
     * @param text the text (normalised), null for a token
     */
    record Segment(int id, NormalizedText text) {
    }

    private final List<Token> tokens;
    private final Map<Integer, Token> byId = new HashMap<>();
    /** The text each id decodes to: the content, normalised for normalized tokens. */
    private final Map<Integer, String> decodeText = new HashMap<>();
    private final Matcher raw;
    private final Matcher normalized;

    /**
     * @param tokens the added tokens
     * @param normalizer the tokenizer's normaliser, or null; normalized tokens are matched in its form
     */
    AddedVocabulary(List<Token> tokens, Normalizer normalizer) {
        this.tokens = List.copyOf(tokens);
        List<String> rawTexts = new ArrayList<>();
        List<Token> rawTokens = new ArrayList<>();
        List<String> normTexts = new ArrayList<>();
        List<Token> normTokens = new ArrayList<>();
        for (Token t : tokens) {
            byId.put(t.id(), t);
            String text = t.content();
            if (t.normalized() && normalizer != null) {
                text = normalizer.normalize(NormalizedText.of(text, 0, text.length())).text();
            }
            decodeText.put(t.id(), text);
            if (text.isEmpty()) {
                continue; // a token that normalises to nothing can never match
            }
            (t.normalized() ? normTexts : rawTexts).add(text);
            (t.normalized() ? normTokens : rawTokens).add(t);
        }
        raw = new Matcher(rawTexts, rawTokens);
        normalized = new Matcher(normTexts, normTokens);
    }

    /** @return the added tokens, in file order */
    List<Token> tokens() {
        return tokens;
    }

    /** @return the text an added token decodes to, or null if the id is not an added token */
    String decodeText(int id) {
        return decodeText.get(id);
    }

    /** @return the added token with this id, or null */
    Token get(int id) {
        return byId.get(id);
    }

    /**
     * Cuts the input at added tokens and normalises the text between them ({@code extract_and_normalize}).
     *
     * @param input the text
     * @param normalizer the normaliser, or null
     * @return the segments, with no empty text segments
     */
    List<Segment> split(String input, Normalizer normalizer) {
        List<Segment> first = new ArrayList<>();
        raw.cut(NormalizedText.of(input, 0, input.length()), first);
        List<Segment> out = new ArrayList<>();
        for (Segment s : first) {
            if (s.text() == null) {
                out.add(s);
                continue;
            }
            NormalizedText t = normalizer == null ? s.text() : normalizer.normalize(s.text());
            if (!t.isEmpty()) {
                normalized.cut(t, out);
            }
        }
        return out;
    }

    /** Leftmost-longest matching of a set of texts, with the matching rules of {@code find_matches}. */
    private static final class Matcher {
        /** For each first char, the indices of the texts starting with it, longest first. */
        private final Map<Character, int[]> byFirst = new HashMap<>();
        /** Whether some text starts with the char: a quick test before the map. */
        private final java.util.BitSet firstChars = new java.util.BitSet(Character.MAX_VALUE + 1);
        private final List<String> texts;
        private final List<Token> tokens;

        Matcher(List<String> texts, List<Token> tokens) {
            this.texts = texts;
            this.tokens = tokens;
            Map<Character, List<Integer>> groups = new HashMap<>();
            for (int k = 0; k < texts.size(); k++) {
                groups.computeIfAbsent(texts.get(k).charAt(0), c -> new ArrayList<>()).add(k);
            }
            for (Map.Entry<Character, List<Integer>> e : groups.entrySet()) {
                List<Integer> idx = e.getValue();
                idx.sort(Comparator.comparingInt((Integer k) -> texts.get(k).length()).reversed());
                byFirst.put(e.getKey(), idx.stream().mapToInt(Integer::intValue).toArray());
                firstChars.set(e.getKey());
            }
        }

        /** Cuts one non-empty piece into token and text segments, dropping empty text. */
        void cut(NormalizedText t, List<Segment> out) {
            String s = t.text();
            int startOffset = 0;
            int from = 0;
            while (true) {
                int at = -1;
                int which = -1;
                for (int i = from; i < s.length() && at < 0; i++) {
                    if (!firstChars.get(s.charAt(i))) {
                        continue;
                    }
                    int[] candidates = byFirst.get(s.charAt(i));
                    if (candidates != null) {
                        for (int k : candidates) {
                            if (s.startsWith(texts.get(k), i)) {
                                at = i;
                                which = k;
                                break;
                            }
                        }
                    }
                }
                if (at < 0) {
                    break;
                }
                int start = at;
                int stop = at + texts.get(which).length();
                from = stop; // matching goes on after this match, even when it is skipped
                Token tok = tokens.get(which);
                if (tok.singleWord()) {
                    boolean startSpace = start == 0 || !Regexes.isWordChar(s.codePointBefore(start));
                    boolean stopSpace = stop == s.length() || !Regexes.isWordChar(s.codePointAt(stop));
                    if (!startSpace || !stopSpace) {
                        continue;
                    }
                }
                if (tok.lstrip()) {
                    int newStart = start;
                    while (newStart > 0 && Regexes.isWhiteSpace(s.codePointBefore(newStart))) {
                        newStart -= Character.charCount(s.codePointBefore(newStart));
                    }
                    start = Math.max(newStart, startOffset);
                }
                if (tok.rstrip()) {
                    while (stop < s.length() && Regexes.isWhiteSpace(s.codePointAt(stop))) {
                        stop += Character.charCount(s.codePointAt(stop));
                    }
                }
                if (startOffset < start) {
                    out.add(new Segment(-1, t.slice(startOffset, start)));
                }
                out.add(new Segment(tok.id(), null));
                startOffset = stop;
            }
            if (startOffset < s.length()) {
                out.add(new Segment(-1, startOffset == 0 ? t : t.slice(startOffset, s.length())));
            }
        }
    }
}
