package dev.lens4j.analysis.interventions;

import dev.lens4j.tensor.Tensor;

/**
 * A number computed from a forward pass's logits, such as a logit difference or a loss: what an
 * activation-patching sweep records for each patched run (TransformerLens's {@code patching_metric}).
 * {@link Metrics} builds the usual ones.
 */
@FunctionalInterface
public interface Metric {

    /**
     * Computes the metric of one run.
     *
     * @param logits {@code [batch, pos, d_vocab]}
     * @return the metric
     */
    float apply(Tensor logits);
}
