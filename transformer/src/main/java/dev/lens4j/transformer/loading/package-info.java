/**
 * Loading and saving models: Hugging Face checkpoints of every supported family
 * ({@link dev.lens4j.transformer.loading.HfCheckpoint}, one {@link dev.lens4j.transformer.loading.ModelFamily} per family),
 * checkpoints in TransformerLens names ({@link dev.lens4j.transformer.loading.LensCheckpoint}), the Hugging
 * Face cache ({@link dev.lens4j.transformer.loading.HfCache}) and the entry points
 * {@link dev.lens4j.transformer.loading.Models#fromPretrained(String)} and
 * {@link dev.lens4j.transformer.loading.Models#fromPretrainedNoProcessing(String)}.
 *
 * <p>Float32 safetensors files loaded without processing are memory-mapped and their tensors used in
 * place; the model owns the mapping. With weight processing, which copies every weight, a Hugging Face
 * checkpoint is read block by block into heap arrays after its headers are checked, and nothing stays
 * mapped. Bad files fail with an {@link java.io.IOException} naming the file and the key or tensor at
 * fault, and nothing stays open.
 */
package dev.lens4j.transformer.loading;
