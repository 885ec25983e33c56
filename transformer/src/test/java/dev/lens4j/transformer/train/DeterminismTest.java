package dev.lens4j.transformer.train;

import dev.lens4j.tensor.Parallel;
import dev.lens4j.tensor.kernel.KernelProvider;
import dev.lens4j.tensor.matmul.Gemm;
import dev.lens4j.transformer.HookedTransformer;
import dev.lens4j.transformer.loading.Models;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The same options give a checkpoint identical byte for byte, on any number of threads, with either
 * GEMM kernel (Vector API or scalar) and with any vector width, for each architecture the trainer
 * supports.
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
    static final List<String> CASES = List.of("default", "mlp", "no-layernorm", "llama");

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
            // with an MLP (gelu_new through the reproducible kernels' StrictMath.tanh); [384, 64] x [64, 256] products split over threads
            case "mlp" -> base.withArchitecture(2, 4, 64, 16, 256, 48, "LN").withSteps(6).withBatchSize(16);
            // no normalisation anywhere
            case "no-layernorm" -> base.withArchitecture(2, 4, 64, 16, 0, 48, "none").withSteps(12).withBatchSize(8);
            // Llama style: RMSNorm, rotary positions (StrictMath sin and cos), a gated SiLU MLP (StrictMath.exp)
            case "llama" -> base.withStyle(TrainingOptions.LLAMA).withArchitecture(2, 4, 64, 16, 128, 48, "RMS").withSteps(8)
                    .withBatchSize(8);
            default -> throw new IllegalArgumentException("unknown case " + name);
        };
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"default", "mlp", "no-layernorm", "llama"})
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
            assertThat(hooks.contains("blocks.0.ln1.hook_scale")).as("normalization hooks in %s", name)
                    .isEqualTo(!o.normalization().equals("none"));
            assertThat(hooks.contains("blocks.0.attn.hook_rot_q")).as("rotary hooks in %s", name)
                    .isEqualTo(o.style().equals(TrainingOptions.LLAMA));
        }
    }

    /**
     * The same runs in a fresh JVM with other kernels write the same bytes: with
     * {@code -Dlens4j.kernels=scalar} (the scalar GEMM micro-kernel instead of the Vector API one this
     * JVM uses), and with {@code -XX:MaxVectorSize=16} (Vector API kernels of 4 lanes, as on a CPU
     * with only 128-bit vectors, where this JVM has 8 on AVX2 or 16 on AVX-512). Every product is one
     * fused multiply-add chain per element in each GEMM kernel, and the trainer's passes are
     * {@link dev.lens4j.transformer.ForwardOptions#reproducible() reproducible} ones, whose other sums
     * and functions do not use the vector kernels.
     *
     * @param flag the child JVM's option
     * @param kernel what the child's GEMM kernel name must contain
     * @param dir scratch
     * @throws Exception if the child cannot run
     */
    @ParameterizedTest(name = "{0}")
    @CsvSource({"-Dlens4j.kernels=scalar, scalar", "-XX:MaxVectorSize=16, (4 lanes)"})
    void otherKernelsGiveIdenticalBytes(String flag, String kernel, @TempDir Path dir) throws Exception {
        assertThat(KernelProvider.vectorized()).as("this test compares against the Vector API kernels; "
                + "run the tests with --add-modules jdk.incubator.vector (the build's test flags do)").isTrue();
        assertThat(Gemm.kernelName()).as("this JVM's GEMM kernel").startsWith("panama").doesNotContain("(4 lanes)");
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("--add-modules");
        cmd.add("jdk.incubator.vector");
        cmd.add(flag);
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(TrainInFreshJvm.class.getName());
        cmd.add(dir.resolve("child").toString());
        Path log = dir.resolve("child.log");
        Process child = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        boolean done = child.waitFor(10, TimeUnit.MINUTES);
        if (!done) {
            child.destroyForcibly();
        }
        String out = Files.readString(log, StandardCharsets.UTF_8);
        assertThat(done).as("child JVM finished; output:%n%s", out).isTrue();
        assertThat(child.exitValue()).as("child JVM exit code; output:%n%s", out).isZero();
        assertThat(out).as("the child's GEMM kernel").contains("gemm kernel: ").contains(kernel);
        for (String name : CASES) {
            train(options(name), dir.resolve("this").resolve(name));
            for (String f : FILES) {
                assertThat(Files.readAllBytes(dir.resolve("child").resolve(name).resolve(f)))
                        .as("%s, %s: %s against %s", name, f, flag, Gemm.kernelName())
                        .isEqualTo(Files.readAllBytes(dir.resolve("this").resolve(name).resolve(f)));
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
