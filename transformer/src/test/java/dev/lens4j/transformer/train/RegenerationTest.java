package dev.lens4j.transformer.train;

import dev.lens4j.tensor.Parallel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The shipped {@code induction-2l} is regenerated bit for bit by its recipe, as its README promises:
 * {@code lens4j train --out DIR --threads 2} is {@link TrainingOptions#defaults()} with the
 * {@link WordTokenizer#induction()} vocabulary on two threads. This retrains the full 3,000 steps
 * (a minute and a half on two busy cores) and compares every file of the checkpoint with the shipped one.
 *
 * <p>{@link ShippedModelTest} checks the shipped file against the sha256 in the README; this checks
 * that the code still produces it, so any change to the bits of {@code Gemm}, the engine's components in
 * their {@link dev.lens4j.transformer.ForwardOptions#reproducible() reproducible} mode (forward and
 * backward), the reproducible scalar kernels, {@code AdamW}, the data or the initialisation fails here, and then either
 * the change is a mistake or the model must be regenerated (and the README's sha256 and numbers
 * updated) on purpose.
 */
class RegenerationTest {

    private static final String RESOURCE = "/dev/lens4j/transformer/models/induction-2l/";

    @Test
    void theShippedRecipeRetrainsTheShippedModelBitForBit(@TempDir Path dir) throws Exception {
        int saved = Parallel.threads();
        try {
            Parallel.setThreads(2); // the README's --threads 2 (the result does not depend on it)
            InductionTrainer trainer = new InductionTrainer(TrainingOptions.defaults());
            TrainingResult r = trainer.train(TrainingListener.NONE);
            assertThat(r.steps()).isEqualTo(3000);
            trainer.writeCheckpoint(dir);
        } finally {
            Parallel.setThreads(saved);
        }
        String[] files = {CheckpointWriter.WEIGHTS_FILE, CheckpointWriter.CONFIG_FILE, WordTokenizer.FILE_NAME,
                CheckpointWriter.TRAINING_FILE};
        for (String f : files) {
            byte[] shipped;
            try (InputStream in = RegenerationTest.class.getResourceAsStream(RESOURCE + f)) {
                assertThat(in).as("shipped %s on the class path", f).isNotNull();
                shipped = in.readAllBytes();
            }
            byte[] retrained = Files.readAllBytes(dir.resolve(f));
            assertThat(sha256(retrained)).as("sha256 of the retrained %s", f).isEqualTo(sha256(shipped));
        }
    }

    private static String sha256(byte[] b) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
    }
}
