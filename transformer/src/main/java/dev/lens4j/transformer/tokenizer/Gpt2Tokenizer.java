package dev.lens4j.transformer.tokenizer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.OptionalInt;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;

/**
 * GPT-2's byte-level BPE tokenizer, token for token the same as OpenAI's {@code encoder.py} and
 * Hugging Face's {@code GPT2Tokenizer}.
 *
 * <p>Encoding: the text is split with GPT-2's pre-tokenisation pattern (contractions, letters,
 * digits, other symbols, whitespace; see {@link ByteLevel#PRE_TOKENIZE}), each piece's UTF-8
 * bytes become one single-byte token each, and the BPE merges are applied to them in rank order
 * (all occurrences of the lowest-ranked pair at a time, left to right), as {@code encoder.py}'s
 * {@code bpe} does. Pieces already seen come from a cache.
 *
 * <p>Special tokens: the literal text {@code <|endoftext|>} (id 50256 in GPT-2) is read as that one
 * token wherever it appears, as Hugging Face's tokenizers and TransformerLens do (OpenAI's
 * {@code encoder.py} would spell it out as 7 ordinary tokens; {@link #encodeOrdinary(String)}
 * does that). A {@code tokenizer.json}'s other added tokens are recognised the same way. It is the
 * beginning-of-sequence, end-of-sequence and padding token, as in TransformerLens for GPT-2.
 *
 * <p>Decoding maps each token's characters back to bytes and decodes them as UTF-8, replacing
 * each maximal ill-formed subsequence with one U+FFFD as Python's {@code errors="replace"} does
 * (so a token holding part of a character, such as one of the two tokens of {@code "日"}, decodes
 * to U+FFFD on its own).
 *
 * <p>Instances are immutable apart from the piece cache and safe to share between threads.
 *
 * <pre>{@code
 * Gpt2Tokenizer tok = Gpt2Tokenizer.gpt2();
 * int[] ids = tok.encode("Hello world");   // [15496, 995]
 * tok.decode(ids);                         // "Hello world"
 * tok.toStrTokens("naïve");                // [<|endoftext|>, na, ïve]
 * }</pre>
 */
public final class Gpt2Tokenizer implements Tokenizer {

    /** GPT-2's only special token. */
    public static final String END_OF_TEXT = "<|endoftext|>";

    /** Cached pieces are kept up to this many; further pieces are encoded every time. */
    private static final int CACHE_CAPACITY = 1 << 16;

    /** The tokenizer of {@link #gpt2()}, loaded on first use. */
    private static volatile Gpt2Tokenizer bundled;

    /** Token text by id, byte-level characters ("Ġworld"); null for an unused id. */
    private final String[] tokens;
    /** The token id of each single byte, -1 where the vocabulary has none. */
    private final int[] byteTokens;
    private final MergeTable merges;
    /** Texts read as one token wherever they appear, longest first. */
    private final String[] specialTexts;
    private final int[] specialIds;
    private final OptionalInt bos;
    private final OptionalInt eos;
    private final OptionalInt pad;
    private final String source;
    private final ConcurrentHashMap<String, int[]> cache = new ConcurrentHashMap<>();

    /**
     * @param tokens token text by id (byte-level characters), null for unused ids
     * @param byteTokens the token id of each byte value, -1 where there is none
     * @param merges the merge ranks on token ids
     * @param specialTexts texts read as one token, longest first
     * @param specialIds their ids
     * @param bos beginning-of-sequence id
     * @param eos end-of-sequence id
     * @param pad padding id
     * @param source where the tokenizer was loaded from, for messages
     */
    Gpt2Tokenizer(String[] tokens, int[] byteTokens, MergeTable merges, String[] specialTexts, int[] specialIds,
                  OptionalInt bos, OptionalInt eos, OptionalInt pad, String source) {
        this.tokens = tokens;
        this.byteTokens = byteTokens;
        this.merges = merges;
        this.specialTexts = specialTexts;
        this.specialIds = specialIds;
        this.bos = bos;
        this.eos = eos;
        this.pad = pad;
        this.source = source;
    }

    /**
     * The GPT-2 tokenizer (50,257 tokens, 50,000 merges) from the files shipped with lens4j, OpenAI's
     * {@code encoder.json} and {@code vocab.bpe}. Loaded once; later calls return the same instance.
     *
     * @return the GPT-2 tokenizer
     * @throws UncheckedIOException if the bundled files are missing from the class path
     */
    public static Gpt2Tokenizer gpt2() {
        Gpt2Tokenizer t = bundled;
        if (t == null) {
            synchronized (Gpt2Tokenizer.class) {
                t = bundled;
                if (t == null) {
                    try {
                        t = Gpt2TokenizerLoader.fromResources("gpt2/vocab.json", "gpt2/merges.txt");
                    } catch (IOException e) {
                        // A packaging error, not something a caller can fix.
                        throw new UncheckedIOException("the GPT-2 tokenizer files shipped with lens4j cannot be read", e);
                    }
                    bundled = t;
                }
            }
        }
        return t;
    }

    /**
     * Loads a GPT-2-style tokenizer from OpenAI's or Hugging Face's two files. {@code <|endoftext|>},
     * if the vocabulary has it, becomes the special, beginning-, end-of-sequence and padding token.
     *
     * @param vocabJson {@code vocab.json} (OpenAI's {@code encoder.json}): token text to id
     * @param mergesTxt {@code merges.txt} (OpenAI's {@code vocab.bpe}): an optional {@code #version}
     *     line, then one merge per line, two tokens separated by a space, highest priority first
     * @return the tokenizer
     * @throws java.nio.file.NoSuchFileException if a file is missing
     * @throws TokenizerFileException if a file is malformed; the message names the file and the fault
     * @throws IOException if a file cannot be read
     */
    public static Gpt2Tokenizer load(Path vocabJson, Path mergesTxt) throws IOException {
        return Gpt2TokenizerLoader.fromVocabAndMerges(vocabJson, mergesTxt);
    }

    /**
     * Loads a byte-level BPE tokenizer from a Hugging Face {@code tokenizer.json}: {@code model.vocab},
     * {@code model.merges} (as {@code "a b"} strings or {@code ["a", "b"]} pairs) and
     * {@code added_tokens}, each of which is then read as one token wherever its text appears.
     * Features this class does not implement (a normalizer, a pre-tokenizer other than plain
     * {@code ByteLevel}, {@code add_prefix_space}, dropout, byte fallback, word prefixes or suffixes)
     * are rejected rather than silently ignored.
     *
     * @param tokenizerJson the {@code tokenizer.json} file
     * @return the tokenizer
     * @throws java.nio.file.NoSuchFileException if the file is missing
     * @throws TokenizerFileException if the file is malformed or uses an unsupported feature
     * @throws IOException if the file cannot be read
     */
    public static Gpt2Tokenizer fromTokenizerJson(Path tokenizerJson) throws IOException {
        return Gpt2TokenizerLoader.fromTokenizerJson(tokenizerJson);
    }

    /**
     * Loads the tokenizer of a model folder: {@code tokenizer.json} if there is one (it also
     * describes the added tokens), otherwise {@code vocab.json} and {@code merges.txt}.
     *
     * @param dir a folder such as a Hugging Face model snapshot
     * @return the tokenizer
     * @throws java.nio.file.NoSuchFileException if the folder has neither kind of file
     * @throws TokenizerFileException if a file is malformed
     * @throws IOException if a file cannot be read
     */
    public static Gpt2Tokenizer fromDirectory(Path dir) throws IOException {
        return Gpt2TokenizerLoader.fromDirectory(dir);
    }

    @Override
    public int[] encode(String text) {
        IntList out = new IntList(text.length() / 3 + 4);
        int start = 0;
        while (start < text.length()) {
            // The earliest special token from start; at equal positions the longest (listed first).
            int at = -1;
            int which = -1;
            for (int s = 0; s < specialTexts.length; s++) {
                int i = text.indexOf(specialTexts[s], start);
                if (i >= 0 && (at < 0 || i < at)) {
                    at = i;
                    which = s;
                }
            }
            if (at < 0) {
                encodeOrdinary(text, start, text.length(), out);
                break;
            }
            encodeOrdinary(text, start, at, out);
            out.add(specialIds[which]);
            start = at + specialTexts[which].length();
        }
        return out.toArray();
    }

    /**
     * Encodes text reading special-token text such as {@code <|endoftext|>} as ordinary characters,
     * exactly as OpenAI's {@code encoder.py} does (tiktoken's {@code encode_ordinary}).
     *
     * @param text the text
     * @return the token ids {@code [pos]}
     * @throws IllegalArgumentException if the text has an unpaired surrogate, or a byte the
     *     vocabulary has no token for
     */
    public int[] encodeOrdinary(String text) {
        IntList out = new IntList(text.length() / 3 + 4);
        encodeOrdinary(text, 0, text.length(), out);
        return out.toArray();
    }

    private void encodeOrdinary(String text, int from, int to, IntList out) {
        if (from == to) {
            return;
        }
        Matcher m = ByteLevel.PRE_TOKENIZE.matcher(text).region(from, to);
        while (m.find()) {
            String piece = text.substring(m.start(), m.end());
            int[] ids = cache.get(piece);
            if (ids == null) {
                ids = bpe(text, m.start(), m.end());
                if (cache.size() < CACHE_CAPACITY) {
                    cache.put(piece, ids);
                }
            }
            out.addAll(ids);
        }
    }

    /**
     * encoder.py's {@code bpe} on token ids: start from one token per UTF-8 byte of
     * {@code text[from, to)}; while some adjacent pair has a merge, take the lowest-ranked pair and
     * merge all its occurrences, left to right.
     */
    private int[] bpe(String text, int from, int to) {
        int[] word = utf8ByteTokens(text, from, to);
        int n = word.length;
        while (n > 1) {
            int best = MergeTable.NONE;
            int first = -1;
            int second = -1;
            for (int i = 0; i + 1 < n; i++) {
                int r = merges.rank(word[i], word[i + 1]);
                if (r < best) {
                    best = r;
                    first = word[i];
                    second = word[i + 1];
                }
            }
            if (best == MergeTable.NONE) {
                break;
            }
            int merged = merges.merged(first, second);
            int w = 0;
            for (int i = 0; i < n; ) {
                if (word[i] == first && i + 1 < n && word[i + 1] == second) {
                    word[w++] = merged;
                    i += 2;
                } else {
                    word[w++] = word[i++];
                }
            }
            n = w;
        }
        return n == word.length ? word : Arrays.copyOf(word, n);
    }

    /** The single-byte token of each UTF-8 byte of {@code text[from, to)}. */
    private int[] utf8ByteTokens(String text, int from, int to) {
        int[] out = new int[(to - from) * 3];
        int n = 0;
        for (int i = from; i < to; i++) {
            char c = text.charAt(i);
            if (c < 0x80) {
                out[n++] = byteToken(c, text, from, to);
            } else if (c < 0x800) {
                out[n++] = byteToken(0xC0 | (c >> 6), text, from, to);
                out[n++] = byteToken(0x80 | (c & 0x3F), text, from, to);
            } else if (Character.isSurrogate(c)) {
                if (!Character.isHighSurrogate(c) || i + 1 >= to || !Character.isLowSurrogate(text.charAt(i + 1))) {
                    throw new IllegalArgumentException(String.format(
                            "text has an unpaired surrogate U+%04X at index %d; it has no UTF-8 encoding", (int) c, i));
                }
                int cp = Character.toCodePoint(c, text.charAt(++i));
                out[n++] = byteToken(0xF0 | (cp >> 18), text, from, to);
                out[n++] = byteToken(0x80 | ((cp >> 12) & 0x3F), text, from, to);
                out[n++] = byteToken(0x80 | ((cp >> 6) & 0x3F), text, from, to);
                out[n++] = byteToken(0x80 | (cp & 0x3F), text, from, to);
            } else {
                out[n++] = byteToken(0xE0 | (c >> 12), text, from, to);
                out[n++] = byteToken(0x80 | ((c >> 6) & 0x3F), text, from, to);
                out[n++] = byteToken(0x80 | (c & 0x3F), text, from, to);
            }
        }
        return Arrays.copyOf(out, n);
    }

    private int byteToken(int b, String text, int from, int to) {
        int id = byteTokens[b];
        if (id < 0) {
            throw new IllegalArgumentException(String.format(
                    "byte 0x%02X of \"%s\" has no token in the vocabulary of %s", b, text.substring(from, to), source));
        }
        return id;
    }

    @Override
    public String decode(int[] ids) {
        byte[] buf = new byte[ids.length * 4 + 16];
        int n = 0;
        for (int id : ids) {
            String t = rawToken(id);
            if (buf.length - n < t.length() * 3) {
                buf = Arrays.copyOf(buf, Math.max(buf.length * 2, n + t.length() * 3));
            }
            if (isByteLevel(t)) {
                for (int k = 0; k < t.length(); k++) {
                    buf[n++] = (byte) ByteLevel.charToByte(t.charAt(k));
                }
            } else {
                // An added token whose text is not in the byte alphabet stands for itself, as in
                // Hugging Face's ByteLevel decoder.
                byte[] b = t.getBytes(StandardCharsets.UTF_8);
                System.arraycopy(b, 0, buf, n, b.length);
                n += b.length;
            }
        }
        return Utf8.decodeLossy(buf, n);
    }

    private static boolean isByteLevel(String t) {
        for (int k = 0; k < t.length(); k++) {
            if (ByteLevel.charToByte(t.charAt(k)) < 0) {
                return false;
            }
        }
        return true;
    }

    /**
     * The token's text as the vocabulary spells it, with GPT-2's byte characters
     * ({@code "Ġworld"} for {@code " world"}), like Hugging Face's {@code convert_ids_to_tokens}.
     *
     * @param id a token id
     * @return the vocabulary entry
     * @throws IllegalArgumentException if the id is not a token of this vocabulary
     */
    public String rawToken(int id) {
        if (id < 0 || id >= tokens.length || tokens[id] == null) {
            throw new IllegalArgumentException("token id " + id + " is not in the vocabulary of " + source
                    + " (" + tokens.length + " ids)");
        }
        return tokens[id];
    }

    @Override
    public int vocabSize() {
        return tokens.length;
    }

    /**
     * The number of distinct merges, 50,000 for GPT-2.
     *
     * @return the number of BPE merges
     */
    public int mergeCount() {
        return merges.size();
    }

    /**
     * The special (added) tokens, longest first.
     *
     * @return the texts read as one token wherever they appear, such as {@code <|endoftext|>}
     */
    public List<String> specialTokens() {
        return List.of(specialTexts);
    }

    @Override
    public OptionalInt bosTokenId() {
        return bos;
    }

    @Override
    public OptionalInt eosTokenId() {
        return eos;
    }

    @Override
    public OptionalInt padTokenId() {
        return pad;
    }

    @Override
    public String toString() {
        return "Gpt2Tokenizer[" + tokens.length + " tokens, " + merges.size() + " merges, from " + source + "]";
    }

    /** A growable int array. */
    private static final class IntList {
        private int[] a;
        private int n;

        IntList(int capacity) {
            a = new int[Math.max(capacity, 4)];
        }

        void add(int v) {
            if (n == a.length) {
                a = Arrays.copyOf(a, n * 2);
            }
            a[n++] = v;
        }

        void addAll(int[] vs) {
            if (n + vs.length > a.length) {
                a = Arrays.copyOf(a, Math.max(a.length * 2, n + vs.length));
            }
            System.arraycopy(vs, 0, a, n, vs.length);
            n += vs.length;
        }

        int[] toArray() {
            return Arrays.copyOf(a, n);
        }
    }
}
