package dev.lens4j.analysis.heads;

import dev.lens4j.transformer.HookedTransformer;
import dev.lens4j.transformer.TransformerConfig;

import java.util.SplittableRandom;

/**
 * The probe induction is measured on: sequences of random tokens repeated twice, after a BOS token
 * when the model has one ({@code BOS, A, A}), as in TransformerLens's induction tutorial and ARENA's
 * induction-heads chapter. lens4j's main job ({@code ./lens4j}), the testing module's assertions and
 * the numbers the docs quote all measure on {@link #forModel(HookedTransformer)} unless told
 * otherwise, and all of them take the two halves of the per-token loss from here.
 *
 * <pre>{@code
 * RepeatedTokens probe = RepeatedTokens.forModel(model);                 // induction-2l: 16 x (BOS + 2 x 23)
 * int[][] tokens = probe.tokens();                                      // [batch][lead + 2 halfLength]
 * RepeatedTokens other = probe.withHalfLength(10).withBatch(4).withSeed(7);
 * }</pre>
 *
 * <p>Positions: {@code 0} is BOS (when {@link #lead()} is 1), the first copy is at
 * {@code [lead, lead + n)} and the second at {@code [lead + n, lead + 2n)}, where
 * {@code n = halfLength}. Entry {@code t} of the per-token loss {@code [batch, pos - 1]} is the loss
 * of predicting token {@code t + 1}. The <em>repeated half</em> is columns {@link #repeatedLossFrom()}
 * to {@link #repeatedLossTo()}: the {@code n - 1} predictions of the second copy's tokens 2 to
 * {@code n}, each of which follows a token seen before (the second copy's first token follows an
 * unseen boundary, so nothing predicts it). The <em>first half</em> is the same {@code n - 1}
 * predictions in the first copy, columns {@link #firstHalfLossFrom()} to {@link #firstHalfLossTo()},
 * which nothing can predict better than chance. Tokens come from {@link InductionEvals#repeatedTokens},
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

    /** Default number of sequences for models narrower than {@value #WIDE_MODEL}. */
    public static final int DEFAULT_BATCH = 16;
    /** Default number of sequences for models of {@code d_model >= }{@value #WIDE_MODEL} (GPT-2-sized). */
    public static final int DEFAULT_WIDE_BATCH = 4;
    /** The {@code d_model} from which a model counts as wide. */
    public static final int WIDE_MODEL = 512;
    /** Default number of random tokens per copy (less when the model's context is shorter). */
    public static final int DEFAULT_HALF_LENGTH = 24;
    /** Default seed of the random tokens. */
    public static final long DEFAULT_SEED = 1234L;
    /** Mixed into the seed of {@link #corruptedTokens()}, so that its draws are not the clean ones. */
    private static final long CORRUPTED_SEED = 0x5DEECE66DL;

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
     * The default probe for a model: {@link #defaultBatch(TransformerConfig)} sequences of BOS (from
     * the model's tokenizer, if any) and {@link #defaultHalfLength(TransformerConfig)} random tokens
     * repeated twice, seed {@value #DEFAULT_SEED}, tokens drawn as TransformerLens's
     * {@code induction_loss} draws them: from {@code [100, 20000)} for GPT-2-sized vocabularies,
     * otherwise from the whole vocabulary.
     *
     * @param model the model
     * @return the probe
     */
    public static RepeatedTokens forModel(HookedTransformer model) {
        TransformerConfig cfg = model.config();
        int vocab = cfg.dVocab();
        boolean big = vocab >= InductionEvals.TL_TOKEN_HIGH;
        return new RepeatedTokens(defaultBatch(cfg), defaultHalfLength(cfg), DEFAULT_SEED, InductionEvals.bos(model),
                big ? InductionEvals.TL_TOKEN_LOW : 0, big ? InductionEvals.TL_TOKEN_HIGH : vocab);
    }

    /**
     * The default number of random tokens per copy: {@value #DEFAULT_HALF_LENGTH}, or the most that
     * BOS and two copies leave room for in {@code n_ctx}.
     *
     * @param cfg a model's config
     * @return the default half length
     */
    public static int defaultHalfLength(TransformerConfig cfg) {
        return Math.min(DEFAULT_HALF_LENGTH, (cfg.nCtx() - 1) / 2);
    }

    /**
     * The default number of sequences: {@value #DEFAULT_BATCH}, or {@value #DEFAULT_WIDE_BATCH} for
     * models of {@code d_model >= }{@value #WIDE_MODEL}.
     *
     * @param cfg a model's config
     * @return the default batch
     */
    public static int defaultBatch(TransformerConfig cfg) {
        return cfg.dModel() >= WIDE_MODEL ? DEFAULT_WIDE_BATCH : DEFAULT_BATCH;
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
     * The probe's corrupted twin, for patching and attribution: the same sequences with the first
     * copy replaced by other random tokens, each different from the one it replaces (drawn from the
     * same range, with a seed derived from this probe's). The second copy is unchanged, so the
     * repeated half is predictable in the clean sequences and not in these.
     *
     * @return {@code [batch][lead + 2 halfLength]}: a new array each call, the same tokens every time
     */
    public int[][] corruptedTokens() {
        int[][] t = tokens();
        SplittableRandom rng = new SplittableRandom(seed ^ CORRUPTED_SEED);
        int lead = lead();
        boolean skipBos = bos >= low && bos < high;
        int choices = high - low - (skipBos ? 1 : 0);
        if (choices < 2) {
            throw new IllegalArgumentException(this + " draws from one token only; a corrupted copy needs another");
        }
        for (int[] row : t) {
            for (int i = 0; i < halfLength; i++) {
                int original = row[lead + i];
                int id;
                do {
                    id = low + rng.nextInt(choices);
                    if (skipBos && id >= bos) {
                        id++;
                    }
                } while (id == original);
                row[lead + i] = id;
            }
        }
        return t;
    }

    /**
     * Where the repeated half starts in the per-token loss.
     *
     * @return the first column of the per-token loss {@code [batch, pos - 1]} that induction can
     *     predict, {@code lead + n}: the prediction of the second copy's second token
     */
    public int repeatedLossFrom() {
        return lead() + halfLength;
    }

    /**
     * Where the repeated half ends in the per-token loss.
     *
     * @return one past the last column of the per-token loss that induction can predict,
     *     {@code lead + 2n - 1} (the width of the per-token loss)
     */
    public int repeatedLossTo() {
        return lead() + 2 * halfLength - 1;
    }

    /**
     * Where the first half starts in the per-token loss.
     *
     * @return the column predicting the first copy's second token, {@code lead}
     */
    public int firstHalfLossFrom() {
        return lead();
    }

    /**
     * Where the first half ends in the per-token loss.
     *
     * @return one past the column predicting the first copy's last token, {@code lead + n - 1}: the
     *     first half has as many columns as the repeated half
     */
    public int firstHalfLossTo() {
        return lead() + halfLength - 1;
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
     * Describes the probe for failure messages and reports.
     *
     * @return e.g. {@code "16 sequences of BOS + 2 x 23 random tokens, seed 1234"}
     */
    @Override
    public String toString() {
        return batch + (batch == 1 ? " sequence of " : " sequences of ") + (lead() == 1 ? "BOS + " : "")
                + "2 x " + halfLength + " random tokens, seed " + seed;
    }
}
