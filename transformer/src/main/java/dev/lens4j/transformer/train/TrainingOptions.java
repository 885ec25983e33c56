package dev.lens4j.transformer.train;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Everything that determines a training run of {@link InductionTrainer}: the model's shape, the data,
 * the optimiser and the seed. Two runs with equal options (and the same vocabulary) produce the same
 * weights bit for bit, on any number of threads.
 *
 * <p>{@link #defaults()} is the recipe of lens4j's shipped {@code induction-2l} model:
 * <pre>{@code
 * TrainingOptions o = TrainingOptions.defaults().withSeed(7).withSteps(500);
 * }</pre>
 *
 * @param seed seeds the initial weights and the data
 * @param steps number of optimiser steps
 * @param batchSize sequences per step
 * @param learningRate AdamW learning rate (peak, after warm-up)
 * @param warmupSteps steps of linear learning-rate warm-up from {@code learningRate / warmupSteps}
 * @param finalLearningRate the learning rate at the last step; it falls linearly from {@code learningRate}
 *                          after the warm-up (equal to {@code learningRate} for a constant rate)
 * @param weightDecay AdamW's decoupled weight decay, applied to weight matrices only
 * @param beta1 AdamW first-moment decay
 * @param beta2 AdamW second-moment decay
 * @param adamEps AdamW epsilon
 * @param gradClip largest global gradient norm; 0 disables clipping
 * @param nLayers transformer blocks
 * @param nHeads attention heads per block
 * @param dModel residual stream width
 * @param dHead width of each head
 * @param dMlp MLP width, or 0 for an attention-only model
 * @param nCtx context length; every training sequence has exactly this length
 * @param normalization {@code "LN"} (LayerNorm before attention, MLP and unembedding, as TransformerLens's
 *                      toy models), {@code "RMS"} (RMSNorm there, as Llama) or {@code "none"}
 * @param minBlock shortest repeated block
 * @param maxBlock longest repeated block; {@code 1 + 2 maxBlock <= nCtx}
 * @param distinctTokens draw the tokens outside the repeated block without replacement (see {@link InductionData})
 * @param modelName the {@code model_name} written to {@code config.json}
 * @param style the block's design: {@code "gpt2"} (learned positional embeddings, a GELU MLP, biases:
 *              TransformerLens's toy models) or {@code "llama"} (rotary positions over the whole head,
 *              a gated SiLU MLP, no biases: they stay zero)
 */
public record TrainingOptions(
        long seed,
        int steps,
        int batchSize,
        float learningRate,
        int warmupSteps,
        float finalLearningRate,
        float weightDecay,
        float beta1,
        float beta2,
        float adamEps,
        float gradClip,
        int nLayers,
        int nHeads,
        int dModel,
        int dHead,
        int dMlp,
        int nCtx,
        String normalization,
        int minBlock,
        int maxBlock,
        boolean distinctTokens,
        String modelName,
        String style) {

    /**
     * Validates the values: a bad one, or sizes whose product is more than a Java array holds, throw
     * a {@link TrainingOptionException} naming the options at fault.
     */
    public TrainingOptions {
        positive("steps", steps);
        positive("batchSize", batchSize);
        positive("nLayers", nLayers);
        positive("nHeads", nHeads);
        positive("dModel", dModel);
        positive("dHead", dHead);
        positive("nCtx", nCtx);
        if (!(learningRate > 0) || !Float.isFinite(learningRate)) {
            throw new TrainingOptionException("{learningRate} must be a positive finite number, got " + learningRate);
        }
        nonNegativeFinite("finalLearningRate", finalLearningRate);
        nonNegativeFinite("weightDecay", weightDecay);
        nonNegativeFinite("gradClip", gradClip);
        if (warmupSteps < 0) {
            throw new TrainingOptionException("{warmupSteps} must be 0 or more, got " + warmupSteps);
        }
        if (!(beta1 >= 0 && beta1 < 1)) {
            throw new TrainingOptionException("{beta1} must be in [0, 1), got " + beta1);
        }
        if (!(beta2 >= 0 && beta2 < 1)) {
            throw new TrainingOptionException("{beta2} must be in [0, 1), got " + beta2);
        }
        if (!(adamEps > 0) || !Float.isFinite(adamEps)) {
            throw new TrainingOptionException("{adamEps} must be a positive finite number, got " + adamEps);
        }
        if (dMlp < 0) {
            throw new TrainingOptionException("{dMlp} must be 0 (attention-only) or positive, got " + dMlp);
        }
        if (normalization == null || !List.of("LN", "RMS", "none").contains(normalization)) {
            throw new TrainingOptionException("{normalization} must be LN, RMS or none, got '" + normalization + "'");
        }
        if (style == null || !List.of(GPT2, LLAMA).contains(style)) {
            throw new TrainingOptionException("{style} must be gpt2 or llama, got '" + style + "'");
        }
        if (LLAMA.equals(style) && dHead % 2 != 0) {
            throw new TrainingOptionException("{dHead} must be even for the llama style, whose rotary positions turn pairs of "
                    + "each head's dimensions, got " + dHead);
        }
        if (warmupSteps > steps) {
            throw new TrainingOptionException("{warmupSteps} " + warmupSteps + " is more than {steps} " + steps
                    + ": the learning rate would never reach {learningRate}");
        }
        if (modelName == null || modelName.isBlank()) {
            throw new TrainingOptionException("{modelName} must not be blank");
        }
        if (minBlock < 2 || maxBlock < minBlock || 1 + 2L * maxBlock > nCtx) {
            throw new TrainingOptionException("need 2 <= {minBlock} <= {maxBlock} and 1 + 2 {maxBlock} <= {nCtx}; got {minBlock} "
                    + minBlock + ", {maxBlock} " + maxBlock + ", {nCtx} " + nCtx);
        }
        // The engine's arrays: parameters, and activations of a whole batch.
        fits("floats in W_pos", "{nCtx}", nCtx, "{dModel}", dModel);
        fits("floats in each block's W_Q, W_K and W_V side by side", "{dModel}", dModel, "", 3, "{nHeads}", nHeads, "{dHead}", dHead);
        fits("floats in each block's W_in", "{dModel}", dModel, "{dMlp}", dMlp);
        fits("floats in a batch's attention patterns of one block", "{batchSize}", batchSize, "{nHeads}", nHeads, "{nCtx}", nCtx,
                "", nCtx);
        fits("floats in a batch's queries, keys and values of one block", "{batchSize}", batchSize, "{nCtx}", nCtx, "", 3,
                "{nHeads}", nHeads, "{dHead}", dHead);
        fits("floats in a batch's residual stream", "{batchSize}", batchSize, "{nCtx}", nCtx, "{dModel}", dModel);
        fits("floats in a batch's MLP activations of one block", "{batchSize}", batchSize, "{nCtx}", nCtx, "{dMlp}", dMlp);
        parametersFit(nLayers, dModel, nHeads, dHead, dMlp, nCtx, 0);
    }

    /** The {@link #style()} of TransformerLens's toy models (and GPT-2). */
    public static final String GPT2 = "gpt2";

    /** The {@link #style()} of Llama. */
    public static final String LLAMA = "llama";

    /** The most elements a Java array holds on every JVM. */
    static final int MAX_ARRAY_LENGTH = Integer.MAX_VALUE - 8;

    private static void positive(String name, int v) {
        if (v <= 0) {
            throw new TrainingOptionException("{" + name + "} must be positive, got " + v);
        }
    }

    private static void nonNegativeFinite(String name, float v) {
        if (!(v >= 0) || !Float.isFinite(v)) {
            throw new TrainingOptionException("{" + name + "} must be a finite number, 0 or more, got " + v);
        }
    }

    /**
     * Refuses a product of sizes that a Java array cannot hold.
     *
     * @param what what the product counts, for the message
     * @param factors pairs of an option name ({@code "{name}"}, or {@code ""} for a constant) and its value
     */
    private static void fits(String what, Object... factors) {
        double product = 1;
        StringBuilder text = new StringBuilder();
        for (int k = 0; k < factors.length; k += 2) {
            String name = (String) factors[k];
            int value = (Integer) factors[k + 1];
            product *= value;
            text.append(k == 0 ? "" : " x ").append(name).append(name.isEmpty() ? "" : " ").append(value);
        }
        if (product > MAX_ARRAY_LENGTH) {
            throw new TrainingOptionException(String.format(java.util.Locale.ROOT, "%s = %.3g %s, more than a Java array "
                    + "holds (%,d)", text, product, what, MAX_ARRAY_LENGTH));
        }
    }

    /**
     * Checks the sizes that depend on the vocabulary as well: the embedding, the unembedding and a
     * batch's logits must each fit in a Java array.
     *
     * @param dVocab the vocabulary size
     * @throws TrainingOptionException naming the options whose product with {@code dVocab} is too large
     */
    public void requireFits(int dVocab) {
        fits("floats in W_E and in W_U", "{dModel}", dModel, "d_vocab", dVocab);
        fits("floats in a batch's logits", "{batchSize}", batchSize, "{nCtx}", nCtx, "d_vocab", dVocab);
        parametersFit(nLayers, dModel, nHeads, dHead, dMlp, nCtx, dVocab);
    }

    /**
     * Refuses a model whose parameters (counted here with LayerNorms and biases whatever the
     * normalization and style, so at least as many) a Java array cannot hold: the optimizer keeps
     * them, and their moments, in arrays of that length at most.
     *
     * @param dVocab the vocabulary size, or 0 to count the parameters that do not depend on it
     */
    private static void parametersFit(int nLayers, int dModel, int nHeads, int dHead, int dMlp, int nCtx, int dVocab) {
        double qc = (double) nHeads * dHead;
        double perLayer = 4 * qc * dModel + 3 * qc + dModel + 2.0 * dModel
                + (dMlp == 0 ? 0 : 2.0 * dModel * dMlp + dMlp + dModel + 2.0 * dModel);
        double params = (double) nCtx * dModel + nLayers * perLayer + 2.0 * dModel + 2.0 * dVocab * dModel + dVocab;
        if (params > MAX_ARRAY_LENGTH) {
            throw new TrainingOptionException(String.format(java.util.Locale.ROOT, "{nLayers} %d, {dModel} %d, {nHeads} %d, "
                    + "{dHead} %d, {dMlp} %d and {nCtx} %d make %.3g parameters%s, more than a Java array holds (%,d)",
                    nLayers, dModel, nHeads, dHead, dMlp, nCtx, params, dVocab == 0 ? "" : " with d_vocab " + dVocab,
                    MAX_ARRAY_LENGTH));
        }
    }

    /**
     * The recipe of the shipped {@code induction-2l} model: 2 attention-only layers with LayerNorm, 4 heads,
     * d_model 64, d_head 16, context 48; data with one repeated block of 8 to 23 tokens and distinct tokens
     * elsewhere; batch 32; AdamW (lr 3e-3 falling linearly to 3e-4, betas 0.9 and 0.999, weight decay 0.01
     * on matrices); global gradient norm clipped to 1; 3000 steps; seed 1 (of seeds 1 to 7, which all formed
     * induction heads, the one with the clearest previous-token head).
     *
     * @return the default options
     */
    public static TrainingOptions defaults() {
        return new TrainingOptions(1, 3000, 32, 3e-3f, 0, 3e-4f, 0.01f, 0.9f, 0.999f, 1e-8f, 1f,
                2, 4, 64, 16, 0, 48, "LN", 8, 23, true, "induction-2l", GPT2);
    }

    /**
     * A copy of these options with another seed.
     *
     * @param s the seed
     * @return a copy with another seed
     */
    public TrainingOptions withSeed(long s) {
        return new TrainingOptions(s, steps, batchSize, learningRate, warmupSteps, finalLearningRate, weightDecay, beta1, beta2, adamEps,
                gradClip, nLayers, nHeads, dModel, dHead, dMlp, nCtx, normalization, minBlock, maxBlock, distinctTokens, modelName, style);
    }

    /**
     * A copy of these options with another number of steps.
     *
     * @param n the number of steps
     * @return a copy with another number of steps
     */
    public TrainingOptions withSteps(int n) {
        return new TrainingOptions(seed, n, batchSize, learningRate, warmupSteps, finalLearningRate, weightDecay, beta1, beta2, adamEps,
                gradClip, nLayers, nHeads, dModel, dHead, dMlp, nCtx, normalization, minBlock, maxBlock, distinctTokens, modelName, style);
    }

    /**
     * A copy of these options with another batch size.
     *
     * @param n sequences per step
     * @return a copy with another batch size
     */
    public TrainingOptions withBatchSize(int n) {
        return new TrainingOptions(seed, steps, n, learningRate, warmupSteps, finalLearningRate, weightDecay, beta1, beta2, adamEps,
                gradClip, nLayers, nHeads, dModel, dHead, dMlp, nCtx, normalization, minBlock, maxBlock, distinctTokens, modelName, style);
    }

    /**
     * A copy of these options with another learning-rate schedule.
     *
     * @param lr the peak learning rate
     * @param warmup warm-up steps
     * @param finalLr the learning rate at the last step
     * @return a copy with another learning-rate schedule
     */
    public TrainingOptions withLearningRate(float lr, int warmup, float finalLr) {
        return new TrainingOptions(seed, steps, batchSize, lr, warmup, finalLr, weightDecay, beta1, beta2, adamEps,
                gradClip, nLayers, nHeads, dModel, dHead, dMlp, nCtx, normalization, minBlock, maxBlock, distinctTokens, modelName, style);
    }

    /**
     * A copy of these options with another architecture.
     *
     * @param layers transformer blocks
     * @param heads heads per block
     * @param model d_model
     * @param head d_head
     * @param mlp d_mlp, 0 for attention-only
     * @param ctx context length
     * @param norm {@code "LN"}, {@code "RMS"} or {@code "none"}
     * @return a copy with another architecture (the block lengths are capped to fit the context)
     */
    public TrainingOptions withArchitecture(int layers, int heads, int model, int head, int mlp, int ctx, String norm) {
        int max = Math.min(maxBlock, (ctx - 1) / 2);
        return new TrainingOptions(seed, steps, batchSize, learningRate, warmupSteps, finalLearningRate, weightDecay, beta1, beta2, adamEps,
                gradClip, layers, heads, model, head, mlp, ctx, norm, Math.min(minBlock, max), max, distinctTokens, modelName, style);
    }

    /**
     * A copy of these options with other repeated-block lengths.
     *
     * @param min shortest repeated block
     * @param max longest repeated block
     * @return a copy with other block lengths
     */
    public TrainingOptions withBlocks(int min, int max) {
        return new TrainingOptions(seed, steps, batchSize, learningRate, warmupSteps, finalLearningRate, weightDecay, beta1, beta2, adamEps,
                gradClip, nLayers, nHeads, dModel, dHead, dMlp, nCtx, normalization, min, max, distinctTokens, modelName, style);
    }

    /**
     * A copy of these options with another way of drawing tokens.
     *
     * @param distinct draw the tokens outside the repeated block without replacement
     * @return a copy with that data option
     */
    public TrainingOptions withDistinctTokens(boolean distinct) {
        return new TrainingOptions(seed, steps, batchSize, learningRate, warmupSteps, finalLearningRate, weightDecay, beta1, beta2,
                adamEps, gradClip, nLayers, nHeads, dModel, dHead, dMlp, nCtx, normalization, minBlock, maxBlock, distinct, modelName, style);
    }

    /**
     * A copy of these options with another model name.
     *
     * @param name the model name for {@code config.json}
     * @return a copy with another model name
     */
    public TrainingOptions withModelName(String name) {
        return new TrainingOptions(seed, steps, batchSize, learningRate, warmupSteps, finalLearningRate, weightDecay, beta1, beta2, adamEps,
                gradClip, nLayers, nHeads, dModel, dHead, dMlp, nCtx, normalization, minBlock, maxBlock, distinctTokens, name, style);
    }

    /**
     * A copy of these options with another block design.
     *
     * @param s {@link #GPT2} or {@link #LLAMA}
     * @return a copy with another style
     * @throws TrainingOptionException for another value
     */
    public TrainingOptions withStyle(String s) {
        return new TrainingOptions(seed, steps, batchSize, learningRate, warmupSteps, finalLearningRate, weightDecay, beta1, beta2, adamEps,
                gradClip, nLayers, nHeads, dModel, dHead, dMlp, nCtx, normalization, minBlock, maxBlock, distinctTokens, modelName, s);
    }

    /**
     * The learning-rate schedule: linear warm-up to {@code learningRate} over {@code warmupSteps}, then a
     * linear fall to {@code finalLearningRate} at step {@code steps} (and constant after it).
     *
     * @param step the step number, from 1
     * @return the learning rate of that step
     */
    public float learningRateAt(int step) {
        if (warmupSteps > 0 && step <= warmupSteps) {
            return learningRate * step / warmupSteps;
        }
        int decaySteps = steps - warmupSteps;
        if (decaySteps <= 0 || step >= steps) {
            return decaySteps <= 0 ? learningRate : finalLearningRate;
        }
        float progress = (float) (step - warmupSteps) / decaySteps;
        return learningRate + (finalLearningRate - learningRate) * progress;
    }

    /** A float as the double with the same shortest decimal form (3e-3f is written 0.003, not 0.0030000000260). */
    private static double decimal(float f) {
        return Double.parseDouble(Float.toString(f));
    }

    /**
     * Returns the options as JSON-ready key-value pairs (snake_case), for {@code training.json}.
     *
     * @return the options as JSON-ready key-value pairs (snake_case), for {@code training.json}
     */
    public Map<String, Object> toJsonMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("seed", seed);
        m.put("steps", steps);
        m.put("batch_size", batchSize);
        m.put("learning_rate", decimal(learningRate));
        m.put("warmup_steps", warmupSteps);
        m.put("final_learning_rate", decimal(finalLearningRate));
        m.put("weight_decay", decimal(weightDecay));
        m.put("beta1", decimal(beta1));
        m.put("beta2", decimal(beta2));
        m.put("adam_eps", decimal(adamEps));
        m.put("grad_clip", decimal(gradClip));
        m.put("n_layers", nLayers);
        m.put("n_heads", nHeads);
        m.put("d_model", dModel);
        m.put("d_head", dHead);
        m.put("d_mlp", dMlp);
        m.put("n_ctx", nCtx);
        m.put("normalization", normalization);
        m.put("min_block", minBlock);
        m.put("max_block", maxBlock);
        m.put("distinct_tokens", distinctTokens);
        m.put("model_name", modelName);
        m.put("style", style);
        return m;
    }
}
