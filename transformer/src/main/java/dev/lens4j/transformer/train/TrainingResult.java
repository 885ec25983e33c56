package dev.lens4j.transformer.train;

/**
 * The outcome of {@link InductionTrainer#train}.
 *
 * @param steps steps taken in total
 * @param smoothedRepeatedLoss mean repeated-token loss over the last steps (see {@link TrainingProgress})
 * @param smoothedOtherLoss mean other-token loss over the same steps
 * @param seconds wall time of this call
 * @param stepsToTarget the first step at which the smoothed repeated-token loss fell below the target, or -1
 * @param secondsToTarget wall time from the start of this call to that step, or NaN
 */
public record TrainingResult(int steps, double smoothedRepeatedLoss, double smoothedOtherLoss, double seconds,
                             int stepsToTarget, double secondsToTarget) {}
