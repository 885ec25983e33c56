package dev.lens4j.bench;

import dev.lens4j.tensor.Parallel;
import dev.lens4j.transformer.ForwardOptions;
import dev.lens4j.transformer.HookedTransformer;
import dev.lens4j.transformer.LogitMetric;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;

/**
 * CPU time on one thread of {@link BackwardBenchmark}'s three passes (forward; forward and backward to
 * every activation's gradient; the same with every weight's gradient), default and reproducible, on the
 * GPT-2-small-shaped random model: a figure that a busy shared machine disturbs much less than wall-clock
 * time (the process still competes for caches and memory bandwidth). {@code tools/bench/torch_backward.py
 * --clock cpu --threads 1} measures PyTorch autograd the same way ({@code time.thread_time()}, one intra-op
 * thread). A plain main that prints one JSON line per shape, mode and pass.
 *
 * <pre>
 *   java --add-modules jdk.incubator.vector -cp benchmarks/target/benchmarks.jar \
 *       dev.lens4j.bench.BackwardCpuTime 5 1x128 8x128
 * </pre>
 */
public final class BackwardCpuTime {

    private BackwardCpuTime() {}

    /**
     * Runs the measurement.
     *
     * @param args the number of timed runs, then shapes {@code batch x pos}
     */
    public static void main(String[] args) {
        Parallel.setThreads(1);
        int runs = args.length > 0 ? Integer.parseInt(args[0]) : 5;
        List<String> shapes = args.length > 1 ? List.of(args).subList(1, args.length) : List.of("1x128", "8x128");
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        try (HookedTransformer model = ForwardModels.gpt2Small(1)) {
            for (String shape : shapes) {
                String[] bt = shape.split("x");
                int[][] tokens = ForwardModels.tokens(2, Integer.parseInt(bt[0]), Integer.parseInt(bt[1]), model.config().dVocab());
                LogitMetric loss = LogitMetric.meanLoss(tokens);
                for (boolean reproducible : new boolean[] {false, true}) {
                    for (String pass : new String[] {"forward", "forwardBackward", "forwardBackwardWeights"}) {
                        ForwardOptions.Builder o = ForwardOptions.builder().reproducible(reproducible);
                        if (!pass.equals("forward")) {
                            o.backward(loss).weightGradients(pass.equals("forwardBackwardWeights"));
                        }
                        ForwardOptions options = o.build();
                        List<Double> ms = new ArrayList<>();
                        for (int r = 0; r < runs + 2; r++) { // two warm-up passes
                            long t0 = mx.getCurrentThreadCpuTime();
                            model.run(tokens, options);
                            double t = (mx.getCurrentThreadCpuTime() - t0) / 1e6;
                            if (r >= 2) {
                                ms.add(t);
                            }
                        }
                        Collections.sort(ms);
                        System.out.println(String.format(Locale.ROOT,
                                "{\"bench\": \"%s\", \"shape\": \"%s\", \"reproducible\": %b, \"threads\": 1, \"cpu_ms_min\": %.1f,"
                                        + " \"cpu_ms_median\": %.1f, \"loadavg_1m\": %.2f}",
                                pass, shape, reproducible, ms.get(0), ms.get(ms.size() / 2),
                                ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage()));
                    }
                }
            }
        }
    }
}
