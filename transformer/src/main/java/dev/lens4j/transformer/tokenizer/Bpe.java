package dev.lens4j.transformer.tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The BPE model of Hugging Face's tokenizers ({@code models/bpe}), on token ids: a piece's
 * characters become their tokens (or byte-fallback tokens {@code <0xHH>}, or the unknown token),
 * then merges are applied lowest rank first, leftmost first among equal ranks, with a priority
 * queue exactly as {@code Word::merge_all} does. With GPT-2's files this gives the same tokens as
 * OpenAI's {@code encoder.py}, which merges every occurrence of the best pair at once.
 *
 * <p>One deliberate difference: where Hugging Face silently drops a character that has no token,
 * no byte-fallback tokens and no unknown token, this class throws {@link IllegalArgumentException}
 * naming it.
 */
final class Bpe {

    /** Cached pieces are kept up to this many; further pieces are encoded every time. */
    private static final int CACHE_CAPACITY = 1 << 16;

    /** Token text by id; null where the vocabulary has a gap. */
    final String[] tokens;
    /** Token id by text. */
    final TokenIndex vocab;
    private final MergeTable merges;
    /** The unknown token's id, -1 for none. */
    final int unk;
    private final boolean fuseUnk;
    private final boolean byteFallback;
    private final boolean ignoreMerges;
    /** {@code continuing_subword_prefix} and {@code end_of_word_suffix}, null when absent. */
    private final String prefix;
    private final String suffix;
    /** The id of each single-char token, by char; -1 where there is none. Only without prefix and suffix. */
    private final int[] charIds;
    /** The id of each {@code <0xHH>} token, -1 where missing. */
    private final int[] byteIds = new int[256];
    /** The file, for messages. */
    private final String source;
    private final ConcurrentHashMap<String, int[]> cache = new ConcurrentHashMap<>();

    /**
     * @param tokens token text by id (gaps null)
     * @param vocab token id by text
     * @param merges merge ranks on ids
     * @param unk the unknown token's id, -1 for none
     * @param fuseUnk whether consecutive unknown characters become one unknown token
     * @param byteFallback whether a character without a token becomes its {@code <0xHH>} byte tokens
     * @param ignoreMerges whether a piece that is a token as a whole is taken as it is
     * @param prefix continuing_subword_prefix, or null
     * @param suffix end_of_word_suffix, or null
     * @param source the file, for messages
     */
    Bpe(String[] tokens, TokenIndex vocab, MergeTable merges, int unk, boolean fuseUnk, boolean byteFallback,
        boolean ignoreMerges, String prefix, String suffix, String source) {
        this.tokens = tokens;
        this.vocab = vocab;
        this.merges = merges;
        this.unk = unk;
        this.fuseUnk = fuseUnk;
        this.byteFallback = byteFallback;
        this.ignoreMerges = ignoreMerges;
        this.prefix = prefix;
        this.suffix = suffix;
        this.source = source;
        if (prefix == null && suffix == null) {
            charIds = new int[Character.MAX_VALUE + 1];
            Arrays.fill(charIds, -1);
            for (int id = 0; id < tokens.length; id++) {
                String t = tokens[id];
                if (t != null && t.length() == 1) {
                    charIds[t.charAt(0)] = id;
                }
            }
        } else {
            charIds = null;
        }
        for (int b = 0; b < 256; b++) {
            byteIds[b] = vocab.get(String.format("<0x%02X>", b));
        }
    }

    /** @return the number of distinct merges */
    int mergeCount() {
        return merges.size();
    }

    /**
     * The tokens of one pre-tokenized piece.
     *
     * @param piece non-empty text
     * @return its token ids
     * @throws IllegalArgumentException if a character has no token and the model has neither byte
     *     fallback nor an unknown token
     */
    int[] tokenize(String piece) {
        int[] ids = cache.get(piece);
        if (ids == null) {
            ids = compute(piece);
            if (cache.size() < CACHE_CAPACITY) {
                cache.put(piece, ids);
            }
        }
        return ids;
    }

    private int[] compute(String piece) {
        if (ignoreMerges) {
            int whole = vocab.get(piece);
            if (whole >= 0) {
                return new int[] {whole};
            }
        }
        return merge(symbols(piece));
    }

    /** {@code BPE::merge_word} before merging: one symbol per character, byte fallback or unknown. */
    private int[] symbols(String piece) {
        int[] out = new int[piece.length() * 4 + 4];
        int n = 0;
        int pendingUnk = -1; // an unknown token not yet written (it may still absorb the next ones)
        for (int i = 0; i < piece.length(); ) {
            int cp = piece.codePointAt(i);
            int next = i + Character.charCount(cp);
            int id;
            String s = null;
            if (charIds != null && cp <= Character.MAX_VALUE) {
                id = charIds[cp];
            } else {
                s = new String(Character.toChars(cp));
                if (i > 0 && prefix != null) {
                    s = prefix + s;
                }
                if (next == piece.length() && suffix != null) {
                    s = s + suffix;
                }
                id = vocab.get(s);
            }
            if (n + 8 > out.length) {
                out = Arrays.copyOf(out, out.length * 2);
            }
            if (id >= 0) {
                if (pendingUnk >= 0) {
                    out[n++] = pendingUnk;
                    pendingUnk = -1;
                }
                out[n++] = id;
            } else if (byteFallback && allBytes(s == null ? new String(Character.toChars(cp)) : s)) {
                // As Hugging Face: the byte tokens go in at once, before a pending unknown token.
                byte[] bytes = (s == null ? new String(Character.toChars(cp)) : s).getBytes(StandardCharsets.UTF_8);
                if (n + bytes.length + 1 > out.length) {
                    out = Arrays.copyOf(out, Math.max(out.length * 2, n + bytes.length + 8));
                }
                for (byte b : bytes) {
                    out[n++] = byteIds[b & 0xFF];
                }
            } else if (unk >= 0) {
                if (pendingUnk >= 0 && !fuseUnk) {
                    out[n++] = pendingUnk;
                }
                pendingUnk = unk;
            } else {
                throw new IllegalArgumentException(String.format(
                        "the character U+%04X (%s) has no token in %s, which has neither byte fallback nor an unknown token",
                        cp, JsonField.quoted(new String(Character.toChars(cp))), source));
            }
            i = next;
        }
        if (pendingUnk >= 0) {
            out[n++] = pendingUnk;
        }
        return Arrays.copyOf(out, n);
    }

    private boolean allBytes(String s) {
        for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
            if (byteIds[b & 0xFF] < 0) {
                return false;
            }
        }
        return true;
    }

    /** {@code Word::merge_all}: merges by a priority queue ordered by rank, then position. */
    private int[] merge(int[] sym) {
        int n = sym.length;
        if (n < 2) {
            return sym;
        }
        int[] next = new int[n];
        int[] prev = new int[n];
        boolean[] gone = new boolean[n];
        for (int i = 0; i < n; i++) {
            prev[i] = i - 1;
            next[i] = i + 1 < n ? i + 1 : -1;
        }
        Queue q = new Queue(n * 3);
        for (int i = 0; i + 1 < n; i++) {
            int r = merges.rank(sym[i], sym[i + 1]);
            if (r != MergeTable.NONE) {
                q.push(r, i, merges.merged(sym[i], sym[i + 1]));
            }
        }
        int left = n;
        while (q.size > 0) {
            int pos = q.pos[0];
            int newId = q.newId[0];
            q.pop();
            int nx = next[pos];
            if (gone[pos] || nx < 0) {
                continue;
            }
            // An entry is stale when the pair at its position no longer makes the same token.
            if (merges.rank(sym[pos], sym[nx]) == MergeTable.NONE || merges.merged(sym[pos], sym[nx]) != newId) {
                continue;
            }
            sym[pos] = newId;
            gone[nx] = true;
            left--;
            next[pos] = next[nx];
            if (next[nx] >= 0) {
                prev[next[nx]] = pos;
            }
            int p = prev[pos];
            if (p >= 0) {
                int r = merges.rank(sym[p], sym[pos]);
                if (r != MergeTable.NONE) {
                    q.push(r, p, merges.merged(sym[p], sym[pos]));
                }
            }
            if (next[pos] >= 0) {
                int r = merges.rank(sym[pos], sym[next[pos]]);
                if (r != MergeTable.NONE) {
                    q.push(r, pos, merges.merged(sym[pos], sym[next[pos]]));
                }
            }
        }
        int[] out = new int[left];
        int k = 0;
        for (int i = 0; i >= 0; i = next[i]) {
            out[k++] = sym[i];
        }
        return out;
    }

    /** A binary min-heap of (rank, position, merged id), ordered by rank, then position. */
    private static final class Queue {
        int[] rank;
        int[] pos;
        int[] newId;
        int size;

        Queue(int capacity) {
            rank = new int[Math.max(capacity, 4)];
            pos = new int[rank.length];
            newId = new int[rank.length];
        }

        private boolean less(int a, int b) {
            return rank[a] != rank[b] ? rank[a] < rank[b] : pos[a] < pos[b];
        }

        private void swap(int a, int b) {
            int t = rank[a];
            rank[a] = rank[b];
            rank[b] = t;
            t = pos[a];
            pos[a] = pos[b];
            pos[b] = t;
            t = newId[a];
            newId[a] = newId[b];
            newId[b] = t;
        }

        void push(int r, int p, int id) {
            if (size == rank.length) {
                rank = Arrays.copyOf(rank, size * 2);
                pos = Arrays.copyOf(pos, size * 2);
                newId = Arrays.copyOf(newId, size * 2);
            }
            rank[size] = r;
            pos[size] = p;
            newId[size] = id;
            for (int i = size++; i > 0 && less(i, (i - 1) / 2); i = (i - 1) / 2) {
                swap(i, (i - 1) / 2);
            }
        }

        void pop() {
            swap(0, --size);
            for (int i = 0; ; ) {
                int l = 2 * i + 1;
                int r = l + 1;
                int m = i;
                if (l < size && less(l, m)) {
                    m = l;
                }
                if (r < size && less(r, m)) {
                    m = r;
                }
                if (m == i) {
                    break;
                }
                swap(i, m);
                i = m;
            }
        }
    }
}
