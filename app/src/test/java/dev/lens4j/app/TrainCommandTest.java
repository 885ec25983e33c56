package dev.lens4j.app;

import dev.lens4j.transformer.train.TrainingProgress;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

class TrainCommandTest {

    @Test
    void trainWritesALoadableCheckpointAndReportsItsHash(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("ckpt");
        PrintStream stdout = System.out, stderr = System.err;
        ByteArrayOutputStream o = new ByteArrayOutputStream(), e = new ByteArrayOutputStream();
        int status;
        try {
            System.setOut(new PrintStream(o, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(e, true, StandardCharsets.UTF_8));
            status = Main.commandLine().execute("train", "--out", out.toString(), "--steps", "10", "--batch", "4", "--seed", "3");
        } finally {
            System.setOut(stdout);
            System.setErr(stderr);
        }
        String text = o.toString(StandardCharsets.UTF_8);
        assertThat(status).as(text + e.toString(StandardCharsets.UTF_8)).isZero();
        assertThat(text).contains("done: 10 steps").contains("model.safetensors sha256 ");
        // not a terminal: one progress line per tenth of the run
        assertThat(e.toString(StandardCharsets.UTF_8).lines().filter(l -> l.contains("steps/s"))).hasSizeBetween(10, 11);
        for (String f : new String[] {"config.json", "model.safetensors", "words.txt", "training.json"}) {
            assertThat(out.resolve(f)).exists();
        }
        String hash = text.replaceAll("(?s).*sha256 ([0-9a-f]{64}).*", "$1");
        assertThat(hash).isEqualTo(TrainCommand.sha256(out.resolve("model.safetensors")));
        assertThat(Files.readString(out.resolve("training.json"))).contains("\"seed\":3").contains("\"steps_done\":10");
    }

    @Test
    void progressLineShowsStepLossesSpeedAndTimeLeft() {
        TrainingProgress p = new TrainingProgress(250, 1000, 3.1, 0.8, 4.2, 0.75, 4.21, 0.4, 5.0, 50.0, 15.0);
        assertThat(ProgressBar.line(p)).isEqualTo("[######..................]   250/1000  repeated 0.750  other 4.210   50.0 steps/s  0:15 left");
        assertThat(ProgressBar.time(3725)).isEqualTo("1:02:05");
        assertThat(ProgressBar.time(Double.NaN)).isEqualTo("--:--");
    }
}
