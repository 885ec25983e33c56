package dev.lens4j.analysis.heads;

import dev.lens4j.analysis.interventions.Metrics;
import dev.lens4j.hooks.ActivationCache;
import dev.lens4j.hooks.HookSpec;
import dev.lens4j.tensor.Functional;
import dev.lens4j.tensor.Tensor;
import dev.lens4j.transformer.HookedTransformer;

import java.util.OptionalInt;
import java.util.SplittableRandom;

/**
 * Whether a model does induction, measured on repeated random tokens: TransformerLens's
 * {@code evals.induction_loss}, the induction score of each head, and the in-context-learning
 * score of Olsson et al. (2022).
 *
 * <pre>{@code
 * float loss = InductionEvals.inductionLoss(model, 4, 20, 42);                  // nats on the repeated half
 * float ablated = InductionEvals.inductionLoss(model, InductionEvals.inductionLossTokens(4, 20, bos, 1, 64, 42), 20,
 *         Ablation.head(1, 0).zero());
 * int[][] rep = InductionEvals.repeatedTokens(8, 20, bos, 1, 64, 7);             // [8][41]: BOS, A, A
 * Tensor scores = InductionEvals.inductionScores(model, rep, 20);               // [n_layers, n_heads]
 * }</pre>
 *
 * <p>Random tokens come from {@link SplittableRandom}, so a seed gives the same tokens on every
 * JVM, but not the tokens PyTorch's {@code randint} would draw.
 */
public final class InductionEvals {

    /** TransformerLens's {@code induction_loss} draws tokens from {@code [100, 20000)}. */
    public static final int TL_TOKEN_LOW = 100;
    /** Upper bound (exclusive) of TransformerLens's random tokens. */
    public static final int TL_TOKEN_HIGH = 20000;

    private InductionEvals() {}

    // ------------------------------------------------------------------ tokens

    /**
     * Tokens as TransformerLens's {@code induction_loss} builds them: {@code subseqLen} random tokens
     * repeated twice, {@code [batch][2 subseqLen]}, then position 0 overwritten with BOS (it
     * <em>replaces</em> the first random token; the sequence does not grow).
     *
     * @param batch sequences
     * @param subseqLen length of the random block, at least 2
     * @param bos the BOS token, or -1 for none (TransformerLens's {@code prepend_bos=False})
     * @param low smallest random token
     * @param high one past the largest random token; BOS is never drawn
     * @param seed the random seed
     * @return {@code [batch][2 subseqLen]}
     */
    public static int[][] inductionLossTokens(int batch, int subseqLen, int bos, int low, int high, long seed) {
        int[][] t = blocks(batch, subseqLen, 0, bos, low, high, seed);
        if (bos >= 0) {
            for (int[] row : t) {
                row[0] = bos;
            }
        }
        return t;
    }

    /**
     * Repeated random tokens for scoring induction heads: BOS (if any), then {@code subseqLen} random
     * tokens, then the same tokens again.
     *
     * @param batch sequences
     * @param subseqLen length of the random block, at least 2
     * @param bos the BOS token, or -1 for none
     * @param low smallest random token
     * @param high one past the largest random token; BOS is never drawn
     * @param seed the random seed
     * @return {@code [batch][1 + 2 subseqLen]} with BOS, {@code [batch][2 subseqLen]} without
     */
    public static int[][] repeatedTokens(int batch, int subseqLen, int bos, int low, int high, long seed) {
        int lead = bos >= 0 ? 1 : 0;
        int[][] t = blocks(batch, subseqLen, lead, bos, low, high, seed);
        if (bos >= 0) {
            for (int[] row : t) {
                row[0] = bos;
            }
        }
        return t;
    }

    /**
     * Repeated random tokens in ARENA's argument order ({@code generate_repeated_tokens(model, seq_len,
     * batch_size)}): the model's BOS, then {@code seqLen} random tokens, then the same tokens again.
     * Tokens are drawn from the whole vocabulary except BOS (ARENA's {@code randint(0, d_vocab)} can draw
     * BOS too) with seed 0, so every call gives the same sequences; pass a seed for others.
     *
     * <pre>{@code
     * int[][] rep = InductionEvals.repeatedTokens(model, 10, 4);   // [4][21]
     * }</pre>
     *
     * @param model the model; its tokenizer's BOS comes first (none without a tokenizer or BOS)
     * @param seqLen length of the random block, at least 2
     * @param batch sequences
     * @return {@code [batch][1 + 2 seqLen]} ({@code [batch][2 seqLen]} without a BOS)
     */
    public static int[][] repeatedTokens(HookedTransformer model, int seqLen, int batch) {
        return repeatedTokens(model, seqLen, batch, 0);
    }

    /**
     * {@link #repeatedTokens(HookedTransformer, int, int)} with a seed.
     *
     * @param model the model
     * @param seqLen length of the random block, at least 2
     * @param batch sequences
     * @param seed the random seed
     * @return {@code [batch][1 + 2 seqLen]} ({@code [batch][2 seqLen]} without a BOS)
     */
    public static int[][] repeatedTokens(HookedTransformer model, int seqLen, int batch, long seed) {
        return repeatedTokens(batch, seqLen, bos(model), 0, model.config().dVocab(), seed);
    }

    private static int[][] blocks(int batch, int n, int lead, int bos, int low, int high, long seed) {
        if (batch < 1 || n < 2) {
            throw new IllegalArgumentException("need at least 1 sequence and a block of at least 2 tokens, got batch " + batch + ", block " + n);
        }
        boolean skip = bos >= low && bos < high;
        int choices = high - low - (skip ? 1 : 0);
        if (low < 0 || choices < 1) {
            throw new IllegalArgumentException("random token range [" + low + ", " + high + ") has no token to draw"
                    + (skip ? " besides BOS " + bos : ""));
        }
        SplittableRandom rng = new SplittableRandom(seed);
        int[][] t = new int[batch][lead + 2 * n];
        for (int[] row : t) {
            for (int i = 0; i < n; i++) {
                int id = low + rng.nextInt(choices);
                if (skip && id >= bos) {
                    id++;
                }
                row[lead + i] = id;
                row[lead + n + i] = id;
            }
        }
        return t;
    }

    // ------------------------------------------------------------------ induction loss

    /**
     * TransformerLens's {@code evals.induction_loss}: the mean per-token loss over the repeated half,
     * columns {@code [subseqLen + 1, 2 subseqLen - 1)} of the per-token loss, i.e. the predictions of
     * the second copy's tokens 2 onwards (its first two tokens are not predictable: the first follows
     * an unseen boundary, the second follows a token whose first occurrence BOS replaced).
     *
     * @param model the model
     * @param tokens from {@link #inductionLossTokens}, {@code [batch][2 subseqLen]}
     * @param subseqLen the block length
     * @param hooks hooks for this run (e.g. an ablation), or none
     * @return the loss in nats
     */
    public static float inductionLoss(HookedTransformer model, int[][] tokens, int subseqLen, HookSpec... hooks) {
        if (tokens.length == 0 || tokens[0].length != 2 * subseqLen || subseqLen < 2) {
            throw new IllegalArgumentException("induction-loss tokens must be [batch][2 * " + subseqLen + "], got ["
                    + tokens.length + "][" + (tokens.length == 0 ? 0 : tokens[0].length) + "]");
        }
        Tensor logits = model.runWithHooks(tokens, hooks);
        Tensor perToken = Functional.perTokenLoss(logits, tokens); // [batch, 2 subseqLen - 1]
        return perToken.slice(1, subseqLen + 1, 2 * subseqLen - 1).mean();
    }

    /**
     * TransformerLens's {@code evals.induction_loss} with its defaults adapted to the model: BOS
     * from the model's tokenizer (none without one), random tokens from {@code [100, 20000)} when
     * the vocabulary is that large, otherwise from the whole vocabulary (BOS excluded).
     *
     * @param model the model
     * @param batch sequences (TransformerLens: 4)
     * @param subseqLen block length (TransformerLens: 384); {@code 2 subseqLen} must fit in n_ctx
     * @param seed the random seed
     * @return the loss in nats
     */
    public static float inductionLoss(HookedTransformer model, int batch, int subseqLen, long seed) {
        int bos = bos(model);
        int vocab = model.config().dVocab();
        int low = vocab >= TL_TOKEN_HIGH ? TL_TOKEN_LOW : 0;
        int high = vocab >= TL_TOKEN_HIGH ? TL_TOKEN_HIGH : vocab;
        return inductionLoss(model, inductionLossTokens(batch, subseqLen, bos, low, high, seed), subseqLen);
    }

    /**
     * The mean per-token loss on the repeated half of a probe: the predictions of the second copy's
     * tokens 2 onwards, which a model that does induction gets right (columns
     * {@link RepeatedTokens#repeatedLossFrom()} to {@link RepeatedTokens#repeatedLossTo()} of the
     * per-token loss). lens4j's main job, its ablations and the testing module all measure this.
     *
     * @param model the model
     * @param probe the sequences
     * @param hooks hooks for this run only, e.g. an ablation; none for the clean loss
     * @return the loss in nats
     */
    public static float repeatedHalfLoss(HookedTransformer model, RepeatedTokens probe, HookSpec... hooks) {
        probe.checkFits(model);
        int[][] tokens = probe.tokens();
        return Metrics.loss(tokens, probe.repeatedLossFrom(), probe.repeatedLossTo()).apply(model.runWithHooks(tokens, hooks));
    }

    /**
     * The mean per-token loss on the first half of a probe: the same predictions in the first copy
     * (columns {@link RepeatedTokens#firstHalfLossFrom()} to {@link RepeatedTokens#firstHalfLossTo()}),
     * which no model can make better than chance: about {@code ln(number of tokens drawn)}.
     *
     * @param model the model
     * @param probe the sequences
     * @param hooks hooks for this run only; none for the clean loss
     * @return the loss in nats
     */
    public static float firstHalfLoss(HookedTransformer model, RepeatedTokens probe, HookSpec... hooks) {
        probe.checkFits(model);
        int[][] tokens = probe.tokens();
        return Metrics.loss(tokens, probe.firstHalfLossFrom(), probe.firstHalfLossTo()).apply(model.runWithHooks(tokens, hooks));
    }

    /**
     * The BOS token that TransformerLens would prepend for this model.
     *
     * @param model the model
     * @return the BOS token of its tokenizer, or -1
     */
    public static int bos(HookedTransformer model) {
        if (!model.hasTokenizer()) {
            return -1;
        }
        OptionalInt b = model.tokenizer().bosTokenId();
        return b.isPresent() ? b.getAsInt() : -1;
    }

    // ------------------------------------------------------------------ induction scores

    /**
     * Each head's induction score: its mean attention, over the queries of the repeated copy, to
     * the token after the query token's earlier occurrence ({@code key = query - subseqLen + 1}).
     * A query counts when it repeats the token {@code subseqLen} places before it, so this works
     * for {@link #repeatedTokens} and {@link #inductionLossTokens} alike. ARENA's
     * {@code pattern.diagonal(-seq_len + 1).mean()} also averages the two first-copy queries on that
     * diagonal that have nothing to induct from, so it reads a little lower than this score.
     *
     * @param model the model
     * @param tokens {@code [batch][pos]} sequences with a block repeated at distance {@code subseqLen}
     * @param subseqLen the distance between the copies
     * @return {@code [n_layers, n_heads]}, in {@code [0, 1]}
     */
    public static Tensor inductionScores(HookedTransformer model, int[][] tokens, int subseqLen) {
        return offsetScores(model, tokens, subseqLen, subseqLen - 1);
    }

    /**
     * Each head's mean attention from a query to the key {@code back} positions before it, over the
     * queries that repeat the token {@code period} places before them (the induction offset is
     * {@code back = period - 1}; a previous-token head on the repeat is {@code back = 1}).
     */
    private static Tensor offsetScores(HookedTransformer model, int[][] tokens, int period, int back) {
        if (period < 1 || back < 0) {
            throw new IllegalArgumentException("period must be positive and back non-negative, got " + period + ", " + back);
        }
        ActivationCache cache = model.runWithCache(tokens, n -> n.endsWith(".attn.hook_pattern")).cache();
        int layers = model.config().nLayers(), heads = model.config().nHeads();
        float[] out = new float[layers * heads];
        int count = 0;
        double[] sums = new double[layers * heads];
        for (int b = 0; b < tokens.length; b++) {
            for (int i = period; i < tokens[b].length; i++) {
                if (tokens[b][i] != tokens[b][i - period]) {
                    continue;
                }
                count++;
                for (int l = 0; l < layers; l++) {
                    Tensor p = cache.get("pattern", l); // [batch, n_heads, pos, pos]
                    for (int h = 0; h < heads; h++) {
                        sums[l * heads + h] += p.get(b, h, i, i - back);
                    }
                }
            }
        }
        if (count == 0) {
            throw new IllegalArgumentException("no position repeats the token " + period + " places before it");
        }
        for (int i = 0; i < out.length; i++) {
            out[i] = (float) (sums[i] / count);
        }
        return Tensor.of(out, layers, heads);
    }

    // ------------------------------------------------------------------ in-context learning

    /**
     * The in-context-learning score of Olsson et al. (2022): the loss at token index 500 minus the
     * loss at token index 50, averaged over sequences; negative when later tokens are predicted
     * better thanks to the context. See {@link #inContextLearningScore(HookedTransformer, int[][], int, int)}.
     *
     * @param model a model with n_ctx above 501
     * @param tokens {@code [batch][pos]} natural text, pos above 501
     * @return the score in nats
     * @throws IllegalArgumentException for a model whose context is too short (use the general form)
     */
    public static float inContextLearningScore(HookedTransformer model, int[][] tokens) {
        if (model.config().nCtx() <= 501) {
            throw new IllegalArgumentException("the in-context-learning score compares the losses at tokens 500 and 50, but model "
                    + model.config().modelName() + " has n_ctx " + model.config().nCtx()
                    + "; use inContextLearningScore(model, tokens, late, early) with positions that fit");
        }
        return inContextLearningScore(model, tokens, 500, 50);
    }

    /**
     * The generalised in-context-learning score: {@code mean_b(loss[b, late] - loss[b, early])}, where
     * {@code loss[b, t]} is the per-token loss at position {@code t}: the loss of predicting token
     * {@code t + 1} from tokens {@code 0..t}.
     *
     * @param model the model
     * @param tokens {@code [batch][pos]} with pos above {@code late + 1}
     * @param late the later position (Olsson et al.: 500)
     * @param early the earlier position (Olsson et al.: 50)
     * @return the score in nats
     */
    public static float inContextLearningScore(HookedTransformer model, int[][] tokens, int late, int early) {
        if (early < 0 || late <= early) {
            throw new IllegalArgumentException("need 0 <= early < late, got early " + early + ", late " + late);
        }
        if (tokens.length == 0 || tokens[0].length < late + 2) {
            throw new IllegalArgumentException("the loss at position " + late + " needs sequences of at least " + (late + 2)
                    + " tokens, got " + (tokens.length == 0 ? 0 : tokens[0].length));
        }
        Tensor loss = model.perTokenLoss(tokens); // [batch, pos - 1]
        return loss.select(1, late).mean() - loss.select(1, early).mean();
    }
}
