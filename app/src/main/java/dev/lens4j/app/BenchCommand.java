package dev.lens4j.app;

import dev.lens4j.report.ConsoleTable;
import dev.lens4j.report.Plural;
import dev.lens4j.tensor.Parallel;
import dev.lens4j.tensor.Tensor;
import dev.lens4j.tensor.kernel.KernelProvider;
import dev.lens4j.transformer.HookedTransformer;
import dev.lens4j.transformer.TransformerConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;

/**
 * {@code lens4j bench}: a few seconds of timings to see whether this machine and JVM run lens4j at the
 * expected speed: square matrix products (GFLOP/s) and a forward pass of the model (tokens/s). Each
 * result is checked before it is timed. For numbers to quote, JMH ({@code tools/bench/run-jmh.sh}) runs
 * forks, warm-up and statistics.
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = {"Quick timings: matmul GFLOP/s and a forward pass of the model (a few seconds). "
                + "For benchmark numbers with forks, warm-up and error bars run tools/bench/run-jmh.sh."})
final class BenchCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    ModelOptions modelOptions;

    @Mixin
    ThreadsOption.ForBench threads;

    @Option(names = "--seconds", paramLabel = "S", defaultValue = "0.5",
            description = "time spent on each benchmark in each of two rounds, warm-up and measurement (default: ${DEFAULT-VALUE})")
    double seconds;

    @Option(names = "--sizes", paramLabel = "N,...", split = ",", defaultValue = "256,512,1024",
            description = "square matmul sizes (default: ${DEFAULT-VALUE})")
    int[] sizes;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        if (!(seconds > 0 && seconds <= 60)) {
            throw new ParameterException(spec.commandLine(), "--seconds must be more than 0 and at most 60, got " + seconds);
        }
        threads.validate();
        for (int n : sizes) {
            if (n < 1 || n > 8192) {
                throw new ParameterException(spec.commandLine(), "--sizes: " + n + " must be between 1 and 8192");
            }
        }
        try (ModelOptions.LoadedModel m = modelOptions.load()) { // first: a missing model fails before any output
            threads.run(() -> {
                time(m, out);
                return null;
            });
        }
        out.println();
        out.println("Quick timings from one JVM (best of the measured runs). For JMH numbers with forks, warm-up and "
                + "error bars: tools/bench/run-jmh.sh (results in docs/perf/).");
        out.flush();
        return 0;
    }

    /** Checks, times and prints the benchmarks on the model, with the thread count {@code --threads} set. */
    private void time(ModelOptions.LoadedModel m, PrintWriter out) {
        out.printf(Locale.ROOT, "JVM %s %s, %s, %s, kernels: %s%n%n", System.getProperty("java.vm.name"),
                Runtime.version(), Plural.of(Parallel.threads(), "thread"), Plural.of(Runtime.getRuntime().availableProcessors(), "core"),
                KernelProvider.vectorized() ? "Vector API (jdk.incubator.vector)"
                        : "scalar (run with --add-modules jdk.incubator.vector for SIMD)");
        out.flush();
        List<Benchmark> benchmarks = new ArrayList<>();
        for (int n : sizes) {
            Tensor a = Tensor.randn(1, n, n);
            Tensor b = Tensor.randn(2, n, n);
            checkMatmul(a, b, a.matmul(b));
            benchmarks.add(new Benchmark("matmul", n + " x " + n + " x " + n, 2.0 * n * n * n / 1e9, "GFLOP/s", () -> a.matmul(b)));
        }
        ConsoleTable t = new ConsoleTable(null).text("benchmark").text("shape").number("time", "ms", 3)
                .number("rate", null, 1).text("unit");
        HookedTransformer model = m.model();
        TransformerConfig cfg = model.config();
        int pos = Math.min(cfg.nCtx(), 128);
        int[][] tokens = new int[1][pos];
        SplittableRandom rng = new SplittableRandom(3);
        for (int i = 0; i < pos; i++) {
            tokens[0][i] = rng.nextInt(cfg.dVocab());
        }
        for (float v : model.forward(tokens).toArray()) {
            if (!Float.isFinite(v)) {
                throw new IllegalStateException(m.name() + ": the forward pass gave a non-finite logit; not timing it");
            }
        }
        String shape = "1 x " + Plural.of(pos, "token");
        benchmarks.add(new Benchmark(m.name() + " forward", shape, pos, "tokens/s", () -> model.forward(tokens)));
        benchmarks.add(new Benchmark(m.name() + " runWithCache (all hooks)", shape, pos, "tokens/s", () -> model.runWithCache(tokens)));
        // Round 1 only warms up: the JIT compiles the kernels while other benchmarks run too, which a
        // single warm-up per benchmark misses. Round 2 keeps each benchmark's best run.
        for (Benchmark bench : benchmarks) {
            best(bench.task());
        }
        for (Benchmark bench : benchmarks) {
            double ms = best(bench.task());
            t.row(bench.name(), bench.shape(), ms, bench.work() / (ms / 1e3), bench.unit());
        }
        out.print(t.render());
    }

    /**
     * One timed task.
     *
     * @param name what is timed
     * @param shape its size, for the table
     * @param work the work of one run in the rate's unit (GFLOP, or tokens)
     * @param unit the rate's unit
     * @param task one run
     */
    private record Benchmark(String name, String shape, double work, String unit, Runnable task) {}

    /** Runs a task repeatedly for {@link #seconds} (at least 3 times); returns the best time of one run, in ms. */
    private double best(Runnable task) {
        long end = System.nanoTime() + (long) (seconds * 1e9);
        long best = Long.MAX_VALUE;
        int runs = 0;
        while (runs < 3 || System.nanoTime() < end) {
            long t0 = System.nanoTime();
            task.run();
            best = Math.min(best, System.nanoTime() - t0);
            runs++;
        }
        return best / 1e6;
    }

    /** Checks a product against dot products in double precision at a few places, so that a broken kernel is not timed. */
    static void checkMatmul(Tensor a, Tensor b, Tensor c) {
        int n = a.dim(0), k = a.dim(1), m = b.dim(1);
        SplittableRandom rng = new SplittableRandom(7);
        for (int s = 0; s < 32; s++) {
            int i = s == 0 ? n - 1 : rng.nextInt(n);
            int j = s == 0 ? m - 1 : rng.nextInt(m);
            double dot = 0, scale = 0;
            for (int x = 0; x < k; x++) {
                double p = (double) a.get(i, x) * b.get(x, j);
                dot += p;
                scale += Math.abs(p);
            }
            double got = c.get(i, j);
            if (Math.abs(got - dot) > 1e-5 * scale + 1e-6) {
                throw new IllegalStateException(String.format(Locale.ROOT,
                        "matmul %d x %d x %d is wrong at [%d, %d]: %.6f, expected %.6f; not timing it", n, k, m, i, j, got, dot));
            }
        }
    }
}
