/**
 * Attribution on a cached forward pass, as TransformerLens's {@code ActivationCache} does it: the
 * residual stream accumulated layer by layer (the logit lens), decomposed into embeddings, layer
 * outputs, heads, neurons and biases ({@link dev.lens4j.analysis.attribution.ResidualStream}),
 * scaled by the cached LayerNorm scale, and projected onto unembedding directions
 * ({@link dev.lens4j.analysis.attribution.DirectLogitAttribution}). Results are labelled stacks
 * ({@link dev.lens4j.analysis.attribution.ComponentStack}) with TransformerLens's labels.
 */
package dev.lens4j.analysis.attribution;
