package dev.lens4j.transformer.train;

import java.util.Map;
import java.util.SplittableRandom;

/**
 * Training data on which only induction predicts anything: a beginning-of-sequence token, then random
 * tokens in which one block of random length is copied to a random later place.
 *
 * <pre>
 *   BOS  x1 x2 [a b c d] x7 x8 x9 [a b c d] x14 ... x47
 *            block at src          copy at dst
 * </pre>
 *
 * <p>Inside the copy every token after the first ({@code b c d}) is predictable by looking back at what
 * followed the previous occurrence of the current token; nothing else is predictable.
 *
 * <p>Sampling, per sequence, from one {@link SplittableRandom}: the block length {@code n} uniform in
 * {@code [minBlock, maxBlock]}; then the pair of start positions {@code (src, dst)} uniform over all pairs
 * with {@code 1 <= src}, {@code src + n <= dst}, {@code dst + n <= T} (rejection sampling); then the
 * tokens outside the copy, uniform over the vocabulary without the BOS token; then the copy. The same
 * seed gives the same batches on every JVM.
 *
 * <p>Why this shape. A 2-layer attention-only model takes any shortcut the data leaves open, and the
 * shortcuts hide the induction circuit:
 * <ul>
 *   <li>a fixed offset between the two copies lets layer 1 attend a fixed distance back by positional
 *       embeddings, and no previous-token head forms;</li>
 *   <li>a fixed block length (16, at random offsets) lets layer-0 heads attend {@code n - 1} positions
 *       back instead of one; measured with lens4j's trainer, no previous-token head formed;</li>
 *   <li>with a small vocabulary drawn with replacement, tokens recur by chance all the time (with 63
 *       words, a third of the positions of a 48-token sequence hold a token seen before), so matching one
 *       token mostly finds coincidences: loss on the copies stalled around 0.7 and the heads were diffuse.</li>
 * </ul>
 * Hence random offsets, block lengths from 8 to 23 and, with {@code distinct} tokens (the default of
 * {@link TrainingOptions}), the tokens outside the copy drawn without replacement, so that a token recurs
 * only inside the copy, as with a large vocabulary. With these defaults every one of 6 seeds formed a
 * previous-token head and four induction heads, and the loss on the copies fell below 0.5 after about
 * 1,000 to 1,150 steps.
 */
public final class InductionData implements TrainingData {

    private final int vocabSize;
    private final int bosId;
    private final int pos;
    private final int minBlock;
    private final int maxBlock;
    private final boolean distinct;

    /**
     * A generator for sequences of {@code pos} tokens over a vocabulary of {@code vocabSize}.
     *
     * @param vocabSize {@code d_vocab}, at least 2
     * @param bosId the BOS token id in {@code [0, vocabSize)}
     * @param pos sequence length including BOS
     * @param minBlock shortest copied block, at least 2
     * @param maxBlock longest copied block; two copies must fit: {@code 1 + 2 maxBlock <= pos}
     * @param distinct draw the tokens outside the copy without replacement (needs
     *                 {@code pos - 1 - minBlock <= vocabSize - 1})
     * @throws IllegalArgumentException if the sizes are inconsistent
     */
    public InductionData(int vocabSize, int bosId, int pos, int minBlock, int maxBlock, boolean distinct) {
        if (vocabSize < 2 || bosId < 0 || bosId >= vocabSize) {
            throw new IllegalArgumentException("need vocabSize >= 2 and 0 <= bosId < vocabSize, got " + vocabSize + ", " + bosId);
        }
        if (minBlock < 2 || maxBlock < minBlock || 1 + 2 * maxBlock > pos) {
            throw new IllegalArgumentException("need 2 <= minBlock <= maxBlock and 1 + 2 maxBlock <= pos, got minBlock "
                    + minBlock + ", maxBlock " + maxBlock + ", pos " + pos);
        }
        this.vocabSize = vocabSize;
        this.bosId = bosId;
        this.pos = pos;
        this.minBlock = minBlock;
        if (distinct && pos - 1 - minBlock > vocabSize - 1) {
            throw new IllegalArgumentException("distinct tokens need pos - 1 - minBlock <= vocabSize - 1, got pos " + pos
                    + ", minBlock " + minBlock + ", vocabSize " + vocabSize);
        }
        this.maxBlock = maxBlock;
        this.distinct = distinct;
    }

    @Override
    public int pos() {
        return pos;
    }

    /** The data's settings are {@link TrainingOptions}' ({@code min_block}, {@code max_block}, {@code distinct_tokens}). */
    @Override
    public Map<String, Object> toJsonMap() {
        return Map.of();
    }

    /**
     * Draws a batch; {@code repeated} marks the predictable tokens of the copy (its second to last).
     *
     * @param rng the random source, advanced
     * @param batch number of sequences
     * @return the batch
     */
    @Override
    public TrainingBatch next(SplittableRandom rng, int batch) {
        int[] tokens = new int[batch * pos];
        int[] targets = new int[batch * pos];
        boolean[] repeated = new boolean[batch * pos];
        for (int b = 0; b < batch; b++) {
            int o = b * pos;
            int n = minBlock + rng.nextInt(maxBlock - minBlock + 1);
            int src, dst;
            do {
                int x = 1 + rng.nextInt(pos - n), y = 1 + rng.nextInt(pos - n); // starts in [1, pos - n]
                src = Math.min(x, y);
                dst = Math.max(x, y);
            } while (dst - src < n);
            tokens[o] = bosId;
            int[] fresh = randomTokens(rng, pos - 1 - n);
            for (int t = 1, k = 0; t < pos; t++) {
                if (t < dst || t >= dst + n) {
                    tokens[o + t] = fresh[k++];
                }
            }
            System.arraycopy(tokens, o + src, tokens, o + dst, n);
            for (int t = 0; t < pos; t++) {
                targets[o + t] = t + 1 < pos ? tokens[o + t + 1] : -1;
                repeated[o + t] = t >= dst && t <= dst + n - 2;
            }
        }
        return new TrainingBatch(tokens, targets, repeated, batch, pos);
    }

    /**
     * Sequences for evaluation, as TransformerLens's {@code induction_loss}: BOS, {@code half} random tokens,
     * the same tokens again.
     *
     * @param rng the random source, advanced
     * @param batch number of sequences
     * @param half length of the random half; with distinct tokens at most {@code vocabSize - 1}
     * @return {@code [batch, 1 + 2 half]} tokens; targets -1 at the last position; {@code repeated} marks
     *     the targets inside the second half (those after its first token)
     */
    public TrainingBatch repeatedSequences(SplittableRandom rng, int batch, int half) {
        int p = 1 + 2 * half;
        int[] tokens = new int[batch * p];
        int[] targets = new int[batch * p];
        boolean[] repeated = new boolean[batch * p];
        for (int b = 0; b < batch; b++) {
            int o = b * p;
            tokens[o] = bosId;
            int[] fresh = randomTokens(rng, half);
            for (int t = 1; t <= half; t++) {
                tokens[o + t] = fresh[t - 1];
                tokens[o + t + half] = fresh[t - 1];
            }
            for (int t = 0; t < p; t++) {
                targets[o + t] = t + 1 < p ? tokens[o + t + 1] : -1;
                repeated[o + t] = t > half && t < p - 1;
            }
        }
        return new TrainingBatch(tokens, targets, repeated, batch, p);
    }

    /** {@code count} tokens other than BOS: uniform, without replacement when {@code distinct}. */
    private int[] randomTokens(SplittableRandom rng, int count) {
        int[] out = new int[count];
        if (!distinct) {
            for (int i = 0; i < count; i++) {
                out[i] = notBos(rng.nextInt(vocabSize - 1));
            }
            return out;
        }
        if (count > vocabSize - 1) {
            throw new IllegalArgumentException(count + " distinct tokens requested from a vocabulary of " + (vocabSize - 1));
        }
        int[] pool = new int[vocabSize - 1];
        for (int i = 0; i < pool.length; i++) {
            pool[i] = i;
        }
        for (int i = 0; i < count; i++) { // partial Fisher-Yates shuffle
            int j = i + rng.nextInt(pool.length - i);
            int x = pool[j];
            pool[j] = pool[i];
            pool[i] = x;
            out[i] = notBos(x);
        }
        return out;
    }

    private int notBos(int id) {
        return id >= bosId ? id + 1 : id;
    }
}
