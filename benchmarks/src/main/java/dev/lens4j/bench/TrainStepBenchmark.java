package dev.lens4j.bench;

import dev.lens4j.tensor.Parallel;
import dev.lens4j.transformer.train.InductionTrainer;
import dev.lens4j.transformer.train.TrainingOptions;
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
import org.openjdk.jmh.annotations.Warmup;

import java.util.concurrent.TimeUnit;

/**
 * One training step of the shipped induction model's recipe ({@link TrainingOptions#defaults()}: 2
 * attention-only layers with LayerNorm, 4 heads, d_model 64, batch 32 x 48 tokens): draw a batch,
 * forward, backward, gradient clipping, AdamW. About 0.5 GFLOP per step, most of it in the QKV, W_O and
 * unembedding products and the attention of 128 (batch, head) pairs.
 *
 * <p>Set-up takes a few steps and checks that the loss is finite and near {@code ln 64} (an untrained
 * model) before anything is timed.
 *
 * <pre>
 *   tools/bench/run-jmh.sh TrainStepBenchmark -rf json -rff train-step.json
 * </pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 3)
@Measurement(iterations = 5, time = 3)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
public class TrainStepBenchmark {

    /** Threads of lens4j's pool. */
    @Param({"1", "2"})
    public int threads;

    private InductionTrainer trainer;

    /** Builds the trainer and checks its first steps. */
    @Setup(Level.Trial)
    public void setUp() {
        Parallel.setThreads(threads);
        trainer = new InductionTrainer(TrainingOptions.defaults().withSteps(1_000_000));
        for (int i = 0; i < 3; i++) {
            double loss = trainer.step().loss();
            if (!Double.isFinite(loss) || Math.abs(loss - Math.log(64)) > 1.0) {
                throw new IllegalStateException("step " + (i + 1) + ": loss " + loss + " is not near ln 64 = " + Math.log(64));
            }
        }
    }

    /** @return the step's loss, so that the step cannot be optimised away */
    @Benchmark
    public double step() {
        return trainer.step().loss();
    }
}
