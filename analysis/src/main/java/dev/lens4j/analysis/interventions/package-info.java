/**
 * Interventions on forward passes: zero, mean and resample ablations
 * ({@link dev.lens4j.analysis.interventions.Ablation}) and activation patching from a clean run
 * into a corrupted one ({@link dev.lens4j.analysis.interventions.ActivationPatching}) with
 * TransformerLens's {@code patching} sweeps, measured by the usual
 * {@link dev.lens4j.analysis.interventions.Metrics}. Every intervention is a per-call hook, so
 * interventions run concurrently on one model.
 */
package dev.lens4j.analysis.interventions;
