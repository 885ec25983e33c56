package dev.lens4j.tensor;

import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinWorkerThread;
import java.util.concurrent.RecursiveAction;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The one way lens4j runs work on several cores.
 *
 * <p>Work is split into disjoint index ranges; each range writes its own part of the output, so a
 * result never depends on how many threads computed it. All of lens4j shares one pool, sized by the
 * system property {@code lens4j.threads} (default: the number of available processors) or by
 * {@link #setThreads(int)}. Calls from inside the pool (nested parallelism) are split in the same
 * pool, never in a second one.
 *
 * <pre>{@code
 * Parallel.forRange(rows, 16, (start, end) -> {
 *     for (int r = start; r < end; r++) normaliseRow(r);
 * });
 * }</pre>
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

    private static volatile ForkJoinPool pool = newPool(defaultThreads());

    private Parallel() {}

    private static int defaultThreads() {
        String p = System.getProperty("lens4j.threads");
        if (p == null || p.isBlank()) {
            return Runtime.getRuntime().availableProcessors();
        }
        try {
            int n = Integer.parseInt(p.trim());
            if (n < 1) {
                throw new NumberFormatException();
            }
            return n;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("system property lens4j.threads must be a positive integer, got '" + p + "'");
        }
    }

    private static ForkJoinPool newPool(int threads) {
        AtomicInteger ids = new AtomicInteger();
        return new ForkJoinPool(threads, p -> {
            ForkJoinWorkerThread t = ForkJoinPool.defaultForkJoinWorkerThreadFactory.newThread(p);
            t.setName("lens4j-worker-" + ids.incrementAndGet());
            t.setDaemon(true);
            return t;
        }, null, false);
    }

    /** @return the number of threads lens4j's pool runs on */
    public static int threads() {
        return pool.getParallelism();
    }

    /**
     * Resizes lens4j's shared pool. Work already running finishes on the old pool.
     *
     * @param threads the new number of threads, at least 1
     */
    public static synchronized void setThreads(int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be at least 1, got " + threads);
        }
        if (threads == pool.getParallelism()) {
            return;
        }
        ForkJoinPool old = pool;
        pool = newPool(threads);
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
     *
     * @param start first index
     * @param end one past the last index
     * @param grain the smallest range worth giving to another thread (at least 1)
     * @param task the body; ranges are disjoint and cover {@code [start, end)} exactly once
     */
    public static void forRange(int start, int end, int grain, RangeTask task) {
        if (end <= start) {
            return;
        }
        ForkJoinPool p = pool;
        int g = Math.max(1, grain);
        if (p.getParallelism() == 1 || end - start <= g) {
            task.run(start, end);
            return;
        }
        // Aim for a few ranges per thread so that uneven ranges balance out.
        int pieces = Math.max(1, Math.min((end - start) / g, p.getParallelism() * 4));
        int leaf = Math.max(g, (end - start + pieces - 1) / pieces);
        Split root = new Split(start, end, leaf, task);
        if (Thread.currentThread() instanceof ForkJoinWorkerThread w && w.getPool() == p) {
            root.invoke();
        } else {
            p.invoke(root);
        }
    }

    private static final class Split extends RecursiveAction {
        private final int start;
        private final int end;
        private final int leaf;
        private final transient RangeTask task;

        Split(int start, int end, int leaf, RangeTask task) {
            this.start = start;
            this.end = end;
            this.leaf = leaf;
            this.task = task;
        }

        @Override
        protected void compute() {
            if (end - start <= leaf) {
                task.run(start, end);
                return;
            }
            int pieces = (end - start + leaf - 1) / leaf;
            int mid = start + (pieces / 2) * leaf;
            invokeAll(new Split(start, mid, leaf, task), new Split(mid, end, leaf, task));
        }
    }
}
