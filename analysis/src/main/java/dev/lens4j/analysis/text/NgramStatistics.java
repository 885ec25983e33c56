package dev.lens4j.analysis.text;

import java.util.Arrays;

/**
 * Unigram and bigram statistics of a token stream, and the two baseline language models they give:
 * what a model of the same corpus should beat, and what its direct path (embedding to unembedding)
 * can at best learn.
 *
 * <p>The unigram model is add-one smoothed, {@code P(b) = (c(b) + 1) / (N + V)}. The bigram model is
 * interpolated with it by Witten-Bell smoothing:
 * {@code P(b | a) = (c(a, b) + t(a) P(b)) / (c(a) + t(a))}, where {@code c(a)} counts the bigrams that
 * start with {@code a} and {@code t(a)} how many different tokens follow {@code a}. Every probability
 * is positive, so both models have a finite loss on any text. Counts are exact; probabilities are
 * computed in double precision.
 *
 * <pre>{@code
 * NgramStatistics s = NgramStatistics.of(trainTokens, 2048);
 * double bigramLoss = s.bigramLoss(heldOutTokens);     // nats per token
 * int[] next = s.topNext(tok.toSingleToken(" children"), 5);
 * }</pre>
 */
public final class NgramStatistics {

    private final int vocab;
    private final long total;
    private final long[] unigram;
    /** CSR rows: bigrams starting with a are {@code next[rowStart[a] .. rowStart[a + 1])}, sorted by token. */
    private final int[] rowStart;
    private final int[] next;
    private final int[] pairCount;
    private final long[] rowTotal;

    private NgramStatistics(int vocab, long total, long[] unigram, int[] rowStart, int[] next, int[] pairCount, long[] rowTotal) {
        this.vocab = vocab;
        this.total = total;
        this.unigram = unigram;
        this.rowStart = rowStart;
        this.next = next;
        this.pairCount = pairCount;
        this.rowTotal = rowTotal;
    }

    /**
     * Counts a stream's unigrams and its adjacent pairs.
     *
     * @param stream the tokens, {@code [n]}, each in {@code [0, vocab)}
     * @param vocab the vocabulary size
     * @return the statistics
     * @throws IllegalArgumentException for a token outside the vocabulary or an empty stream
     */
    public static NgramStatistics of(int[] stream, int vocab) {
        if (stream.length < 2) {
            throw new IllegalArgumentException("need at least 2 tokens, got " + stream.length);
        }
        long[] uni = new long[vocab];
        for (int i = 0; i < stream.length; i++) {
            int t = stream[i];
            if (t < 0 || t >= vocab) {
                throw new IllegalArgumentException("token " + t + " at " + i + " is outside the vocabulary [0, " + vocab + ")");
            }
            uni[t]++;
        }
        long[] keys = new long[stream.length - 1];
        for (int i = 0; i + 1 < stream.length; i++) {
            keys[i] = (long) stream[i] * vocab + stream[i + 1];
        }
        Arrays.sort(keys);
        int distinct = 0;
        for (int i = 0; i < keys.length; i++) {
            distinct += i == 0 || keys[i] != keys[i - 1] ? 1 : 0;
        }
        int[] rowStart = new int[vocab + 1];
        int[] next = new int[distinct];
        int[] count = new int[distinct];
        long[] rowTotal = new long[vocab];
        int k = -1;
        for (int i = 0; i < keys.length; i++) {
            int a = (int) (keys[i] / vocab), b = (int) (keys[i] % vocab);
            if (i == 0 || keys[i] != keys[i - 1]) {
                k++;
                next[k] = b;
                rowStart[a + 1]++;
            }
            count[k]++;
            rowTotal[a]++;
        }
        for (int a = 0; a < vocab; a++) {
            rowStart[a + 1] += rowStart[a];
        }
        return new NgramStatistics(vocab, stream.length, uni, rowStart, next, count, rowTotal);
    }

    /**
     * Returns the vocabulary size.
     *
     * @return {@code V}
     */
    public int vocabSize() {
        return vocab;
    }

    /**
     * Returns the number of tokens counted.
     *
     * @return {@code N}
     */
    public long tokens() {
        return total;
    }

    /**
     * How often a token occurs.
     *
     * @param token the token
     * @return its count
     */
    public long count(int token) {
        return unigram[token];
    }

    /**
     * How often a pair occurs.
     *
     * @param a the first token
     * @param b the token after it
     * @return the count of {@code a b}
     */
    public int pairCount(int a, int b) {
        int i = Arrays.binarySearch(next, rowStart[a], rowStart[a + 1], b);
        return i >= 0 ? pairCount[i] : 0;
    }

    /**
     * The add-one unigram probability.
     *
     * @param b the token
     * @return {@code P(b)}
     */
    public double unigram(int b) {
        return (unigram[b] + 1.0) / (total + vocab);
    }

    /**
     * The Witten-Bell bigram probability.
     *
     * @param a the previous token
     * @param b the token
     * @return {@code P(b | a)}
     */
    public double bigram(int a, int b) {
        int types = rowStart[a + 1] - rowStart[a];
        if (types == 0) {
            return unigram(b);
        }
        return (pairCount(a, b) + types * unigram(b)) / (rowTotal[a] + types);
    }

    /**
     * The bigram log-probabilities of every token after {@code a}.
     *
     * @param a the previous token
     * @return {@code [vocab]} {@code ln P(b | a)}
     */
    public double[] bigramLogProbs(int a) {
        double[] out = new double[vocab];
        for (int b = 0; b < vocab; b++) {
            out[b] = Math.log(bigram(a, b));
        }
        return out;
    }

    /**
     * The tokens that most often follow {@code a}, most frequent first (ties: smaller id first).
     *
     * @param a the previous token
     * @param k how many
     * @return up to {@code k} tokens
     */
    public int[] topNext(int a, int k) {
        int from = rowStart[a], to = rowStart[a + 1];
        Integer[] idx = new Integer[to - from];
        for (int i = 0; i < idx.length; i++) {
            idx[i] = from + i;
        }
        Arrays.sort(idx, (x, y) -> pairCount[x] != pairCount[y] ? Integer.compare(pairCount[y], pairCount[x]) : Integer.compare(next[x], next[y]));
        int[] out = new int[Math.min(k, idx.length)];
        for (int i = 0; i < out.length; i++) {
            out[i] = next[idx[i]];
        }
        return out;
    }

    /**
     * The most frequent tokens, most frequent first (ties: smaller id first).
     *
     * @param k how many
     * @param exclude a token to leave out (BOS), or -1
     * @return up to {@code k} tokens that occur at least once
     */
    public int[] mostFrequent(int k, int exclude) {
        Integer[] idx = new Integer[vocab];
        for (int i = 0; i < vocab; i++) {
            idx[i] = i;
        }
        Arrays.sort(idx, (x, y) -> unigram[x] != unigram[y] ? Long.compare(unigram[y], unigram[x]) : Integer.compare(x, y));
        int[] out = new int[k];
        int n = 0;
        for (int i = 0; i < vocab && n < k; i++) {
            if (idx[i] != exclude && unigram[idx[i]] > 0) {
                out[n++] = idx[i];
            }
        }
        return Arrays.copyOf(out, n);
    }

    /**
     * The unigram model's mean loss on the targets of sequences: every token but each row's first.
     *
     * @param rows {@code [batch][pos]} token sequences (a BOS first is a context, never a target)
     * @return nats per token
     */
    public double unigramLoss(int[][] rows) {
        double sum = 0;
        long n = 0;
        for (int[] r : rows) {
            for (int t = 1; t < r.length; t++) {
                sum -= Math.log(unigram(r[t]));
                n++;
            }
        }
        return sum / n;
    }

    /**
     * The bigram model's mean loss on the targets of sequences: every token but each row's first, given
     * the token before it (after a BOS, the bigram model knows nothing and falls back on the unigram
     * probability, as {@link #bigram} does for a token it never saw followed).
     *
     * @param rows {@code [batch][pos]} token sequences
     * @param bos the BOS id, or -1
     * @return nats per token
     */
    public double bigramLoss(int[][] rows, int bos) {
        double sum = 0;
        long n = 0;
        for (int[] r : rows) {
            for (int t = 1; t < r.length; t++) {
                sum -= Math.log(r[t - 1] == bos ? unigram(r[t]) : bigram(r[t - 1], r[t]));
                n++;
            }
        }
        return sum / n;
    }
}
