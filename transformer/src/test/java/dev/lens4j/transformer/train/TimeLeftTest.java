package dev.lens4j.transformer.train;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/**
 * The time-left estimate on a clock the test moves by hand. Before, the estimate was made from the
 * run's first steps too, which the JIT makes slow: on a 3000-step run whose first 100 steps take 1 s
 * each and the others 0.1 s, it said about 50 minutes left after each of steps 1 to 100 and 46 minutes
 * after step 101, for a run that ends 4 minutes 50 s later.
 */
class TimeLeftTest {

    /** A clock that returns the nanoseconds the test set. */
    private static final class FakeClock {
        long nanos = 1_000_000_000_000L; // an arbitrary origin: only differences count

        void advance(double seconds) {
            nanos += Math.round(seconds * 1e9);
        }
    }

    @Test
    void noEstimateDuringWarmUpThenOneFromTheStepsAfterIt() {
        FakeClock c = new FakeClock();
        TimeLeft t = new TimeLeft(0, 3000, 20, () -> c.nanos);
        assertThat(t.warmupSteps()).isEqualTo(100);
        for (int step = 1; step <= 100; step++) {
            c.advance(1.0); // a slow step: the JIT is still compiling
            t.stepDone();
            assertThat(t.secondsLeft()).as("step %d", step).isNaN();
            assertThat(t.stepsPerSecond()).as("step %d", step).isCloseTo(1.0, within(1e-9));
        }
        c.advance(0.1);
        t.stepDone();
        // step 101: only the step after warm-up counts, 10 steps/s for the 2899 steps left
        assertThat(t.stepsPerSecond()).isCloseTo(10.0, within(1e-6));
        assertThat(t.secondsLeft()).isCloseTo(289.9, within(1e-6));
        assertThat(t.elapsedSeconds()).isCloseTo(100.1, within(1e-9));
    }

    @Test
    void theSpeedIsTheMeanOfTheLastWindowOfSteps() {
        FakeClock c = new FakeClock();
        TimeLeft t = new TimeLeft(0, 10_000, 4, () -> c.nanos);
        for (int step = 1; step <= 110; step++) {
            c.advance(0.5);
            t.stepDone();
        }
        for (int step = 111; step <= 114; step++) {
            c.advance(0.25);
            t.stepDone();
        }
        // the last 4 steps took 1 s: 4 steps/s, 9,886 steps left
        assertThat(t.stepsPerSecond()).isCloseTo(4.0, within(1e-9));
        assertThat(t.secondsLeft()).isCloseTo(2471.5, within(1e-9));
        c.advance(0.5);
        t.stepDone();
        // 0.25 x 3 + 0.5 over the last 4 steps
        assertThat(t.stepsPerSecond()).isCloseTo(4 / 1.25, within(1e-9));
    }

    @Test
    void aShortRunWarmsUpForATenthOfItsStepsAndEndsAtZero() {
        FakeClock c = new FakeClock();
        TimeLeft t = new TimeLeft(0, 50, 20, () -> c.nanos);
        assertThat(t.warmupSteps()).isEqualTo(5);
        for (int step = 1; step <= 5; step++) {
            c.advance(2.0);
            t.stepDone();
            assertThat(t.secondsLeft()).isNaN();
        }
        for (int step = 6; step <= 50; step++) {
            c.advance(0.5);
            t.stepDone();
            if (step < 50) {
                assertThat(t.secondsLeft()).as("step %d", step).isCloseTo((50 - step) * 0.5, within(1e-9));
            }
        }
        assertThat(t.secondsLeft()).isZero();
        // fewer than 10 steps: no warm-up, an estimate from the first step
        TimeLeft tiny = new TimeLeft(0, 9, 20, () -> c.nanos);
        assertThat(tiny.warmupSteps()).isZero();
        c.advance(1.0);
        tiny.stepDone();
        assertThat(tiny.secondsLeft()).isCloseTo(8.0, within(1e-9));
    }

    @Test
    void aResumedRunCountsItsWarmUpAndItsStepsFromWhereItResumes() {
        FakeClock c = new FakeClock();
        TimeLeft t = new TimeLeft(2800, 3000, 20, () -> c.nanos); // 200 steps to go: 20 of warm-up
        assertThat(t.warmupSteps()).isEqualTo(20);
        for (int step = 1; step <= 21; step++) {
            c.advance(step <= 20 ? 3.0 : 0.2);
            t.stepDone();
        }
        assertThat(t.secondsLeft()).isCloseTo(179 * 0.2, within(1e-9));
    }

    @Test
    void aClockThatDidNotMoveGivesNoSpeedRatherThanInfinity() {
        TimeLeft t = new TimeLeft(0, 5, 20, () -> 7L);
        assertThat(t.stepsPerSecond()).isNaN();
        t.stepDone();
        assertThat(t.stepsPerSecond()).isNaN();
        assertThat(t.secondsLeft()).isNaN();
    }

    @Test
    void badArgumentsAreRefused() {
        assertThatThrownBy(() -> new TimeLeft(10, 5, 20, System::nanoTime)).hasMessageContaining("10 done of 5");
        assertThatThrownBy(() -> new TimeLeft(0, 5, 0, System::nanoTime)).hasMessageContaining("window 0");
    }
}
