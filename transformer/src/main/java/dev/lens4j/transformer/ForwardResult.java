package dev.lens4j.transformer;

import dev.lens4j.hooks.ActivationCache;
import dev.lens4j.tensor.Shapes;
import dev.lens4j.tensor.Tensor;

/**
 * What a forward pass returns.
 *
 * @param output the logits {@code [batch, pos, d_vocab]}, or, when the pass stopped early
 *               ({@link ForwardOptions#stopAtLayer()}), the residual stream {@code [batch, pos, d_model]}
 * @param cache the activations the cache filter asked for (empty without a filter)
 * @param stoppedEarly true when {@code output} is a residual stream rather than logits
 */
public record ForwardResult(Tensor output, ActivationCache cache, boolean stoppedEarly) {

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
