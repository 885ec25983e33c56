package dev.lens4j.testing;

import dev.lens4j.analysis.heads.InductionEvals;
import dev.lens4j.transformer.HookedTransformer;

/**
 * The probe most interpretability claims about induction are measured on: sequences of random
 * tokens repeated twice, after a BOS token when the model has one ({@code BOS, A, A}), as in
 * TransformerLens's induction tutorial and ARENA's induction-heads chapter.
 *
 * <pre>{@code
 * RepeatedTokens probe = RepeatedTokens.forModel(model);                 // 8 x (BOS + 2 x 16)
 * int[][] tokens = probe.tokens();                                      // [batch][lead + 2 halfLength]
 * RepeatedTokens longer = probe.withHalfLength(20).withBatch(4).withSeed(7);
 * }</pre>
 *
 * <p>Positions: {@code 0} is BOS (when {@link #lead()} is 1), the first copy is at
 * {@code [lead, lead + n)} and the second at {@code [lead + n, lead + 2n)}, where
 * {@code n = halfLength}. A query in the second copy at position {@code q} can be predicted by
 * induction when it is not the copy's last token: the "repeated half" of the per-token loss is its
 * columns {@link #repeatedLossFrom()} to {@link #repeatedLossTo()}, the {@code n - 1} predictions
 * of the second copy's tokens 2 to {@code n}. Tokens come from {@link InductionEvals#repeatedTokens},
 * so a seed gives the same sequences on every JVM.
 *
 * @param batch number of sequences
 * @param halfLength number of random tokens in each copy, at least 2
 * @param seed the random seed
 * @param bos the BOS token put first, or -1 for none
 * @param low smallest random token
 * @param high one past the largest random token (BOS is never drawn)
 */
public record RepeatedTokens(int batch, int halfLength, long seed, int bos, int low, int high) {

    /** Default number of sequences. */
    public static final int DEFAULT_BATCH = 8;
    /** Default number of random tokens per copy (less when the model's context is shorter). */
    public static final int DEFAULT_HALF_LENGTH = 16;

    /** Checks the sizes. */
    public RepeatedTokens {
        if (batch < 1 || halfLength < 2) {
            throw new IllegalArgumentException("repeated tokens need at least 1 sequence and 2 tokens per copy, got batch "
                    + batch + ", halfLength " + halfLength);
        }
        if (low < 0 || high <= low) {
            throw new IllegalArgumentException("random token range [" + low + ", " + high + ") is empty or negative");
        }
    }

    /**
     * The default probe for a model: {@value #DEFAULT_BATCH} sequences of BOS (from the model's
     * tokenizer, if any) and {@value #DEFAULT_HALF_LENGTH} random tokens repeated twice (fewer when
     * {@code n_ctx} is shorter), seed 0, tokens drawn as TransformerLens's {@code induction_loss}
     * draws them: from {@code [100, 20000)} for GPT-2-sized vocabularies, otherwise from the whole
     * vocabulary.
     *
     * @param model the model
     * @return the probe
     */
    public static RepeatedTokens forModel(HookedTransformer model) {
        int bos = InductionEvals.bos(model);
        int vocab = model.config().dVocab();
        int lead = bos >= 0 ? 1 : 0;
        int half = Math.min(DEFAULT_HALF_LENGTH, (model.config().nCtx() - lead) / 2);
        boolean big = vocab >= InductionEvals.TL_TOKEN_HIGH;
        return new RepeatedTokens(DEFAULT_BATCH, half, 0, bos,
                big ? InductionEvals.TL_TOKEN_LOW : 0, big ? InductionEvals.TL_TOKEN_HIGH : vocab);
    }

    /**
     * Returns a copy with another batch size.
     *
     * @param n number of sequences
     * @return a copy with another batch size
     */
    public RepeatedTokens withBatch(int n) {
        return new RepeatedTokens(n, halfLength, seed, bos, low, high);
    }

    /**
     * Returns a copy with another copy length.
     *
     * @param n number of random tokens per copy
     * @return a copy with another copy length
     */
    public RepeatedTokens withHalfLength(int n) {
        return new RepeatedTokens(batch, n, seed, bos, low, high);
    }

    /**
     * Returns a copy drawing other random tokens.
     *
     * @param s the seed
     * @return a copy drawing other random tokens
     */
    public RepeatedTokens withSeed(long s) {
        return new RepeatedTokens(batch, halfLength, s, bos, low, high);
    }

    /**
     * The number of tokens before the first copy.
     *
     * @return 1 when the sequences start with BOS, else 0
     */
    public int lead() {
        return bos >= 0 ? 1 : 0;
    }

    /**
     * The length of every sequence.
     *
     * @return the length of every sequence, {@code lead + 2 halfLength}
     */
    public int length() {
        return lead() + 2 * halfLength;
    }

    /**
     * Draws the sequences (the same ones on every call).
     *
     * @return the sequences, {@code [batch][lead + 2 halfLength]}: a new array each call
     */
    public int[][] tokens() {
        return InductionEvals.repeatedTokens(batch, halfLength, bos, low, high, seed);
    }

    /**
     * Where the repeated half starts in the per-token loss.
     *
     * @return the first column of the per-token loss {@code [batch, pos - 1]} that induction can predict
     */
    public int repeatedLossFrom() {
        return lead() + halfLength;
    }

    /**
     * Where the repeated half ends in the per-token loss.
     *
     * @return one past the last column of the per-token loss that induction can predict
     */
    public int repeatedLossTo() {
        return lead() + 2 * halfLength - 1;
    }

    /**
     * Where the first copy starts in the per-token loss.
     *
     * @return the columns of the first copy's per-token loss, which no model can predict: {@code [lead, lead + n - 1)}
     */
    public int firstHalfLossFrom() {
        return lead();
    }

    /**
     * Checks that the sequences fit a model.
     *
     * @param model the model
     * @throws IllegalArgumentException if a sequence is longer than n_ctx or a token is outside the vocabulary
     */
    public void checkFits(HookedTransformer model) {
        if (length() > model.config().nCtx()) {
            throw new IllegalArgumentException(this + " has " + length() + " positions, more than n_ctx " + model.config().nCtx()
                    + " of " + model.config().modelName());
        }
        if (high > model.config().dVocab() || bos >= model.config().dVocab()) {
            throw new IllegalArgumentException(this + " draws tokens outside the vocabulary [0, " + model.config().dVocab() + ") of "
                    + model.config().modelName());
        }
    }

    /**
     * Describes the probe for failure messages.
     *
     * @return e.g. {@code "8 sequences of BOS + 2 x 16 random tokens, seed 0"}
     */
    @Override
    public String toString() {
        return batch + (batch == 1 ? " sequence of " : " sequences of ") + (lead() == 1 ? "BOS + " : "")
                + "2 x " + halfLength + " random tokens, seed " + seed;
    }
}
