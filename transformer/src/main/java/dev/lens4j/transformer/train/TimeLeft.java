package dev.lens4j.transformer.train;

import java.util.function.LongSupplier;

/**
 * The speed and the time left of a training run, as {@link TrainingProgress} reports them after each
 * step.
 *
 * <p>The first steps of a run are slow: the JIT has not yet compiled the kernels and the caches are
 * cold, so an estimate from them says the run will take much longer than it does, and then shrinks.
 * The estimate therefore starts after warm-up: for the first {@link #warmupSteps()} steps of a run
 * (the first {@link #WARMUP_STEPS}, or a tenth of a shorter run) there is no time left ({@code NaN},
 * which the progress bar shows as {@code --:--}); after them, the speed is the mean over the most
 * recent steps (at most {@code window} of them), and never reaches back into the warm-up. The speed
 * shown during warm-up is that of the most recent steps, slow ones included.
 *
 * <p>The clock is a parameter so that the estimate can be checked without timing anything: the trainer
 * passes {@link System#nanoTime}.
 */
public final class TimeLeft {

    /**
     * Steps at the start of a run whose time the estimate leaves out (for a run of at least ten times as
     * many). Training the shipped model's recipe on the 2-core test machine, the first step took 4.4 s,
     * steps 2 to 20 about 0.2 s, and the steps settled near 25 ms only after 60 to 100 steps.
     */
    public static final int WARMUP_STEPS = 100;

    private final LongSupplier clock;
    private final int remainingAtStart;
    private final int warmup;
    private final int window;
    private final long start;
    /** times[k % (window + 1)]: the clock when k steps of this run were done, for the last window + 1 values of k. */
    private final long[] times;
    private int done;

    /**
     * Starts the clock of a run (or of the rest of one).
     *
     * @param stepsDone steps already done before this run, from 0
     * @param totalSteps steps the run ends at
     * @param window the most steps the speed is averaged over, at least 1
     * @param nanoClock a monotonic clock in nanoseconds ({@code System::nanoTime})
     * @throws IllegalArgumentException if the steps or the window are out of range
     */
    public TimeLeft(int stepsDone, int totalSteps, int window, LongSupplier nanoClock) {
        if (stepsDone < 0 || totalSteps < stepsDone || window < 1 || nanoClock == null) {
            throw new IllegalArgumentException("time left needs 0 <= steps done <= total steps and a window of at least 1 step, got "
                    + stepsDone + " done of " + totalSteps + ", window " + window);
        }
        this.clock = nanoClock;
        this.remainingAtStart = totalSteps - stepsDone;
        this.warmup = Math.min(WARMUP_STEPS, remainingAtStart / 10);
        this.window = window;
        this.times = new long[window + 1];
        this.start = nanoClock.getAsLong();
        times[0] = start;
    }

    /** Records that one more step is done, at the clock's current time. */
    public void stepDone() {
        done++;
        times[done % times.length] = clock.getAsLong();
    }

    /**
     * Returns how many of this run's first steps the estimate leaves out.
     *
     * @return {@link #WARMUP_STEPS}, or a tenth of a run of fewer than ten times as many steps
     */
    public int warmupSteps() {
        return warmup;
    }

    /**
     * Returns the time the steps took: from the constructor to the last {@link #stepDone()}.
     *
     * @return seconds, 0 before the first step
     */
    public double elapsedSeconds() {
        return (times[done % times.length] - start) * 1e-9;
    }

    /**
     * Returns the recent speed: steps per second over the last {@code window} steps, but after warm-up
     * only over the steps done since it ended.
     *
     * @return steps per second, or {@code NaN} before the first step (or if the clock did not move)
     */
    public double stepsPerSecond() {
        int from = Math.max(done - window, done > warmup ? warmup : 0);
        int span = done - from;
        double seconds = (times[done % times.length] - times[from % times.length]) * 1e-9;
        return span > 0 && seconds > 0 ? span / seconds : Double.NaN;
    }

    /**
     * Returns the estimated time to the last step at {@link #stepsPerSecond()}.
     *
     * @return seconds left, 0 when every step is done, {@code NaN} during warm-up
     */
    public double secondsLeft() {
        int left = remainingAtStart - done;
        if (left <= 0) {
            return 0;
        }
        return done <= warmup ? Double.NaN : left / stepsPerSecond();
    }
}
