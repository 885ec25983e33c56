package dev.lens4j.app;

import dev.lens4j.report.Plural;
import dev.lens4j.tensor.Parallel;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.util.concurrent.Callable;

/**
 * The {@code --threads} option of the commands that compute (a picocli mixin): its check, and running
 * the command's work with that many threads. The thread count is global ({@link Parallel}), so the
 * work runs with it set and the count is restored afterwards: a command run in-process leaves it as
 * it was.
 *
 * <p>Each command describes the option in its own words, so the annotated option lives in one small
 * subclass per command ({@link ForBench}, {@link ForTraining}); the name, label and behaviour are here.
 */
abstract sealed class ThreadsOption permits ThreadsOption.ForBench, ThreadsOption.ForTraining {

    private static final String NAME = "--threads";
    private static final String LABEL = "N";

    @Spec(Spec.Target.MIXEE)
    CommandSpec mixee;

    /**
     * Returns the thread count given on the command line.
     *
     * @return the thread count given on the command line, or null for the default (all cores)
     */
    abstract Integer threads();

    /**
     * The most threads accepted: four per core, at least 8. More only adds threads that wait for a
     * core (and tens of thousands fail to start at all).
     *
     * @return the largest accepted {@code --threads}
     */
    static int maxThreads() {
        return Math.max(8, 4 * Runtime.getRuntime().availableProcessors());
    }

    /**
     * Refuses a thread count below 1 or above {@link #maxThreads()}.
     *
     * @throws ParameterException if {@code --threads} is out of that range
     */
    final void validate() {
        Integer threads = threads();
        if (threads != null && threads < 1) {
            throw new ParameterException(mixee.commandLine(), NAME + " must be at least 1, got " + threads);
        }
        if (threads != null && threads > maxThreads()) {
            throw new ParameterException(mixee.commandLine(), NAME + " must be at most " + maxThreads() + " (4 per core, "
                    + Plural.of(Runtime.getRuntime().availableProcessors(), "core") + "), got " + threads);
        }
    }

    /**
     * Runs a task with the thread count given on the command line (the current one when none was),
     * then restores the count that was set before, also when the task throws.
     *
     * @param task the command's work
     * @param <T> what the task returns
     * @return what the task returned
     * @throws Exception what the task threw
     */
    final <T> T run(Callable<T> task) throws Exception {
        int before = Parallel.threads();
        try {
            Integer threads = threads();
            if (threads != null) {
                Parallel.setThreads(threads);
            }
            return task.call();
        } finally {
            Parallel.setThreads(before); // the thread count is global; a command run in-process leaves it as it was
        }
    }

    /** {@code --threads} of {@code lens4j bench}. */
    static final class ForBench extends ThreadsOption {

        @Option(names = NAME, paramLabel = LABEL, description = "threads (default: all cores)")
        Integer threads;

        @Override
        Integer threads() {
            return threads;
        }
    }

    /** {@code --threads} of {@code lens4j train}. */
    static final class ForTraining extends ThreadsOption {

        @Option(names = NAME, paramLabel = LABEL, description = "threads; results do not depend on it (default: all cores)")
        Integer threads;

        @Override
        Integer threads() {
            return threads;
        }
    }
}
