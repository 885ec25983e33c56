/**
 * Weight-level reverse engineering, as TransformerLens does it: {@link dev.lens4j.analysis.circuits.FactoredMatrix}
 * keeps products such as {@code W_Q W_K^T} and {@code W_V W_O} as two factors (with their SVD,
 * eigenvalues and norms computed without multiplying them out), {@link dev.lens4j.analysis.circuits.Circuits}
 * gives every head's QK and OV circuit ({@code model.QK}, {@code model.OV}) and the full circuits
 * through the embedding and unembedding, and {@link dev.lens4j.analysis.circuits.CompositionScores}
 * measures how much one head's output is read by a later head's queries, keys or values.
 */
package dev.lens4j.analysis.circuits;
