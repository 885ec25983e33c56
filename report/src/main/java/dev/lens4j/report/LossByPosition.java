package dev.lens4j.report;

import dev.lens4j.analysis.heads.RepeatedTokens;

/**
 * Per-position loss on repeated random tokens: {@code BOS, t_1 .. t_n, t_1 .. t_n}. A model with
 * induction heads predicts the repeated half far better than chance; the first half it cannot.
 *
 * <p>Entry {@code i} of {@link #meanLoss} is the loss of predicting token {@code i + 1} from tokens
 * {@code 0 .. i} (TransformerLens's per-token loss, {@code [pos - 1]}), averaged over the sequences.
 * The two halves are those of {@link RepeatedTokens}: the repeated half is entries
 * {@code [repeatedStart, pos - 1)}, the predictions of the second copy's tokens 2 to {@code n}
 * ({@code repeatedStart = lead + n}); the first half is the same predictions in the first copy,
 * entries {@code [firstStart, repeatedStart - 1)} ({@code firstStart = lead}). Entry
 * {@code repeatedStart - 1}, the prediction of the second copy's first token, follows an unseen
 * boundary and is in neither half, as is entry 0 after BOS.
 *
 * @param meanLoss {@code [pos - 1]} mean per-token loss in nats
 * @param firstStart first entry of the first half
 * @param repeatedStart first entry of the repeated half
 * @param firstHalfMean mean of {@code meanLoss[firstStart .. repeatedStart - 1)}
 * @param repeatedHalfMean mean of {@code meanLoss[repeatedStart ..]}: the loss the claims and the
 *                         ablations use
 * @param lnVocab {@code ln(d_vocab)}, the loss of a uniform guess, drawn as a reference line
 * @param sequences how many random sequences were averaged
 */
public record LossByPosition(double[] meanLoss, int firstStart, int repeatedStart, double firstHalfMean, double repeatedHalfMean,
                             double lnVocab, int sequences) {

    /**
     * Validates the components.
     *
     * @throws IllegalArgumentException if a half is empty or a value is not finite
     */
    public LossByPosition {
        checkHalves(meanLoss, firstStart, repeatedStart);
        Checks.finite("loss by position", meanLoss);
        Checks.finite("first-half mean loss", firstHalfMean);
        Checks.finite("repeated-half mean loss", repeatedHalfMean);
        Checks.finite("ln(d_vocab)", lnVocab);
        if (sequences <= 0) {
            throw new IllegalArgumentException("loss by position must average at least one sequence, got " + sequences);
        }
    }

    private static void checkHalves(double[] meanLoss, int firstStart, int repeatedStart) {
        if (meanLoss == null || meanLoss.length < 3) {
            throw new IllegalArgumentException("loss by position needs at least 3 positions, got "
                    + (meanLoss == null ? "none" : meanLoss.length));
        }
        if (firstStart < 0 || firstStart >= repeatedStart - 1 || repeatedStart >= meanLoss.length) {
            throw new IllegalArgumentException("the first half [" + firstStart + ", " + (repeatedStart - 1) + ") and the repeated half ["
                    + repeatedStart + ", " + meanLoss.length + ") must both hold entries of a loss of shape [" + meanLoss.length + "]");
        }
    }

    /**
     * Builds the record from the per-position losses on a probe, computing both half means over the
     * probe's columns ({@link RepeatedTokens#firstHalfLossFrom()} .. {@link RepeatedTokens#repeatedLossTo()}).
     *
     * @param meanLoss {@code [pos - 1]} mean per-token loss in nats, over the probe's sequences
     * @param probe the sequences the loss was measured on
     * @param vocabSize {@code d_vocab}, for the {@code ln(d_vocab)} reference
     * @return the loss by position
     */
    public static LossByPosition of(double[] meanLoss, RepeatedTokens probe, int vocabSize) {
        if (meanLoss == null || meanLoss.length != probe.repeatedLossTo()) {
            throw new IllegalArgumentException("a loss by position on " + probe + " has " + Plural.of(probe.repeatedLossTo(), "entry", "entries") + ", got "
                    + (meanLoss == null ? "none" : meanLoss.length));
        }
        return of(meanLoss, probe.firstHalfLossFrom(), probe.repeatedLossFrom(), vocabSize, probe.batch());
    }

    /**
     * Builds the record from the per-position losses, computing both half means.
     *
     * @param meanLoss {@code [pos - 1]} mean per-token loss in nats
     * @param firstStart first entry of the first half, which ends one entry before the repeated half
     * @param repeatedStart first entry predicting a token of the repeated half
     * @param vocabSize {@code d_vocab}, for the {@code ln(d_vocab)} reference
     * @param sequences how many sequences were averaged
     * @return the loss by position
     */
    public static LossByPosition of(double[] meanLoss, int firstStart, int repeatedStart, int vocabSize, int sequences) {
        checkHalves(meanLoss, firstStart, repeatedStart);
        if (vocabSize <= 0) {
            throw new IllegalArgumentException("d_vocab must be positive, got " + vocabSize);
        }
        return new LossByPosition(meanLoss.clone(), firstStart, repeatedStart, mean(meanLoss, firstStart, repeatedStart - 1),
                mean(meanLoss, repeatedStart, meanLoss.length), Math.log(vocabSize), sequences);
    }

    private static double mean(double[] v, int from, int to) {
        double s = 0;
        for (int i = from; i < to; i++) {
            s += v[i];
        }
        return s / (to - from);
    }

    /**
     * Names the token entry {@code i} predicts, by its place in the layout, and the half the entry is in.
     *
     * @param i an entry of {@link #meanLoss}
     * @return e.g. {@code "token 25 (the second copy's token 2, in the repeated half)"}
     */
    public String predicted(int i) {
        int token = i + 1;
        int n = repeatedStart - firstStart; // block length
        int k = token - firstStart;         // 0-based place among the copies (firstStart is the lead)
        String half = i >= repeatedStart ? "in the repeated half" : i >= firstStart && i < repeatedStart - 1 ? "in the first half"
                : "in neither half";
        String copy = k < 0 ? null : k < n ? "first" : k < 2 * n ? "second" : null;
        return "token " + token + " (" + (copy == null ? "" : "the " + copy + " copy's token " + (k % n + 1) + ", ") + half + ")";
    }
}
