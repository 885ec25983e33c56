package dev.lens4j.app;

import dev.lens4j.transformer.ParameterCount;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

class AttentionCommandTest {

    @Test
    void writesTheViewerWithOnlyTheChosenHeadsAndTheirPngs() throws Exception {
        Path out = TestModels.newFolder("attention");
        CommandRun run = CommandRun.of("attention", "--model", TestModels.induction().toString(),
                "--prompt", "moon river moon river", "--heads", "L1H2,L0H1", "--out", out.toString());
        assertThat(run.status()).as(run.toString()).isZero();
        try (Stream<Path> files = Files.list(out)) {
            assertThat(files.map(p -> p.getFileName().toString()))
                    .containsExactlyInAnyOrder(AttentionCommand.HTML, "pattern-L1H2.png", "pattern-L0H1.png");
        }
        String html = Files.readString(out.resolve(AttentionCommand.HTML));
        assertThat(html).contains("\" moon\"").contains("L1H2").contains("L0H1").doesNotContain("L0H0")
                .doesNotContain("id=\"loss-chart\"").doesNotContain("id=\"ablation-table\"");
        assertThat(run.out()).contains("2 heads on 5 tokens").contains("Open " + out.resolve(AttentionCommand.HTML).toAbsolutePath());
        // the page's model summary counts parameters as every command does: the checkpoint's count, the
        // shipped shape's (by hand in the transformer module's ParameterCountTest), whatever the processing
        assertThat(MainCommandTest.reportData(out.resolve(AttentionCommand.HTML)).model().parameters())
                .isEqualTo(new ParameterCount(44_992L, false));
    }

    @Test
    void everyHeadByDefault() throws Exception {
        Path out = TestModels.newFolder("attention-all");
        CommandRun run = CommandRun.of("attention", "--model", TestModels.induction().toString(), "--prompt", "moon", "--out", out.toString());
        assertThat(run.status()).as(run.toString()).isZero();
        try (Stream<Path> files = Files.list(out)) {
            assertThat(files.filter(p -> p.toString().endsWith(".png"))).hasSize(8);
        }
    }
}
