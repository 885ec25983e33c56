package dev.lens4j.transformer.tokenizer;

import dev.lens4j.tensor.internal.Json;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Trains a byte-level BPE tokenizer on a text, GPT-2's design, and writes it as a Hugging Face
 * {@code tokenizer.json} that {@link HfTokenizer} and Python's {@code tokenizers} read with the same ids.
 *
 * <p>The text is cut into pieces exactly as the tokenizer will cut it at encoding time (GPT-2's
 * pre-tokenisation pattern, {@code ByteLevel} with {@code add_prefix_space: false}); each piece starts
 * as its UTF-8 bytes. Then, until the vocabulary is full, the most frequent adjacent pair of tokens
 * over all pieces (weighted by how often each piece occurs) becomes a new token, and every occurrence
 * of the pair is merged, left to right. A tie goes to the pair of smaller ids (left, then right), so
 * the result depends on the text and the size only.
 *
 * <p>Ids: the 256 bytes are ids 0 to 255 (id = byte value), merged tokens follow in the order they were
 * made, and {@value #END_OF_TEXT}, the beginning-of-sequence token, is the last id, as in GPT-2. A merge
 * whose result is already a token (two merges can spell the same string) reuses its id, as
 * {@code tokenizers}' trainer does.
 *
 * <pre>{@code
 * byte[] json = BpeTrainer.train(text, 2048);                    // tokenizer.json
 * HfTokenizer tok = HfTokenizer.read("tokenizer.json", json, null, null);
 * }</pre>
 */
public final class BpeTrainer {

    /** The special token put last in the vocabulary, used as BOS (and EOS), as in GPT-2. */
    public static final String END_OF_TEXT = Gpt2Tokenizer.END_OF_TEXT;

    /** Pieces are counted in chunks of about this many chars, cut where cutting changes no piece. */
    private static final int CHUNK = 1 << 16;

    private BpeTrainer() {
    }

    /**
     * Trains a tokenizer.
     *
     * @param text the training text
     * @param vocabSize the number of tokens, {@value #END_OF_TEXT} included: at least 257
     * @return the UTF-8 bytes of its {@code tokenizer.json}
     * @throws IllegalArgumentException if {@code vocabSize} is below 257, or the text has too few
     *     distinct pairs to make that many tokens
     */
    public static byte[] train(String text, int vocabSize) {
        if (vocabSize < 257) {
            throw new IllegalArgumentException("a byte-level BPE needs at least 257 tokens (256 bytes and "
                    + END_OF_TEXT + "), got " + vocabSize);
        }
        Utf8.requireEncodable(text);
        Map<String, Long> counts = pieceCounts(text);
        int n = counts.size();
        int[][] words = new int[n][];
        long[] freq = new long[n];
        int w = 0;
        for (Map.Entry<String, Long> e : counts.entrySet()) { // insertion order: first occurrence in the text
            String piece = e.getKey();
            words[w] = new int[piece.length()];
            for (int i = 0; i < piece.length(); i++) {
                words[w][i] = ByteLevel.charToByte(piece.charAt(i));
            }
            freq[w++] = e.getValue();
        }
        List<String> tokens = new ArrayList<>();
        Map<String, Integer> ids = new HashMap<>();
        for (int b = 0; b < 256; b++) {
            String s = String.valueOf(ByteLevel.byteToChar(b));
            tokens.add(s);
            ids.put(s, b);
        }
        Map<Long, Long> pairs = new HashMap<>();
        for (int k = 0; k < n; k++) {
            addPairs(words[k], freq[k], pairs, 1);
        }
        List<String[]> merges = new ArrayList<>();
        while (tokens.size() < vocabSize - 1) {
            long best = -1, bestCount = 0;
            for (Map.Entry<Long, Long> e : pairs.entrySet()) {
                long c = e.getValue();
                if (c > bestCount || (c == bestCount && c > 0 && Long.compareUnsigned(e.getKey(), best) < 0)) {
                    best = e.getKey();
                    bestCount = c;
                }
            }
            if (bestCount == 0) {
                throw new IllegalArgumentException("the text has only " + tokens.size() + " tokens' worth of pairs; "
                        + vocabSize + " tokens were asked for");
            }
            int left = (int) (best >>> 32), right = (int) best;
            String merged = tokens.get(left) + tokens.get(right);
            Integer id = ids.get(merged);
            if (id == null) {
                id = tokens.size();
                tokens.add(merged);
                ids.put(merged, id);
            }
            merges.add(new String[] {tokens.get(left), tokens.get(right)});
            for (int k = 0; k < n; k++) {
                if (contains(words[k], left, right)) {
                    addPairs(words[k], freq[k], pairs, -1);
                    words[k] = merge(words[k], left, right, id);
                    addPairs(words[k], freq[k], pairs, 1);
                }
            }
            pairs.values().removeIf(c -> c == 0);
        }
        return json(tokens, merges).getBytes(StandardCharsets.UTF_8);
    }

    /** How often each byte-level piece occurs, in order of first occurrence. */
    private static Map<String, Long> pieceCounts(String text) {
        Map<String, Long> counts = new LinkedHashMap<>();
        PreTokenizer pre = new PreTokenizer.ByteLevel(false, true);
        List<NormalizedText> pieces = new ArrayList<>();
        int from = 0;
        while (from < text.length()) {
            int to = safeCut(text, Math.min(text.length(), from + CHUNK));
            pieces.clear();
            pre.split(NormalizedText.of(text, from, to), pieces);
            for (NormalizedText p : pieces) {
                counts.merge(p.text(), 1L, Long::sum);
            }
            from = to;
        }
        return counts;
    }

    /**
     * The first position at or after {@code at} where the text can be cut without changing the
     * pre-tokenizer's pieces: a space between two letters ({@code "word| next"} gives the pieces
     * {@code "word"} and {@code " next"} either way). Cutting elsewhere could: whitespace before a
     * word is split differently at the end of the text ({@code "\n\n"} whole there, {@code "\n"},
     * {@code "\n"} before a letter).
     */
    private static int safeCut(String text, int at) {
        for (int i = Math.max(at, 1); i + 1 < text.length(); i++) {
            if (text.charAt(i) == ' ' && Character.isLetter(text.charAt(i - 1)) && Character.isLetter(text.charAt(i + 1))) {
                return i;
            }
        }
        return text.length();
    }

    private static void addPairs(int[] word, long freq, Map<Long, Long> pairs, int sign) {
        for (int i = 0; i + 1 < word.length; i++) {
            pairs.merge(key(word[i], word[i + 1]), sign * freq, Long::sum);
        }
    }

    private static long key(int left, int right) {
        return ((long) left << 32) | (right & 0xFFFFFFFFL);
    }

    private static boolean contains(int[] word, int left, int right) {
        for (int i = 0; i + 1 < word.length; i++) {
            if (word[i] == left && word[i + 1] == right) {
                return true;
            }
        }
        return false;
    }

    /** Every occurrence of the pair, left to right, replaced by {@code id}. */
    private static int[] merge(int[] word, int left, int right, int id) {
        int[] out = new int[word.length];
        int n = 0;
        for (int i = 0; i < word.length; i++) {
            if (i + 1 < word.length && word[i] == left && word[i + 1] == right) {
                out[n++] = id;
                i++;
            } else {
                out[n++] = word[i];
            }
        }
        return java.util.Arrays.copyOf(out, n);
    }

    /** The tokenizer.json of GPT-2's design with these tokens and merges, {@value #END_OF_TEXT} last. */
    private static String json(List<String> tokens, List<String[]> merges) {
        int eot = tokens.size();
        Map<String, Object> vocab = new LinkedHashMap<>();
        for (int i = 0; i < tokens.size(); i++) {
            vocab.put(tokens.get(i), i);
        }
        vocab.put(END_OF_TEXT, eot);
        List<Object> mergeList = new ArrayList<>();
        for (String[] m : merges) {
            mergeList.add(List.of(m[0], m[1]));
        }
        Map<String, Object> added = new LinkedHashMap<>();
        added.put("id", eot);
        added.put("content", END_OF_TEXT);
        added.put("single_word", false);
        added.put("lstrip", false);
        added.put("rstrip", false);
        added.put("normalized", true);
        added.put("special", true);
        Map<String, Object> model = new LinkedHashMap<>();
        model.put("type", "BPE");
        model.put("dropout", null);
        model.put("unk_token", null);
        model.put("continuing_subword_prefix", null);
        model.put("end_of_word_suffix", null);
        model.put("fuse_unk", false);
        model.put("byte_fallback", false);
        model.put("ignore_merges", false);
        model.put("vocab", vocab);
        model.put("merges", mergeList);
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("version", "1.0");
        root.put("truncation", null);
        root.put("padding", null);
        root.put("added_tokens", List.of(added));
        root.put("normalizer", null);
        root.put("pre_tokenizer", byteLevel(false, true));
        root.put("post_processor", byteLevel(true, false));
        root.put("decoder", byteLevel(true, true));
        root.put("model", model);
        return Json.write(root) + "\n";
    }

    /** A ByteLevel component as tokenizers writes it (GPT-2's settings). */
    private static Map<String, Object> byteLevel(boolean addPrefixSpace, boolean trimOffsets) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("type", "ByteLevel");
        m.put("add_prefix_space", addPrefixSpace);
        m.put("trim_offsets", trimOffsets);
        m.put("use_regex", true);
        return m;
    }
}
