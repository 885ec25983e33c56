package dev.lens4j.transformer.train;

/**
 * Where a training run stands after one step, as handed to a {@link TrainingListener}.
 *
 * <p>Losses are mean per-token cross-entropies in nats. "Repeated" tokens are the predictable tokens of
 * the copied block (the copy's second to last tokens); "other" tokens are all remaining positions, which
 * are random and so stay near {@code ln(vocabulary without BOS)}.
 *
 * @param step steps done, from 1
 * @param totalSteps steps the run will take
 * @param loss mean loss of this step's batch over all positions
 * @param repeatedLoss this step's loss on repeated tokens
 * @param otherLoss this step's loss on the other tokens
 * @param smoothedRepeatedLoss mean of {@code repeatedLoss} over the last {@link InductionTrainer#SMOOTHING_WINDOW} steps
 * @param smoothedOtherLoss mean of {@code otherLoss} over the same steps
 * @param gradNorm global gradient norm before clipping
 * @param elapsedSeconds wall time since the run started
 * @param stepsPerSecond recent training speed, after warm-up over the steps since it ended ({@link TimeLeft})
 * @param secondsLeft estimated time to finish the run at that speed; {@code NaN} during the run's first,
 *                    slow steps ({@link TimeLeft#warmupSteps()})
 */
public record TrainingProgress(int step, int totalSteps, double loss, double repeatedLoss, double otherLoss,
                               double smoothedRepeatedLoss, double smoothedOtherLoss, double gradNorm,
                               double elapsedSeconds, double stepsPerSecond, double secondsLeft) {}
