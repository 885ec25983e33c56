package dev.lens4j.transformer;

import dev.lens4j.hooks.ActivationCache;
import dev.lens4j.tensor.Shapes;
import dev.lens4j.tensor.Tensor;

import java.util.Map;

/**
 * What a forward pass returns.
 *
 * @param output the logits {@code [batch, pos, d_vocab]}, or, when the pass stopped early
 *               ({@link ForwardOptions#stopAtLayer()}), the residual stream {@code [batch, pos, d_model]}
 * @param cache the activations the cache filter asked for (empty without a filter)
 * @param stoppedEarly true when {@code output} is a residual stream rather than logits
 * @param metric the value of the backward pass's metric, or NaN without one
 * @param weightGradients the metric's gradient with respect to each weight (TransformerLens names,
 *                        laid out as the weights), or null unless asked for
 * @param inputGradient the metric's gradient with respect to the residual stream the pass started from
 *                      ({@code [batch, pos, d_model]}: the embedding's output, or the input of
 *                      {@link HookedTransformer#runFromResidual}), or null without a backward pass
 */
public record ForwardResult(Tensor output, ActivationCache cache, boolean stoppedEarly, double metric,
                            Map<String, Tensor> weightGradients, Tensor inputGradient) {

    /**
     * A result without a backward pass.
     *
     * @param output see the record
     * @param cache see the record
     * @param stoppedEarly see the record
     */
    public ForwardResult(Tensor output, ActivationCache cache, boolean stoppedEarly) {
        this(output, cache, stoppedEarly, Double.NaN, null, null);
    }

    /**
     * Returns the logits {@code [batch, pos, d_vocab]}.
     *
     * @return the logits {@code [batch, pos, d_vocab]}
     * @throws IllegalStateException if the pass stopped before the unembedding
     */
    public Tensor logits() {
        if (stoppedEarly) {
            throw new IllegalStateException("the pass stopped early and returned the residual stream "
                    + Shapes.str(output.shape()) + ", not logits; use output()");
        }
        return output;
    }
}
