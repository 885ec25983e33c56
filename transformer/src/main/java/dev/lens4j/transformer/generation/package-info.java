/**
 * Text generation with a model: greedy and sampled decoding (temperature, top-k, top-p, seed) with a
 * KV cache, as TransformerLens's {@code generate} does on token input; hooks fire in every pass.
 */
package dev.lens4j.transformer.generation;
