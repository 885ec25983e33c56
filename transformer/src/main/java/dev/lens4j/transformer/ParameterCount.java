package dev.lens4j.transformer;

import java.util.Locale;

/**
 * How many parameters a model has: the one count lens4j prints and documents for a model ({@code lens4j
 * inspect}, the reports, {@code lens4j train}, the shipped model's README), and whether its unembedding
 * is tied. {@link HookedTransformer#parameterCount()} gives it for a model.
 *
 * <p>It is the count of the checkpoint a model was loaded from, or of the weights it was built from:
 * the number of values in the weight tensors, with an unembedding tied to the token embedding
 * ({@code W_U = W_E^T}) counted once. For a Hugging Face checkpoint that is what transformers'
 * {@code model.num_parameters()} gives (GPT-2 small: 124,439,808, W_U tied); it leaves out the zero biases
 * lens4j, as TransformerLens, gives a family that has none (Llama's, GPT-2's {@code b_U}) and buffers such
 * as causal masks. Weight processing does not change it: TransformerLens's {@code from_pretrained} folds
 * the LayerNorm weights into the next weights and centres a tied {@code W_U} into a tensor of its own,
 * which reparametrises the same model (the shipped induction-2l holds 44,992 parameters, W_U untied,
 * whether loaded with processing or without).
 *
 * @param count the number of parameters
 * @param unembedTied whether {@code W_U} is {@code W_E} transposed in the checkpoint, and so counted once
 */
public record ParameterCount(long count, boolean unembedTied) {

    /**
     * Validates the count.
     *
     * @throws IllegalArgumentException if the count is negative
     */
    public ParameterCount {
        if (count < 0) {
            throw new IllegalArgumentException("a parameter count cannot be negative, got " + count);
        }
    }

    /**
     * The count of a checkpoint's tensors.
     *
     * @param shapes the shape of every weight tensor the checkpoint holds (a tied unembedding is not
     *               among them: it is the token embedding)
     * @param unembedTied whether the unembedding is tied to the token embedding
     * @return the sum of the tensors' sizes
     */
    public static ParameterCount of(Iterable<int[]> shapes, boolean unembedTied) {
        long n = 0;
        for (int[] shape : shapes) {
            long size = 1;
            for (int d : shape) {
                size *= d;
            }
            n += size;
        }
        return new ParameterCount(n, unembedTied);
    }

    /**
     * The count of weights held in memory: every tensor, with a {@code W_U} that is a view of
     * {@code W_E}'s storage (as a tied checkpoint loaded without processing has it) counted once. Zero
     * biases among the weights count: these weights hold them.
     *
     * @param weights the weights
     * @return their count
     */
    public static ParameterCount of(TransformerWeights weights) {
        long n = 0;
        for (dev.lens4j.tensor.Tensor t : weights.stateDict().values()) {
            n += t.size();
        }
        boolean tied = weights.wU().sharesStorageWith(weights.wE()) && weights.wU().size() == weights.wE().size();
        return new ParameterCount(tied ? n - weights.wU().size() : n, tied);
    }

    /**
     * Says how the unembedding was counted.
     *
     * @return {@code "W_U tied to W_E, counted once"} or {@code "W_U untied"}
     */
    public String tying() {
        return unembedTied ? "W_U tied to W_E, counted once" : "W_U untied";
    }

    /**
     * The count and the tying, for a row labelled "parameters".
     *
     * @return e.g. {@code "44,992 (W_U untied)"}
     */
    public String describe() {
        return String.format(Locale.ROOT, "%,d (%s)", count, tying());
    }

    /**
     * The count in a sentence.
     *
     * @return e.g. {@code "44,992 parameters (W_U untied)"} or {@code "124,439,808 parameters (W_U tied to W_E, counted once)"}
     */
    @Override
    public String toString() {
        return String.format(Locale.ROOT, "%,d parameters (%s)", count, tying());
    }
}
