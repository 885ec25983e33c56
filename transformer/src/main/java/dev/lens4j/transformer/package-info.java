/**
 * A GPT-2-style transformer with TransformerLens's hook points: {@link dev.lens4j.transformer.HookedTransformer}
 * (forward pass, {@code runWithCache}, {@code runWithHooks}, generation), configured by
 * {@link dev.lens4j.transformer.TransformerConfig} (TransformerLens's {@code HookedTransformerConfig}) and
 * holding its parameters in TransformerLens layout ({@link dev.lens4j.transformer.TransformerWeights}). Every
 * intermediate value is a hook point under TransformerLens's name and shape
 * ({@link dev.lens4j.transformer.HookShape}).
 */
package dev.lens4j.transformer;
