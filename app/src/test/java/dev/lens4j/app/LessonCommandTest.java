package dev.lens4j.app;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code lens4j lesson --out DIR}: the console lesson and the same lesson as an HTML page. */
class LessonCommandTest {

    @Test
    void outWritesTheLessonPageWithTheConsoleNumbers() throws Exception {
        Path dir = TestModels.newFolder("lesson").resolve("new-folder");
        CommandRun run = CommandRun.of("lesson", "--out", dir.toString());
        assertThat(run.status()).as(run.toString()).isZero();
        Path page = dir.resolve(LessonCommand.PAGE);
        assertThat(page).isRegularFile();
        assertThat(run.outLines()).first().isEqualTo("== 1. Data and baselines ==");
        assertThat(run.outLines()).last().isEqualTo("Written " + page.toAbsolutePath().normalize());
        assertThat(run.out()).contains("== 2. The direct path", "== 3. Skip-trigrams", "The same-layer bug", "== 4. Induction on english-2l");
        String html = Files.readString(page, StandardCharsets.UTF_8);
        assertThat(html).startsWith("<!DOCTYPE html>").endsWith("</html>\n")
                .contains("<section id=\"direct-path\"", "<section id=\"same-layer-bug\"", "<section id=\"induction\"");
        // the page and the console show the same measurement: the direct path's share and the repeated-passage losses
        String share = run.out().replaceAll("(?s).*the direct path's share (\\d+%).*", "$1");
        assertThat(html).contains("carries " + share + " of it");
        String losses = run.out().replaceAll("(?s).*(loss \\d\\.\\d{3} on the first copy, \\d\\.\\d{3} on the second).*", "$1");
        assertThat(losses).startsWith("loss ");
        assertThat(html).contains(losses);
        assertThat(dir).isDirectoryNotContaining("glob:**.tmp");
    }

    @Test
    void outThatIsAFileIsRefusedBeforeAnyWork() throws Exception {
        Path file = TestModels.newFolder("lesson-file").resolve("lesson.txt");
        Files.writeString(file, "not a folder");
        CommandRun run = CommandRun.of("lesson", "--out", file.toString());
        assertThat(run.status()).as(run.toString()).isEqualTo(1);
        assertThat(run.errLines()).singleElement().asString()
                .isEqualTo("lens4j: --out " + file + " is a file; give a folder for the lesson's page");
        assertThat(run.out()).isEmpty();
        assertThat(Files.readString(file)).isEqualTo("not a folder");
    }
}
