package dev.lens4j.transformer.train;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Two sources in a fixed share of every batch: of each {@code every} sequences, the last comes from
 * {@code extra}, the others from {@code main}. A batch is {@code main}'s rows, then {@code extra}'s,
 * drawn in that order from the one random generator, so that a run stays reproducible.
 *
 * <p>The lesson's {@code english-2l} uses it to mix sequences of random tokens with a copied block
 * ({@link InductionData}) into its windows of English: the standard curriculum of toy induction, which
 * gives the previous-token and induction heads an incentive that natural text, even with copied passages,
 * gave too weakly for them to form in the steps two cores train in minutes.
 */
public final class MixedData implements TrainingData {

    private final TrainingData main;
    private final TrainingData extra;
    private final int every;
    private final String extraName;

    /**
     * A mix.
     *
     * @param main the source of most sequences
     * @param extra the source of one sequence in every {@code every}
     * @param every at least 2
     * @param extraName what {@code extra} is, for {@code training.json}
     * @throws IllegalArgumentException if the sources' lengths differ or {@code every < 2}
     */
    public MixedData(TrainingData main, TrainingData extra, int every, String extraName) {
        if (main.pos() != extra.pos()) {
            throw new IllegalArgumentException("mixed sources need one sequence length, got " + main.pos() + " and " + extra.pos());
        }
        if (every < 2) {
            throw new IllegalArgumentException("every must be at least 2, got " + every);
        }
        this.main = main;
        this.extra = extra;
        this.every = every;
        this.extraName = extraName;
    }

    @Override
    public int pos() {
        return main.pos();
    }

    /**
     * Draws a batch: {@code batch - batch / every} sequences of the main source, then {@code batch / every}
     * of the extra one.
     *
     * @param rng the random source, advanced
     * @param batch number of sequences, at least {@code every}
     * @return the batch
     * @throws IllegalArgumentException if {@code batch < every}
     */
    @Override
    public TrainingBatch next(SplittableRandom rng, int batch) {
        int nExtra = batch / every;
        if (nExtra == 0) {
            throw new IllegalArgumentException("a batch of " + batch + " has no room for one sequence in " + every);
        }
        TrainingBatch a = main.next(rng, batch - nExtra);
        TrainingBatch b = extra.next(rng, nExtra);
        int p = pos();
        int[] tokens = new int[batch * p], targets = new int[batch * p];
        boolean[] repeated = new boolean[batch * p];
        int na = a.tokens().length;
        System.arraycopy(a.tokens(), 0, tokens, 0, na);
        System.arraycopy(b.tokens(), 0, tokens, na, b.tokens().length);
        System.arraycopy(a.targets(), 0, targets, 0, na);
        System.arraycopy(b.targets(), 0, targets, na, b.targets().length);
        System.arraycopy(a.repeated(), 0, repeated, 0, na);
        System.arraycopy(b.repeated(), 0, repeated, na, b.repeated().length);
        return new TrainingBatch(tokens, targets, repeated, batch, p);
    }

    @Override
    public Map<String, Object> toJsonMap() {
        Map<String, Object> m = new LinkedHashMap<>(main.toJsonMap());
        m.put("mixed_in", extraName);
        m.put("mixed_in_every", every);
        return m;
    }
}
