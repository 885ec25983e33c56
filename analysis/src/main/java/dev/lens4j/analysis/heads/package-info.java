/**
 * Finding heads by what they attend to: TransformerLens's {@code detect_head}
 * ({@link dev.lens4j.analysis.heads.HeadDetection}, {@link dev.lens4j.analysis.heads.HeadDetector}) with its
 * previous-token, duplicate-token and induction patterns ({@link dev.lens4j.analysis.heads.DetectionPatterns}),
 * and the induction evaluations on repeated random tokens ({@link dev.lens4j.analysis.heads.InductionEvals}):
 * induction loss, per-head induction scores and the in-context-learning score.
 */
package dev.lens4j.analysis.heads;
