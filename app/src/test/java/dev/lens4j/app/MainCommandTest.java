package dev.lens4j.app;

import dev.lens4j.report.CompositionScores;
import dev.lens4j.report.ReportWriter;
import dev.lens4j.transformer.loading.Models;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIf;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/** The default command: the whole investigation, printed and written as a report. */
class MainCommandTest {

    private static final byte[] PNG_MAGIC = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};

    @Test
    void investigationPrintsTheConsoleReportAndWritesTheHtmlAndPngs() throws Exception {
        Path out = TestModels.newFolder("report").resolve("r");
        CommandRun run = CommandRun.of("--model", TestModels.induction().toString(), "--out", out.toString(),
                "--batch", "4", "--block", "10", "--seed", "7");
        assertThat(run.status()).as(run.toString()).isZero();

        String text = run.out();
        assertThat(text).contains("on 4 sequences of BOS + 10 random tokens + the same 10 again, seed 7");
        // the console report's sections, in order
        assertThat(text).containsSubsequence("Model", "Loss by position", "Previous-token scores", "Induction scores",
                "Direct logit attribution", "Head ablation", "OV copying scores", "Composition scores", "Claims");
        // every claim with a verdict, grouped by evidence tier
        assertThat(text).containsSubsequence("clue (attention patterns)", "activation-level evidence", "weight-level evidence");
        assertThat(text.lines().filter(l -> l.matches("\\s+\\[(supported|not supported|inconclusive)]\\s+.*"))).hasSizeGreaterThanOrEqualTo(5);

        // the files, listed after the report
        List<String> expected = Stream.concat(Stream.of(ReportWriter.HTML, ReportWriter.LOSS_PNG, ReportWriter.DLA_PNG),
                Stream.of(CompositionScores.Mode.values()).map(ReportWriter::compositionPng)).toList();
        for (String f : expected) {
            assertThat(out.resolve(f)).isNotEmptyFile();
            assertThat(text).containsPattern("(?m)^" + java.util.regex.Pattern.quote(f) + "\\s+\\d+\\.\\d$");
        }
        try (Stream<Path> files = Files.list(out)) {
            List<Path> patterns = files.filter(p -> p.getFileName().toString().matches("pattern-L\\dH\\d\\.png")).toList();
            assertThat(patterns).isNotEmpty();
            for (Path png : Stream.concat(patterns.stream(), Stream.of(out.resolve(ReportWriter.LOSS_PNG))).toList()) {
                byte[] head = new byte[PNG_MAGIC.length];
                System.arraycopy(Files.readAllBytes(png), 0, head, 0, head.length);
                assertThat(head).as(png.toString()).isEqualTo(PNG_MAGIC);
            }
        }
        assertThat(Files.readString(out.resolve(ReportWriter.HTML))).startsWith("<!DOCTYPE html>").doesNotContain("http://", "https://cdn");
        assertThat(text).contains("Report written to " + out.toAbsolutePath().normalize())
                .contains("Open " + out.resolve(ReportWriter.HTML).toAbsolutePath().normalize() + " in a browser");
        // progress of the ablations on stderr, one line per tenth when not on a terminal
        assertThat(run.errLines()).anyMatch(l -> l.startsWith("ablating heads") && l.contains("8/8"));
        assertThat(run.err()).doesNotContain("Exception");
    }

    @Test
    void promptReplacesTheRandomSequenceInTheViewer() throws Exception {
        Path out = TestModels.newFolder("prompt");
        CommandRun run = CommandRun.of("--model", TestModels.induction().toString(), "--out", out.toString(),
                "--batch", "2", "--block", "5", "--prompt", "moon river moon river");
        assertThat(run.status()).as(run.toString()).isZero();
        String html = Files.readString(out.resolve(ReportWriter.HTML));
        assertThat(html).contains("\" moon\"").contains("\" river\"");
    }

    static boolean builtInModelShipped() {
        return Models.class.getClassLoader().getResource(Models.RESOURCE_ROOT + ModelOptions.BUILT_IN + "/config.json") != null;
    }

    /** The README's first command: no arguments but the output folder, on the shipped model. Runs once. */
    @Test
    @EnabledIf("builtInModelShipped")
    void shippedModelShowsTheInductionCircuit() throws Exception {
        Path out = TestModels.newFolder("shipped");
        CommandRun run = CommandRun.of("--out", out.toString());
        assertThat(run.status()).as(run.toString()).isZero();
        assertThat(run.out()).contains("Induction circuit in induction-2l")
                .containsPattern("\\[supported]\\s+Loss collapses on the repeated half")
                .containsPattern("\\[supported]\\s+L\\dH\\d[^\n]* induction heads?\n");
        assertThat(out.resolve(ReportWriter.HTML)).isNotEmptyFile();
    }
}
