/**
 * The model families lens4j loads from Hugging Face checkpoints, one
 * {@link dev.lens4j.transformer.loading.ModelFamily} adapter each: how a family's {@code config.json}
 * maps to a {@link dev.lens4j.transformer.TransformerConfig} and its tensors to TransformerLens
 * state-dict names (GPT-2, GPT-NeoX/Pythia, Llama, Mistral, Qwen2, Qwen3, Gemma, Gemma 2, Phi-3).
 * {@link dev.lens4j.transformer.loading.family.Families} lists them; docs/ARCHITECTURES.md says how to
 * add one.
 */
package dev.lens4j.transformer.loading.family;
