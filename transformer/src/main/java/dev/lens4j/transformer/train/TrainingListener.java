package dev.lens4j.transformer.train;

/**
 * Receives {@link TrainingProgress} after every training step (on the thread that runs the training),
 * e.g. to draw a progress bar. It should return quickly; throttling output is its own business.
 */
@FunctionalInterface
public interface TrainingListener {

    /** A listener that ignores progress. */
    TrainingListener NONE = p -> { };

    /**
     * Called after each step.
     *
     * @param progress the run's state after the step
     */
    void onStep(TrainingProgress progress);
}
