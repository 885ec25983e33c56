package dev.lens4j.bench;

import dev.lens4j.tensor.Parallel;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The machine's memory bandwidth as STREAM's triad measures it, {@code a[i] = b[i] + s c[i]} over
 * three arrays far larger than the caches (3 x 128 MB), split between lens4j's threads: the bound a
 * memory-bound product such as {@link GemvBenchmark} is measured against. The secondary metric
 * {@code gbps} counts STREAM's 12 bytes per element (two reads, one write; the write-allocate read
 * of {@code a} is not counted, as in STREAM).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-Xmx3g"})
public class MemoryBandwidthBenchmark {

    /** Threads of lens4j's pool. */
    @Param({"1", "2"})
    public int threads;

    private Triad triad;
    private Reader reader;
    private int savedThreads;

    /** Allocates and touches the arrays and sets the thread count. */
    @Setup(Level.Trial)
    public void setUp() {
        savedThreads = Parallel.threads();
        Parallel.setThreads(threads);
        triad = new Triad(32 << 20);
        reader = new Reader(96 << 20);
    }

    /** Restores the thread count. */
    @TearDown(Level.Trial)
    public void tearDown() {
        Parallel.setThreads(savedThreads);
    }

    /** One pass of the triad. */
    @Benchmark
    public float[] triad(Bytes bytes) {
        triad.run();
        bytes.gbps += triad.bytes() * 1e-9;
        return triad.a;
    }

    /**
     * A read-only stream: the sum of a 384 MB float array, each thread reading four streams at once into
     * four vector accumulators (so neither the adds' latency nor a single stream's prefetching limits it). What a decoding step does to
     * its weights, which it reads and never writes: the bound its tokens per second are measured against.
     */
    @Benchmark
    public float read(Bytes bytes) {
        float s = reader.run();
        bytes.gbps += reader.bytes() * 1e-9;
        return s;
    }

    /** Counts GB moved; JMH divides by time, so the secondary metric {@code gbps} reads as GB/s. */
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    @State(Scope.Thread)
    public static class Bytes {
        /** GB moved so far in this iteration. */
        public double gbps;

        /** Starts every iteration from zero. */
        @Setup(Level.Iteration)
        public void reset() {
            gbps = 0;
        }
    }

    /** A read-only pass over one float array, in chunks split between lens4j's threads. */
    static final class Reader {
        private static final jdk.incubator.vector.VectorSpecies<Float> S = jdk.incubator.vector.FloatVector.SPECIES_PREFERRED;
        final float[] a;

        Reader(int n) {
            a = new float[n];
            Arrays.fill(a, 1f);
        }

        /** @return the bytes one pass reads: 4 per element */
        long bytes() {
            return 4L * a.length;
        }

        float run() {
            int chunk = 1 << 18;
            int chunks = a.length / chunk;
            float[] sums = new float[chunks];
            Parallel.forRange(chunks, Math.max(1, chunks / Parallel.threads()), (s, e) -> {
                for (int c = s; c < e; c++) {
                    sums[c] = sum(a, c * chunk, chunk);
                }
            });
            float total = 0;
            for (float v : sums) {
                total += v;
            }
            return total;
        }

        /**
         * The sum of {@code a[off, off + len)}, {@code len} a multiple of 4 vectors, read as four streams
         * at once (its quarters, one vector of each per step): one core reads one sequential stream at
         * about 11 GB/s here and four at about 16, as a decoding step reading four weight panels at once.
         */
        private static float sum(float[] a, int off, int len) {
            int l = S.length();
            int q = len / 4;
            var s0 = jdk.incubator.vector.FloatVector.zero(S);
            var s1 = s0;
            var s2 = s0;
            var s3 = s0;
            for (int i = off, end = off + q; i < end; i += l) {
                s0 = s0.add(jdk.incubator.vector.FloatVector.fromArray(S, a, i));
                s1 = s1.add(jdk.incubator.vector.FloatVector.fromArray(S, a, i + q));
                s2 = s2.add(jdk.incubator.vector.FloatVector.fromArray(S, a, i + 2 * q));
                s3 = s3.add(jdk.incubator.vector.FloatVector.fromArray(S, a, i + 3 * q));
            }
            return s0.add(s1).add(s2).add(s3).reduceLanes(jdk.incubator.vector.VectorOperators.ADD);
        }
    }

    /** STREAM's triad on three float arrays, in chunks split between lens4j's threads. */
    static final class Triad {
        final float[] a;
        final float[] b;
        final float[] c;

        Triad(int n) {
            a = new float[n];
            b = new float[n];
            c = new float[n];
            Arrays.fill(b, 1f);
            Arrays.fill(c, 2f);
        }

        /** @return the bytes one pass counts: 12 per element */
        long bytes() {
            return 12L * a.length;
        }

        void run() {
            int chunk = 1 << 16;
            int chunks = (a.length + chunk - 1) / chunk;
            Parallel.forRange(chunks, Math.max(1, chunks / Parallel.threads()), (s, e) -> {
                for (int i = s * chunk, end = Math.min(a.length, e * chunk); i < end; i++) {
                    a[i] = b[i] + 3f * c[i];
                }
            });
        }
    }
}
