package dev.lens4j.report;

/**
 * Per-position loss on repeated random tokens: {@code BOS, t_1 .. t_n, t_1 .. t_n}. A model with
 * induction heads predicts the repeated half far better than chance; the first half it cannot.
 *
 * <p>Entry {@code i} of {@link #meanLoss} is the loss of predicting token {@code i + 1} from tokens
 * {@code 0 .. i} (TransformerLens's per-token loss, {@code [pos - 1]}), averaged over the sequences.
 * The repeated half starts at entry {@link #repeatedStart} ({@code n} for the layout above).
 *
 * @param meanLoss {@code [pos - 1]} mean per-token loss in nats
 * @param repeatedStart first entry of {@code meanLoss} that predicts a token of the repeated half
 * @param firstHalfMean mean of {@code meanLoss[0 .. repeatedStart)}
 * @param repeatedHalfMean mean of {@code meanLoss[repeatedStart ..]} (TransformerLens's induction loss)
 * @param lnVocab {@code ln(d_vocab)}, the loss of a uniform guess, drawn as a reference line
 * @param sequences how many random sequences were averaged
 */
public record LossByPosition(double[] meanLoss, int repeatedStart, double firstHalfMean, double repeatedHalfMean,
                             double lnVocab, int sequences) {

    /**
     * Validates the components.
     *
     * @throws IllegalArgumentException if the halves are empty or a value is not finite
     */
    public LossByPosition {
        if (meanLoss == null || meanLoss.length < 2) {
            throw new IllegalArgumentException("loss by position needs at least 2 positions, got "
                    + (meanLoss == null ? "none" : meanLoss.length));
        }
        if (repeatedStart <= 0 || repeatedStart >= meanLoss.length) {
            throw new IllegalArgumentException("repeated half start " + repeatedStart + " must lie in (0, "
                    + meanLoss.length + ") for a loss of shape [" + meanLoss.length + "]");
        }
        Checks.finite("loss by position", meanLoss);
        Checks.finite("first-half mean loss", firstHalfMean);
        Checks.finite("repeated-half mean loss", repeatedHalfMean);
        Checks.finite("ln(d_vocab)", lnVocab);
        if (sequences <= 0) {
            throw new IllegalArgumentException("loss by position must average at least one sequence, got " + sequences);
        }
    }

    /**
     * Builds the record from the per-position losses, computing both half means.
     *
     * @param meanLoss {@code [pos - 1]} mean per-token loss in nats
     * @param repeatedStart first entry predicting a token of the repeated half
     * @param vocabSize {@code d_vocab}, for the {@code ln(d_vocab)} reference
     * @param sequences how many sequences were averaged
     * @return the loss by position
     */
    public static LossByPosition of(double[] meanLoss, int repeatedStart, int vocabSize, int sequences) {
        if (meanLoss == null || repeatedStart <= 0 || repeatedStart >= meanLoss.length) {
            throw new IllegalArgumentException("repeated half start " + repeatedStart + " must lie in (0, "
                    + (meanLoss == null ? 0 : meanLoss.length) + ")");
        }
        if (vocabSize <= 0) {
            throw new IllegalArgumentException("d_vocab must be positive, got " + vocabSize);
        }
        double first = 0;
        for (int i = 0; i < repeatedStart; i++) {
            first += meanLoss[i];
        }
        double second = 0;
        for (int i = repeatedStart; i < meanLoss.length; i++) {
            second += meanLoss[i];
        }
        return new LossByPosition(meanLoss.clone(), repeatedStart, first / repeatedStart,
                second / (meanLoss.length - repeatedStart), Math.log(vocabSize), sequences);
    }
}
