/**
 * Training small transformers in pure Java until an induction circuit forms:
 * {@link dev.lens4j.transformer.train.InductionTrainer} on {@link dev.lens4j.transformer.train.InductionData}
 * (random tokens with a copied block), with hand-written forward and backward passes after llm.c and
 * PyTorch's AdamW; {@link dev.lens4j.transformer.train.TrainingOptions} fix a run bit for bit, and
 * {@link dev.lens4j.transformer.train.CheckpointWriter} writes the result as a lens4j checkpoint. The shipped
 * {@code induction-2l} model was made here.
 */
package dev.lens4j.transformer.train;
