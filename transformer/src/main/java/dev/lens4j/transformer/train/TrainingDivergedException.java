package dev.lens4j.transformer.train;

/**
 * Training stopped because a step's loss or gradient norm was NaN or infinite: the weights would
 * no longer mean anything. The trainer's weights are those before that step (every one finite), but
 * a run that diverges needs a lower learning rate or gradient clipping rather than those weights.
 */
public final class TrainingDivergedException extends IllegalStateException {

    /** Serialisation version. */
    private static final long serialVersionUID = 1L;

    /** The step whose loss or gradient was not finite, from 1. */
    private final int step;

    /**
     * Creates the exception.
     *
     * @param step the step whose loss or gradient was not finite, from 1
     * @param message what was not finite, naming the step
     */
    public TrainingDivergedException(int step, String message) {
        super(message);
        this.step = step;
    }

    /**
     * The step at which training diverged.
     *
     * @return the step number, from 1
     */
    public int step() {
        return step;
    }
}
