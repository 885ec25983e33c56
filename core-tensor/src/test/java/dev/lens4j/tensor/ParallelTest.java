package dev.lens4j.tensor;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.atomic.AtomicIntegerArray;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ParallelTest {

    private final int before = Parallel.threads();

    @AfterEach
    void restore() {
        Parallel.setThreads(before);
    }

    /** Every index of [start, end) is visited exactly once, in ranges of at least the grain. */
    private static void checkCover(int start, int end, int grain) {
        AtomicIntegerArray seen = new AtomicIntegerArray(Math.max(0, end - start));
        List<int[]> ranges = Collections.synchronizedList(new ArrayList<>());
        Parallel.forRange(start, end, grain, (s, e) -> {
            ranges.add(new int[] {s, e});
            for (int i = s; i < e; i++) {
                seen.incrementAndGet(i - start);
            }
        });
        for (int i = 0; i < seen.length(); i++) {
            assertThat(seen.get(i)).as("index %d of [%d, %d) grain %d", start + i, start, end, grain).isEqualTo(1);
        }
        if (end - start > grain) {
            for (int[] r : ranges) {
                assertThat(r[1] - r[0]).as("range [%d, %d) of [%d, %d) grain %d", r[0], r[1], start, end, grain)
                        .isGreaterThanOrEqualTo(grain);
            }
        }
    }

    @Test
    void everyIndexOnceOnAnyThreadCount() {
        for (int threads : new int[] {1, 2, 3, 5}) {
            Parallel.setThreads(threads);
            assertThat(Parallel.threads()).isEqualTo(threads);
            for (int n : new int[] {0, 1, 2, 7, 13, 64, 207, 1025}) {
                for (int grain : new int[] {1, 3, 16, 2000}) {
                    checkCover(0, n, grain);
                    checkCover(5, 5 + n, grain);
                }
            }
        }
    }

    @Test
    void usesMoreThanOneThreadWhenThereIsEnoughWork() throws Exception {
        Parallel.setThreads(2);
        // Each range waits (briefly) until two different threads have entered some range.
        java.util.Set<Thread> threads = java.util.concurrent.ConcurrentHashMap.newKeySet();
        for (int attempt = 0; attempt < 50 && threads.size() < 2; attempt++) {
            Parallel.forRange(8, 1, (s, e) -> {
                threads.add(Thread.currentThread());
                long t0 = System.nanoTime();
                while (threads.size() < 2 && System.nanoTime() - t0 < 20_000_000L) {
                    Thread.onSpinWait();
                }
            });
        }
        assertThat(threads).hasSize(2).contains(Thread.currentThread());
    }

    /**
     * Runs jobs whose task holds a large array until a worker has helped with one, and returns a
     * weak reference to the array; the caller holds it no longer.
     */
    private static java.lang.ref.WeakReference<float[]> jobsHelpedByAWorker() {
        float[] big = new float[1 << 22];
        java.util.Set<Thread> threads = java.util.concurrent.ConcurrentHashMap.newKeySet();
        for (int attempt = 0; attempt < 50 && threads.size() < 2; attempt++) {
            Parallel.forRange(8, 1, (s, e) -> {
                threads.add(Thread.currentThread());
                big[s] = s;
                long t0 = System.nanoTime();
                while (threads.size() < 2 && System.nanoTime() - t0 < 20_000_000L) {
                    Thread.onSpinWait();
                }
            });
        }
        assertThat(threads).as("a worker helped").hasSize(2);
        return new java.lang.ref.WeakReference<>(big);
    }

    /** Before: an idle worker kept its last job, and so the job's arrays, until the next job (420 MB to 2 GB after a forward pass). */
    @Test
    void anIdleWorkerKeepsNothingOfItsLastJobReachable() throws Exception {
        Parallel.setThreads(2);
        java.lang.ref.WeakReference<float[]> ref = jobsHelpedByAWorker();
        for (int i = 0; i < 100 && ref.get() != null; i++) {
            System.gc();
            Thread.sleep(10);
        }
        assertThat(ref.get()).as("the last job's array, after the workers went idle").isNull();
    }

    @Test
    void nestedCallsRunAndCoverTheirRange() {
        Parallel.setThreads(2);
        int outer = 16, inner = 100;
        AtomicIntegerArray seen = new AtomicIntegerArray(outer * inner);
        Parallel.forRange(outer, 1, (s, e) -> {
            for (int i = s; i < e; i++) {
                int row = i;
                Parallel.forRange(inner, 7, (s2, e2) -> {
                    for (int j = s2; j < e2; j++) {
                        seen.incrementAndGet(row * inner + j);
                    }
                });
            }
        });
        for (int i = 0; i < seen.length(); i++) {
            assertThat(seen.get(i)).as("element %d", i).isEqualTo(1);
        }
    }

    @Test
    void concurrentCallersEachGetTheirWholeRange() throws Exception {
        Parallel.setThreads(2);
        int callers = 4, n = 5000;
        AtomicIntegerArray[] seen = new AtomicIntegerArray[callers];
        Throwable[] failure = new Throwable[1];
        CyclicBarrier barrier = new CyclicBarrier(callers);
        Thread[] ts = new Thread[callers];
        for (int c = 0; c < callers; c++) {
            int me = c;
            seen[c] = new AtomicIntegerArray(n);
            ts[c] = new Thread(() -> {
                try {
                    barrier.await();
                    for (int rep = 0; rep < 200; rep++) {
                        Parallel.forRange(n, 64, (s, e) -> {
                            for (int i = s; i < e; i++) {
                                seen[me].incrementAndGet(i);
                            }
                        });
                    }
                } catch (Throwable e) {
                    failure[0] = e;
                }
            });
            ts[c].start();
        }
        for (Thread t : ts) {
            t.join();
        }
        assertThat(failure[0]).isNull();
        for (int c = 0; c < callers; c++) {
            for (int i = 0; i < n; i++) {
                assertThat(seen[c].get(i)).as("caller %d index %d", c, i).isEqualTo(200);
            }
        }
    }

    @Test
    void anExceptionReachesTheCallerAndTheTeamStaysUsable() {
        Parallel.setThreads(2);
        IllegalStateException boom = new IllegalStateException("boom at 37");
        assertThatThrownBy(() -> Parallel.forRange(100, 1, (s, e) -> {
            if (s <= 37 && 37 < e) {
                throw boom;
            }
        })).isSameAs(boom);
        checkCover(0, 1000, 10);
    }

    @Test
    void anInterruptedCallerWaitsParkedForEveryRangeAndKeepsItsInterrupt() {
        Parallel.setThreads(2);
        Thread caller = Thread.currentThread();
        java.lang.management.ThreadMXBean mx = java.lang.management.ManagementFactory.getThreadMXBean();
        java.util.concurrent.atomic.AtomicBoolean workerStarted = new java.util.concurrent.atomic.AtomicBoolean();
        AtomicIntegerArray seen = new AtomicIntegerArray(2);
        caller.interrupt();
        long cpu0 = mx.getCurrentThreadCpuTime(), wall0 = System.nanoTime();
        try {
            Parallel.forRange(2, 1, (s, e) -> {
                long t0 = System.nanoTime();
                if (Thread.currentThread() != caller) {
                    workerStarted.set(true);
                    while (System.nanoTime() - t0 < 100_000_000L) {
                        Thread.onSpinWait(); // the worker's range takes 100 ms: the caller must wait for it
                    }
                } else {
                    while (!workerStarted.get() && System.nanoTime() - t0 < 1_000_000_000L) {
                        Thread.onSpinWait(); // make sure the worker took the other range
                    }
                }
                for (int i = s; i < e; i++) {
                    seen.incrementAndGet(i);
                }
            });
        } finally {
            assertThat(Thread.interrupted()).as("the caller's interrupt status survives the call").isTrue();
        }
        long cpu = mx.getCurrentThreadCpuTime() - cpu0, wall = System.nanoTime() - wall0;
        assertThat(seen.get(0)).isEqualTo(1);
        assertThat(seen.get(1)).isEqualTo(1);
        assertThat(workerStarted).isTrue();
        // parked, not spinning: an interrupt once made every park return at once
        assertThat(cpu).as("caller CPU %d ms over a %d ms wait", cpu / 1_000_000, wall / 1_000_000).isLessThan(wall / 2);
    }

    @Test
    void resultsDoNotDependOnTheThreadCount() {
        float[][] results = new float[3][];
        int[] counts = {1, 2, 4};
        for (int k = 0; k < counts.length; k++) {
            Parallel.setThreads(counts[k]);
            float[] out = new float[4099];
            Parallel.forRange(out.length, 5, (s, e) -> {
                for (int i = s; i < e; i++) {
                    float acc = 0f;
                    for (int j = 0; j <= i % 97; j++) {
                        acc += (float) Math.sin(i * 0.01 + j);
                    }
                    out[i] = acc;
                }
            });
            results[k] = out;
        }
        assertThat(results[1]).isEqualTo(results[0]);
        assertThat(results[2]).isEqualTo(results[0]);
    }

    @Test
    void badArgumentsAreRefused() {
        assertThatThrownBy(() -> Parallel.setThreads(0)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("0");
    }
}
