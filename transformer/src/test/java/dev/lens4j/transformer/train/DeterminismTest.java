package dev.lens4j.transformer.train;

import dev.lens4j.tensor.Parallel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** The same options give a checkpoint identical byte for byte, on any number of threads. */
class DeterminismTest {

    private static final String[] FILES = {CheckpointWriter.CONFIG_FILE, CheckpointWriter.WEIGHTS_FILE,
            WordTokenizer.FILE_NAME, CheckpointWriter.TRAINING_FILE};

    @Test
    void retrainingGivesIdenticalBytes(@TempDir Path dir) throws Exception {
        TrainingOptions o = TrainingOptions.defaults().withSteps(12).withBatchSize(8).withSeed(11);
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
    }

    private static void train(TrainingOptions o, Path out) throws Exception {
        InductionTrainer t = new InductionTrainer(o);
        TrainingResult r = t.train(TrainingListener.NONE);
        assertThat(r.steps()).isEqualTo(o.steps());
        assertThat(r.smoothedRepeatedLoss()).isFinite();
        t.writeCheckpoint(out);
    }
}
