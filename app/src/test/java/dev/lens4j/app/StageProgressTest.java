package dev.lens4j.app;

import org.junit.jupiter.api.Test;

import java.io.PrintWriter;
import java.io.StringWriter;

import static org.assertj.core.api.Assertions.assertThat;

class StageProgressTest {

    @Test
    void lineShowsStageBarCountAndTime() {
        assertThat(StageProgress.line("ablating heads", 6, 12, 3.0))
                .isEqualTo("ablating heads           [############............]  6/12  0:03 left");
        assertThat(StageProgress.line("ablating heads", 12, 12, 6.04))
                .isEqualTo("ablating heads           [########################] 12/12  6.0 s");
        assertThat(StageProgress.line("weight analysis", 0, 3, 0)).endsWith("0/3  --:-- left");
    }

    @Test
    void offATerminalOneLinePerTenthOfAStage() {
        StringWriter s = new StringWriter();
        StageProgress p = new StageProgress(new PrintWriter(s, true), false);
        p.update("forward pass with cache", 0, 1);
        p.update("forward pass with cache", 1, 1);
        for (int i = 0; i <= 40; i++) {
            p.update("ablating heads", i, 40);
        }
        p.finishLine();
        assertThat(s.toString().lines().filter(l -> l.startsWith("forward pass"))).hasSize(1);
        assertThat(s.toString().lines().filter(l -> l.startsWith("ablating heads"))).hasSize(10);
    }

    @Test
    void onATerminalRedrawsInPlaceAndEndsTheLine() {
        StringWriter s = new StringWriter();
        StageProgress p = new StageProgress(new PrintWriter(s, true), true);
        p.update("ablating heads", 0, 2);
        p.update("ablating heads", 2, 2);
        String text = s.toString();
        // each redraw returns to the line's start and pads over a longer earlier text
        assertThat(text).startsWith("\rablating heads").containsPattern("\r[^\r]*2/2  0\\.0 s +\n$");
        assertThat(text.chars().filter(c -> c == '\n')).hasSize(1);
    }

    @Test
    void tokensAreQuotedWithVisibleWhitespace() {
        assertThat(TokenText.quoted(" apple")).isEqualTo("\" apple\"");
        assertThat(TokenText.quoted("a\n\t\"\\\u0001")).isEqualTo("\"a\\n\\t\\\"\\\\\\u0001\"");
    }
}
