/**
 * TransformerLens's weight processing (fold_ln, center_writing_weights, center_unembed,
 * fold_value_biases, refactor_factored_attn_matrices): {@link dev.lens4j.transformer.processing.WeightProcessing}
 * with {@link dev.lens4j.transformer.processing.ProcessingOptions}.
 */
package dev.lens4j.transformer.processing;
