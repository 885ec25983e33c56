package dev.lens4j.transformer.train;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Training sequences cut from a tokenized text: BOS, then {@code pos - 1} consecutive tokens starting at a
 * uniformly random place of the token stream; every position predicts the next token. Nothing is
 * marked repeated: the text's own repetitions are for the model to find.
 */
public final class CorpusData implements TrainingData {

    private final int[] stream;
    private final int bos;
    private final int pos;

    /**
     * Windows of a token stream.
     *
     * @param stream the tokenized text, {@code [n_tokens]}
     * @param bos the id put first in every sequence
     * @param pos the sequence length, BOS included: at least 2 and at most {@code stream.length + 1}
     * @throws IllegalArgumentException if the stream is shorter than a sequence
     */
    public CorpusData(int[] stream, int bos, int pos) {
        if (pos < 2 || stream.length < pos - 1) {
            throw new IllegalArgumentException("sequences of " + pos + " positions need at least " + (pos - 1)
                    + " tokens of text, got " + stream.length);
        }
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
        for (int b = 0; b < batch; b++) {
            rows[b] = window(rng.nextInt(stream.length - (pos - 1) + 1));
        }
        return TrainingBatch.nextTokens(rows);
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
        return m;
    }
}
