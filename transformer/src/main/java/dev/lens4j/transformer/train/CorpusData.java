package dev.lens4j.transformer.train;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Training sequences cut from a tokenized text: BOS, then {@code pos - 1} consecutive tokens starting at a
 * uniformly random place of the token stream; every position predicts the next token.
 *
 * <p>Optionally every {@code repeatEvery}th sequence of a batch repeats a passage of itself: a block
 * of {@value #MIN_BLOCK} to {@code (pos - 1) / 2} of its tokens (uniform) is copied over a later place
 * of the window, both places uniform; the rest stays the window's text. The copy's predictable
 * targets (its second to last tokens) are marked {@link TrainingBatch#repeated() repeated}. Natural
 * text repeats itself too rarely within a short window for a small model to learn induction in the
 * few million tokens that two cores train on in an hour; these passages give the two-layer model that
 * incentive, as {@link InductionData} does with random tokens. The length and both places are random
 * because a fixed distance between the copies lets the model find the earlier copy by position alone
 * (a model trained with the copy always {@code (pos - 1) / 2} tokens later learnt exactly that, and its
 * loss on held-out text without copies rose to 7.5 nats). With {@code repeatEvery} 0 the sequences are
 * plain text and nothing is marked repeated.
 */
public final class CorpusData implements TrainingData {

    /** The shortest repeated block. */
    public static final int MIN_BLOCK = 8;

    private final int[] stream;
    private final int bos;
    private final int pos;
    private final int repeatEvery;

    /**
     * Windows of a token stream, none repeated.
     *
     * @param stream the tokenized text, {@code [n_tokens]}
     * @param bos the id put first in every sequence
     * @param pos the sequence length, BOS included: at least 2 and at most {@code stream.length + 1}
     * @throws IllegalArgumentException if the stream is shorter than a sequence
     */
    public CorpusData(int[] stream, int bos, int pos) {
        this(stream, bos, pos, 0);
    }

    /**
     * Windows of a token stream, every {@code repeatEvery}th of a batch a repeated passage.
     *
     * @param stream the tokenized text, {@code [n_tokens]}
     * @param bos the id put first in every sequence
     * @param pos the sequence length, BOS included: at least 2 and at most {@code stream.length + 1}
     * @param repeatEvery every this many sequences of a batch, the last is a repeated passage; 0 for none
     * @throws IllegalArgumentException if the stream is shorter than a sequence, {@code repeatEvery} is
     *     negative, or two blocks of {@value #MIN_BLOCK} tokens do not fit a sequence
     */
    public CorpusData(int[] stream, int bos, int pos, int repeatEvery) {
        if (pos < 2 || stream.length < pos - 1) {
            throw new IllegalArgumentException("sequences of " + pos + " positions need at least " + (pos - 1)
                    + " tokens of text, got " + stream.length);
        }
        if (repeatEvery < 0 || (repeatEvery > 0 && (pos - 1) / 2 < MIN_BLOCK)) {
            throw new IllegalArgumentException("repeatEvery must be 0, or positive with sequences of at least " + (2 * MIN_BLOCK + 1)
                    + " positions, got " + repeatEvery + " with " + pos);
        }
        this.repeatEvery = repeatEvery;
        this.stream = stream;
        this.bos = bos;
        this.pos = pos;
    }

    @Override
    public int pos() {
        return pos;
    }

    /**
     * Returns the number of tokens in the stream.
     *
     * @return the stream's length
     */
    public int streamLength() {
        return stream.length;
    }

    @Override
    public TrainingBatch next(SplittableRandom rng, int batch) {
        int[][] rows = new int[batch][];
        boolean[] repeated = new boolean[batch * pos];
        int maxBlock = (pos - 1) / 2;
        for (int b = 0; b < batch; b++) {
            rows[b] = window(rng.nextInt(stream.length - (pos - 1) + 1));
            if (repeatEvery > 0 && b % repeatEvery == repeatEvery - 1) {
                int n = MIN_BLOCK + rng.nextInt(maxBlock - MIN_BLOCK + 1);
                int src = 1 + rng.nextInt(pos - 2 * n);          // the block rows[src, src + n), then room for the copy
                int dst = src + n + rng.nextInt(pos - src - 2 * n + 1);
                System.arraycopy(rows[b], src, rows[b], dst, n);
                for (int t = dst; t <= dst + n - 2; t++) {
                    repeated[b * pos + t] = true; // targets dst + 1 .. dst + n - 1: the copy's second to last tokens
                }
            }
        }
        TrainingBatch plain = TrainingBatch.nextTokens(rows);
        return new TrainingBatch(plain.tokens(), plain.targets(), repeated, batch, pos);
    }

    /** BOS and the {@code pos - 1} tokens from {@code start}. */
    private int[] window(int start) {
        int[] row = new int[pos];
        row[0] = bos;
        System.arraycopy(stream, start, row, 1, pos - 1);
        return row;
    }

    /**
     * Evaluation sequences: the stream cut into consecutive windows of {@code pos - 1} tokens (a
     * shorter tail is left out), each with BOS first, in batches.
     *
     * @param stream the tokenized held-out text
     * @param bos the id put first in every sequence
     * @param pos the sequence length, BOS included
     * @param batchSize sequences per batch (the last batch may be smaller)
     * @return the batches, in stream order
     * @throws IllegalArgumentException if the stream is shorter than one window
     */
    public static List<TrainingBatch> windows(int[] stream, int bos, int pos, int batchSize) {
        CorpusData d = new CorpusData(stream, bos, pos);
        int n = stream.length / (pos - 1);
        List<TrainingBatch> out = new ArrayList<>();
        for (int from = 0; from < n; from += batchSize) {
            int[][] rows = new int[Math.min(batchSize, n - from)][];
            for (int b = 0; b < rows.length; b++) {
                rows[b] = d.window((from + b) * (pos - 1));
            }
            out.add(TrainingBatch.nextTokens(rows));
        }
        return out;
    }

    @Override
    public Map<String, Object> toJsonMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("data", "corpus windows");
        m.put("stream_tokens", stream.length);
        m.put("repeat_every", repeatEvery);
        if (repeatEvery > 0) {
            m.put("min_block", MIN_BLOCK);
        }
        return m;
    }
}
