package dev.lens4j.transformer.train;

import dev.lens4j.tensor.Tensor;
import dev.lens4j.transformer.HookedTransformer;
import dev.lens4j.transformer.loading.LensCheckpoint;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A checkpoint write stopped at any moment (Ctrl-C, SIGTERM, SIGKILL) leaves a folder that loads as
 * one whole checkpoint: a child JVM rewrites the folder in a loop with two models of different
 * shapes, and is stopped at random moments.
 */
class CheckpointInterruptTest {

    /** Two models whose files cannot be mixed: a config of one beside the weights of the other does not load. */
    static InductionTrainer model(int which) {
        TrainingOptions o = TrainingOptions.defaults().withSeed(which)
                .withArchitecture(which, 4, 256, 64, 0, 48, "LN");
        return new InductionTrainer(o);
    }

    /** The child: writes model 1, model 2, model 1, ... into {@code args[0]} until stopped, saying after each commit. */
    public static void main(String[] args) throws Exception {
        Path out = Path.of(args[0]);
        InductionTrainer[] models = {model(1), model(2)};
        for (int i = 0; ; i++) {
            models[i % 2].writeCheckpoint(out);
            System.out.println("committed " + i);
            System.out.flush();
        }
    }

    /**
     * Whether this process ignores SIGINT, as a build started in the background by a non-interactive shell
     * does ({@code mvn verify &} in a script): its children inherit that, so a SIGINT cannot stop them, and the
     * JVM leaves the signal ignored. Linux's {@code /proc/self/status} says (bit 1 of {@code SigIgn});
     * elsewhere it is taken as not ignored.
     */
    static boolean sigintIgnored() {
        try {
            for (String l : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (l.startsWith("SigIgn:")) {
                    return (Long.parseLong(l.substring("SigIgn:".length()).trim(), 16) & 2L) != 0;
                }
            }
        } catch (java.io.IOException | RuntimeException e) {
            return false;
        }
        return false;
    }

    @Test
    void aWriteStoppedAtAnyMomentLeavesOneWholeCheckpoint(@TempDir Path root) throws Exception {
        Map<Integer, Map<String, Tensor>> expected = Map.of(1, model(1).weights().stateDict(), 2, model(2).weights().stateDict());
        Random random = new Random(11);
        String java = ProcessHandle.current().info().command().orElse("java");
        String[] signals = {"INT", "TERM", "KILL"};
        for (int round = 0; round < 6; round++) {
            Path out = root.resolve("round" + round).resolve("ckpt");
            Process child = new ProcessBuilder(java, "-Xmx256m", "-cp", System.getProperty("java.class.path"),
                    CheckpointInterruptTest.class.getName(), out.toString())
                    .redirectError(ProcessBuilder.Redirect.DISCARD).start();
            BufferedReader lines = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
            String line;
            do {
                line = lines.readLine();
                assertThat(line).as("the child's first commit").isNotNull();
            } while (!line.equals("committed 1"));
            Thread.sleep(random.nextInt(5, 150));
            String signal = signals[round % signals.length];
            if (signal.equals("INT") && sigintIgnored()) {
                signal = "TERM";   // the child inherited SIGINT ignored, as this JVM did: no Ctrl-C can reach it
            }
            if (signal.equals("KILL")) {
                child.destroyForcibly();
            } else {
                new ProcessBuilder("kill", "-" + signal, Long.toString(child.pid())).start().waitFor();
            }
            // a liveness bound, generous because a loaded 2-core machine took over 30 s to run the shutdown hooks
            assertThat(child.waitFor(120, TimeUnit.SECONDS)).as("child stopped by SIG" + signal).isTrue();

            try (Stream<Path> s = Files.list(out)) {
                assertThat(s.map(p -> p.getFileName().toString()).sorted().toList()).as("round %d, SIG%s", round, signal)
                        .containsExactly("config.json", "model.safetensors", "training.json", "words.txt");
            }
            try (HookedTransformer m = LensCheckpoint.load(out)) {
                int which = m.config().nLayers();
                assertThat(Files.readString(out.resolve("training.json"))).contains("\"seed\":" + which + ",");
                Map<String, Tensor> stored = m.weights().stateDict();
                for (Map.Entry<String, Tensor> e : expected.get(which).entrySet()) {
                    assertThat(stored.get(e.getKey()).maxAbsDiff(e.getValue())).as(e.getKey()).isZero();
                }
            }
            if (!signal.equals("KILL")) {
                List<String> beside = new ArrayList<>();
                try (Stream<Path> s = Files.list(out.getParent())) {
                    s.forEach(p -> beside.add(p.getFileName().toString()));
                }
                assertThat(beside).as("after SIG%s the shutdown deletes the staged folder", signal).containsExactly("ckpt");
            }
        }
    }
}
