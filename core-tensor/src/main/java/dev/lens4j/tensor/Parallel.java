package dev.lens4j.tensor;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The one way lens4j runs work on several cores.
 *
 * <p>Work is split into disjoint index ranges; each range writes its own part of the output, so a
 * result never depends on how many threads computed it. All of lens4j shares one team of threads,
 * sized by the system property {@code lens4j.threads} (default: the number of available processors)
 * or by {@link #setThreads(int)}.
 *
 * <pre>{@code
 * Parallel.forRange(rows, 16, (start, end) -> {
 *     for (int r = start; r < end; r++) normaliseRow(r);
 * });
 * }</pre>
 *
 * <p>How it runs. The calling thread is one of the team: a team of {@code n} threads is the caller
 * plus {@code n - 1} workers, and the caller takes ranges like any worker, then waits for the ranges
 * the workers took. A worker that has just finished spins for a short while
 * ({@code lens4j.spinMicros}, default 200 microseconds) before it parks, so that the next call finds
 * it awake. That matters for work made of many short calls, such as decoding one token at a time
 * (about a hundred calls per token, each a few tens of microseconds): waking a parked thread costs
 * tens of microseconds, and a {@link java.util.concurrent.ForkJoinPool} that parked between calls
 * made two threads decode more slowly than one.
 *
 * <p>A call made while the team is busy runs on the calling thread alone: from inside a range
 * (nested parallelism: the outer call already uses every thread) and from a second thread while
 * another thread's call is running (two threads running forward passes each get a core).
 */
public final class Parallel {

    /** A body run on the half-open range {@code [start, end)}. */
    @FunctionalInterface
    public interface RangeTask {
        /**
         * Runs the work for indices {@code start} (inclusive) to {@code end} (exclusive).
         *
         * @param start first index
         * @param end one past the last index
         */
        void run(int start, int end);
    }

    /**
     * Why {@code lens4j.threads} or {@code lens4j.spinMicros} cannot be used, or null. Refused at every use
     * ({@link #team()}) rather than thrown while the class initialises, where it would reach the caller as an
     * {@link ExceptionInInitializerError} once and as a {@link NoClassDefFoundError} after that.
     */
    private static final String BAD_PROPERTY = badProperty();

    private static final long SPIN_NANOS = BAD_PROPERTY != null ? 0 : 1000L * spinMicros();

    private static volatile Team team = BAD_PROPERTY != null ? null : new Team(defaultThreads());

    private Parallel() {}

    private static int defaultThreads() {
        return intProperty("lens4j.threads", Runtime.getRuntime().availableProcessors(), 1, "a positive integer");
    }

    private static String badProperty() {
        try {
            defaultThreads();
            spinMicros();
            return null;
        } catch (IllegalArgumentException e) {
            return e.getMessage();
        }
    }

    /** The shared team; refuses a bad system property by name (see {@link #BAD_PROPERTY}). */
    private static Team team() {
        if (BAD_PROPERTY != null) {
            throw new IllegalArgumentException(BAD_PROPERTY);
        }
        return team;
    }

    private static int spinMicros() {
        return intProperty("lens4j.spinMicros", 200, 0, "a non-negative integer");
    }

    /** The integer value of a system property, {@code fallback} when it is unset or blank. */
    private static int intProperty(String name, int fallback, int min, String what) {
        String p = System.getProperty(name);
        if (p == null || p.isBlank()) {
            return fallback;
        }
        try {
            int n = Integer.parseInt(p.trim());
            if (n < min) {
                throw new NumberFormatException();
            }
            return n;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("system property " + name + " must be " + what + ", got '" + p + "'");
        }
    }

    /**
     * Returns the number of threads lens4j's team runs on, the calling thread included.
     *
     * @return the number of threads lens4j's team runs on
     * @throws IllegalArgumentException if the system property {@code lens4j.threads} or {@code lens4j.spinMicros}
     *                                  is not a valid number (the message names it and its value)
     */
    public static int threads() {
        return team().threads;
    }

    /**
     * Resizes lens4j's shared team. Calls already running finish on the old team.
     *
     * @param threads the new number of threads, at least 1
     * @throws IllegalArgumentException if {@code threads} is less than 1, or a system property is invalid as for
     *                                  {@link #threads()}
     */
    public static synchronized void setThreads(int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be at least 1, got " + threads);
        }
        Team old = team();
        if (threads == old.threads) {
            return;
        }
        team = new Team(threads);
        old.shutdown();
    }

    /**
     * Runs {@code task} over {@code [0, n)} split into ranges of at least {@code grain} indices.
     *
     * @param n number of indices
     * @param grain the smallest range worth giving to another thread (at least 1)
     * @param task the body; ranges are disjoint and cover {@code [0, n)} exactly once
     */
    public static void forRange(int n, int grain, RangeTask task) {
        forRange(0, n, grain, task);
    }

    /**
     * Runs {@code task} over {@code [start, end)} split into ranges of at least {@code grain} indices.
     * An exception thrown by the task is rethrown here once every range has finished (ranges not yet
     * started when it was thrown are skipped).
     *
     * @param start first index
     * @param end one past the last index
     * @param grain the smallest range worth giving to another thread (at least 1)
     * @param task the body; ranges are disjoint and cover {@code [start, end)} exactly once
     * @throws IllegalArgumentException if a system property is invalid, as for {@link #threads()}
     */
    public static void forRange(int start, int end, int grain, RangeTask task) {
        if (end <= start) {
            return;
        }
        Team t = team();
        int n = end - start;
        int g = Math.max(1, grain);
        if (t.threads == 1 || n <= g || !t.run(start, end, g, task)) {
            task.run(start, end);
        }
    }

    /**
     * One call's work: {@code pieces} ranges of {@code [start, end)}, claimed in order by whichever thread is free.
     * Only the calling thread and {@link Team#current} refer to it while it runs, and nothing once it is
     * done: its task holds the caller's arrays (a forward pass's activations, hundreds of megabytes),
     * which an idle worker must not keep reachable until the next job.
     */
    private static final class Job {
        /** Tells jobs apart without keeping them: a worker remembers the last one it helped with by id. */
        final long id;
        final int start, end, pieces;
        final RangeTask task;
        final AtomicInteger next = new AtomicInteger();
        final AtomicInteger done = new AtomicInteger();
        final AtomicReference<Throwable> failure = new AtomicReference<>();
        volatile Thread waiter;

        Job(long id, int start, int end, int pieces, RangeTask task) {
            this.id = id;
            this.start = start;
            this.end = end;
            this.pieces = pieces;
            this.task = task;
        }

        /** Claims and runs ranges until none is left. */
        void work() {
            int i;
            while ((i = next.getAndIncrement()) < pieces) {
                try {
                    if (failure.get() == null) {
                        long n = end - start;
                        task.run(start + (int) (n * i / pieces), start + (int) (n * (i + 1) / pieces));
                    }
                } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                } finally {
                    if (done.incrementAndGet() == pieces) {
                        Thread w = waiter;
                        if (w != null) {
                            LockSupport.unpark(w);
                        }
                    }
                }
            }
        }

        /**
         * Waits, spinning briefly and then parked, until every range has run. An interrupt does not
         * end the wait (the ranges are running and write into the caller's arrays); the caller's
         * interrupt status is kept for it, and set again once the wait is over, so that parking is
         * not turned into a busy spin meanwhile.
         */
        void await() {
            long t0 = System.nanoTime();
            boolean interrupted = false;
            while (done.get() < pieces) {
                if (System.nanoTime() - t0 < SPIN_NANOS) {
                    Thread.onSpinWait();
                } else {
                    waiter = Thread.currentThread();
                    if (done.get() < pieces) {
                        LockSupport.park(this);
                        interrupted |= Thread.interrupted();
                    }
                }
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** The caller plus {@code threads - 1} worker threads. */
    private static final class Team {
        final int threads;
        final Worker[] workers;
        final ReentrantLock lock = new ReentrantLock();
        volatile Job current;
        volatile boolean shutdown;
        /** The id of the last job, from 1 (0 means none); changed under {@link #lock}. */
        long lastId;

        Team(int threads) {
            this.threads = threads;
            this.workers = new Worker[threads - 1];
            for (int i = 0; i < workers.length; i++) {
                workers[i] = new Worker(this, i + 1);
                workers[i].start();
            }
        }

        /** Runs the job with the calling thread's help; false when the team is busy (nested or concurrent call). */
        boolean run(int start, int end, int grain, RangeTask task) {
            if (Thread.currentThread() instanceof Worker || lock.isHeldByCurrentThread() || !lock.tryLock()) {
                return false;
            }
            Job job;
            try {
                // A few ranges per thread, so that uneven ranges (or a thread the OS delays) balance out.
                int pieces = Math.max(1, Math.min((end - start) / grain, threads * 4));
                job = new Job(++lastId, start, end, pieces, task);
                current = job;
                for (Worker w : workers) {
                    if (w.parked) {
                        LockSupport.unpark(w);
                    }
                }
                job.work();
                job.await();
            } finally {
                current = null;
                lock.unlock();
            }
            Throwable e = job.failure.get();
            if (e instanceof RuntimeException r) {
                throw r;
            }
            if (e instanceof Error r) {
                throw r;
            }
            if (e != null) {
                throw new IllegalStateException("a parallel task failed", e);
            }
            return true;
        }

        void shutdown() {
            shutdown = true;
            for (Worker w : workers) {
                LockSupport.unpark(w);
            }
        }
    }

    /** A worker: waits for a job (spinning, then parked), helps with it, and waits again. */
    private static final class Worker extends Thread {
        private final Team team;
        volatile boolean parked;

        Worker(Team team, int id) {
            super("lens4j-worker-" + id);
            this.team = team;
            setDaemon(true);
        }

        // A job is only ever held in the frames of helpWithNewJob and hasNewJobOrShutdown, which
        // return before the worker spins or parks: no local of a waiting frame refers to one.
        @Override
        public void run() {
            long last = 0;
            while (!team.shutdown) {
                long helped = helpWithNewJob(last);
                if (helped == last) {
                    idle(last);
                } else {
                    last = helped;
                }
            }
        }

        /** Helps with the current job if it is not job {@code last}; returns the id of the job helped with, else {@code last}. */
        private long helpWithNewJob(long last) {
            Job job = team.current;
            if (job == null || job.id == last) {
                return last;
            }
            job.work();
            return job.id;
        }

        private boolean hasNewJobOrShutdown(long last) {
            Job j = team.current;
            return (j != null && j.id != last) || team.shutdown;
        }

        /** Returns once a job other than job {@code last} may be there (or the team is shutting down). */
        private void idle(long last) {
            long t0 = System.nanoTime();
            while (System.nanoTime() - t0 < SPIN_NANOS) {
                if (hasNewJobOrShutdown(last)) {
                    return;
                }
                Thread.onSpinWait();
            }
            parked = true;
            if (!hasNewJobOrShutdown(last)) {
                LockSupport.park(this);
            }
            parked = false;
        }
    }
}
