package dev.lens4j.bench;

import dev.lens4j.tensor.Parallel;
import dev.lens4j.transformer.HookedTransformer;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;

/**
 * CPU time of one forward pass on one thread, a figure that a busy shared machine disturbs much
 * less than wall-clock time (the process still competes for caches and memory bandwidth). Not a JMH
 * benchmark: a plain main that prints one JSON line per shape and mode. PyTorch has no counterpart:
 * {@code tools/bench/torch_forward.py} times wall-clock ({@code time.perf_counter()}), so the ratio
 * to PyTorch comes from the wall-clock runs (see docs/perf/forward.md); this figure shows how much of
 * a wall-clock time the machine's load added.
 *
 * <pre>
 *   java --add-modules jdk.incubator.vector -cp benchmarks/target/benchmarks.jar \
 *       dev.lens4j.bench.ForwardCpuTime 5 1x128 8x128 1x1024
 * </pre>
 */
public final class ForwardCpuTime {

    private ForwardCpuTime() {}

    /**
     * Runs the measurement.
     *
     * @param args the number of timed runs, then shapes {@code batch x pos}
     */
    public static void main(String[] args) {
        Parallel.setThreads(1);
        int runs = args.length > 0 ? Integer.parseInt(args[0]) : 5;
        List<String> shapes = args.length > 1 ? List.of(args).subList(1, args.length) : List.of("1x128", "8x128", "1x1024");
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        try (HookedTransformer model = ForwardModels.gpt2Small(1)) {
            for (String shape : shapes) {
                String[] bt = shape.split("x");
                int[][] tokens = ForwardModels.tokens(2, Integer.parseInt(bt[0]), Integer.parseInt(bt[1]), model.config().dVocab());
                for (String mode : new String[] {"forward", "cache"}) {
                    List<Double> ms = new ArrayList<>();
                    for (int r = 0; r < runs + 2; r++) { // two warm-up passes
                        long t0 = mx.getCurrentThreadCpuTime();
                        if (mode.equals("forward")) {
                            model.forward(tokens);
                        } else {
                            model.runWithCache(tokens);
                        }
                        double t = (mx.getCurrentThreadCpuTime() - t0) / 1e6;
                        if (r >= 2) {
                            ms.add(t);
                        }
                    }
                    Collections.sort(ms);
                    System.out.println(String.format(Locale.ROOT,
                            "{\"bench\": \"%s\", \"shape\": \"%s\", \"threads\": 1, \"cpu_ms_min\": %.1f, \"cpu_ms_median\": %.1f, \"loadavg_1m\": %.2f}",
                            mode, shape, ms.get(0), ms.get(ms.size() / 2), ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage()));
                }
            }
        }
    }
}
