/**
 * Attributions from gradients: attribution patching, the linear estimate of every activation patch
 * from two passes ({@link dev.lens4j.analysis.gradients.AttributionPatching}); edge attribution over
 * the graph of embeddings, heads (with their query, key and value inputs) and MLPs, as EAP and EAP-IG
 * ({@link dev.lens4j.analysis.gradients.EdgeAttribution}, {@link dev.lens4j.analysis.gradients.AttributionGraph});
 * circuits extracted from edge scores and their faithfulness ({@link dev.lens4j.analysis.gradients.Circuit});
 * integrated gradients and gradient x input for tokens ({@link dev.lens4j.analysis.gradients.TokenAttribution}).
 * The metrics they differentiate are in {@link dev.lens4j.analysis.gradients.LogitMetrics}. Every
 * gradient comes from the model's own backward pass ({@code ForwardOptions.backward}), which refuses
 * a KV-cached step and a pass that stops before the logits.
 */
package dev.lens4j.analysis.gradients;
