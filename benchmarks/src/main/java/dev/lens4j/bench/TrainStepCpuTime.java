package dev.lens4j.bench;

import dev.lens4j.tensor.Parallel;
import dev.lens4j.transformer.train.InductionTrainer;
import dev.lens4j.transformer.train.TrainingOptions;

import java.lang.management.ManagementFactory;
import java.util.Locale;

/**
 * CPU time and heap allocated per training step of {@link TrainStepBenchmark}'s recipe (the shipped
 * model's, {@link TrainingOptions#defaults()}) on one thread, measured on the calling thread: a figure
 * that a busy shared machine disturbs much less than JMH's wall-clock time (the process still competes
 * for caches and memory bandwidth). After 300 warm-up steps, {@code rounds} rounds of 60 steps; prints
 * one JSON line per round. Not a JMH benchmark.
 *
 * <pre>
 *   java --add-modules jdk.incubator.vector -XX:+UseParallelGC -cp benchmarks/target/benchmarks.jar \
 *       dev.lens4j.bench.TrainStepCpuTime 4
 * </pre>
 */
public final class TrainStepCpuTime {

    private TrainStepCpuTime() {}

    /**
     * Runs the measurement.
     *
     * @param args the number of rounds (default 4)
     */
    public static void main(String[] args) {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 4;
        int steps = 60;
        Parallel.setThreads(1);
        InductionTrainer trainer = new InductionTrainer(TrainingOptions.defaults().withSteps(1_000_000));
        for (int i = 0; i < 300; i++) {
            trainer.step();
        }
        com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        for (int r = 0; r < rounds; r++) {
            long cpu0 = mx.getCurrentThreadCpuTime(), bytes0 = mx.getCurrentThreadAllocatedBytes(), wall0 = System.nanoTime();
            for (int i = 0; i < steps; i++) {
                trainer.step();
            }
            double cpu = (mx.getCurrentThreadCpuTime() - cpu0) / 1e6 / steps;
            double wall = (System.nanoTime() - wall0) / 1e6 / steps;
            double mb = (mx.getCurrentThreadAllocatedBytes() - bytes0) / 1e6 / steps;
            System.out.println(String.format(Locale.ROOT,
                    "{\"bench\": \"train-step\", \"threads\": 1, \"cpu_ms_per_step\": %.2f, \"wall_ms_per_step\": %.2f,"
                            + " \"allocated_mb_per_step\": %.1f, \"loadavg_1m\": %.2f}",
                    cpu, wall, mb, ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage()));
        }
    }
}
