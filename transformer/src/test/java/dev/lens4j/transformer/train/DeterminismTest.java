package dev.lens4j.transformer.train;

import dev.lens4j.tensor.Parallel;
import dev.lens4j.tensor.kernel.KernelProvider;
import dev.lens4j.tensor.matmul.Gemm;
import dev.lens4j.transformer.HookedTransformer;
import dev.lens4j.transformer.loading.Models;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The same options give a checkpoint identical byte for byte, on any number of threads and with
 * either GEMM kernel (Vector API or scalar), for each architecture the trainer supports.
 *
 * <p>On two threads the trainer computes its two batch shares in parallel, so a run on one thread
 * and a run on two differ in which thread computes what and in the order the work finishes. The MLP
 * case is sized so that its products are above {@link Gemm}'s threshold for splitting a product by
 * the thread count: there the blocking of the products differs too (Gemm partitions them in two,
 * even where {@code Parallel} then runs the parts on the share's own thread).
 */
class DeterminismTest {

    private static final String[] FILES = {CheckpointWriter.CONFIG_FILE, CheckpointWriter.WEIGHTS_FILE,
            WordTokenizer.FILE_NAME, CheckpointWriter.TRAINING_FILE};

    /** The architectures checked, by name; also read by {@link TrainInFreshJvm}. */
    static final List<String> CASES = List.of("default", "mlp", "no-layernorm");

    /**
     * Short runs of each architecture.
     *
     * @param name one of {@link #CASES}
     * @return the options
     */
    static TrainingOptions options(String name) {
        TrainingOptions base = TrainingOptions.defaults().withSeed(11);
        return switch (name) {
            // the shipped architecture: 2 attention-only layers with LayerNorm
            case "default" -> base.withSteps(12).withBatchSize(8);
            // with an MLP (gelu_new through ReproducibleMath.tanh); [384, 64] x [64, 256] products split over threads
            case "mlp" -> base.withArchitecture(2, 4, 64, 16, 256, 48, "LN").withSteps(6).withBatchSize(16);
            // no normalisation anywhere
            case "no-layernorm" -> base.withArchitecture(2, 4, 64, 16, 0, 48, "none").withSteps(12).withBatchSize(8);
            default -> throw new IllegalArgumentException("unknown case " + name);
        };
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"default", "mlp", "no-layernorm"})
    void retrainingGivesIdenticalBytesOnOneAndTwoThreads(String name, @TempDir Path dir) throws Exception {
        TrainingOptions o = options(name);
        int saved = Parallel.threads();
        try {
            Parallel.setThreads(2);
            train(o, dir.resolve("a"));
            train(o, dir.resolve("b"));
            Parallel.setThreads(1);
            train(o, dir.resolve("c"));
        } finally {
            Parallel.setThreads(saved);
        }
        train(o.withSeed(12), dir.resolve("d"));
        for (String f : FILES) {
            byte[] a = Files.readAllBytes(dir.resolve("a").resolve(f));
            assertThat(Files.readAllBytes(dir.resolve("b").resolve(f))).as("second run, %s", f).isEqualTo(a);
            assertThat(Files.readAllBytes(dir.resolve("c").resolve(f))).as("one thread, %s", f).isEqualTo(a);
        }
        assertThat(Files.readAllBytes(dir.resolve("d").resolve(CheckpointWriter.WEIGHTS_FILE)))
                .as("another seed gives other weights")
                .isNotEqualTo(Files.readAllBytes(dir.resolve("a").resolve(CheckpointWriter.WEIGHTS_FILE)));
        // the checkpoint has the architecture asked for, so the run above went through its passes
        try (HookedTransformer m = Models.fromPretrainedNoProcessing(dir.resolve("a"))) {
            List<String> hooks = m.hookPointNames();
            assertThat(hooks.contains("blocks.0.mlp.hook_post")).as("MLP hooks in %s", name).isEqualTo(o.dMlp() > 0);
            assertThat(hooks.contains("blocks.0.ln1.hook_scale")).as("LayerNorm hooks in %s", name)
                    .isEqualTo(o.normalization().equals("LN"));
        }
    }

    /**
     * The same runs in a fresh JVM with {@code -Dlens4j.kernels=scalar} (the scalar GEMM micro-kernel
     * instead of the Vector API one this JVM uses) write the same bytes: every product is one
     * fused multiply-add chain per element in both kernels.
     */
    @Test
    void theScalarKernelsGiveIdenticalBytes(@TempDir Path dir) throws Exception {
        assertThat(KernelProvider.vectorized()).as("this test compares against the Vector API kernels; "
                + "run the tests with --add-modules jdk.incubator.vector (the build's test flags do)").isTrue();
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("--add-modules");
        cmd.add("jdk.incubator.vector");
        cmd.add("-Dlens4j.kernels=scalar");
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(TrainInFreshJvm.class.getName());
        cmd.add(dir.resolve("scalar").toString());
        Path log = dir.resolve("child.log");
        Process child = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        boolean done = child.waitFor(10, TimeUnit.MINUTES);
        if (!done) {
            child.destroyForcibly();
        }
        String out = Files.readString(log, StandardCharsets.UTF_8);
        assertThat(done).as("child JVM finished; output:%n%s", out).isTrue();
        assertThat(child.exitValue()).as("child JVM exit code; output:%n%s", out).isZero();
        assertThat(out).as("the child used the scalar GEMM kernel").contains("gemm kernel: scalar");
        assertThat(Gemm.kernelName()).as("this JVM's GEMM kernel").startsWith("panama");
        for (String name : CASES) {
            train(options(name), dir.resolve("simd").resolve(name));
            for (String f : FILES) {
                assertThat(Files.readAllBytes(dir.resolve("scalar").resolve(name).resolve(f)))
                        .as("%s, %s: scalar kernels against %s", name, f, Gemm.kernelName())
                        .isEqualTo(Files.readAllBytes(dir.resolve("simd").resolve(name).resolve(f)));
            }
        }
    }

    static void train(TrainingOptions o, Path out) throws Exception {
        InductionTrainer t = new InductionTrainer(o);
        TrainingResult r = t.train(TrainingListener.NONE);
        assertThat(r.steps()).isEqualTo(o.steps());
        assertThat(r.smoothedRepeatedLoss()).isFinite();
        t.writeCheckpoint(out);
    }
}
