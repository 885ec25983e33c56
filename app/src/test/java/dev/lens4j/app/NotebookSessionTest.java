package dev.lens4j.app;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The jshell session shown in docs/NOTEBOOK.md (the {@code text} block after
 * {@code <!-- jshell-session -->}) is real: its {@code jshell>} lines are typed into the jshell that
 * {@code lens4j shell} starts, and what jshell prints must be what the page shows. With
 * {@code -Dlens4j.docs.update=true} the page is rewritten with what jshell printed instead.
 */
class NotebookSessionTest {

    static final String MARKER = "<!-- jshell-session -->";
    static final String PROMPT = JshellSession.PROMPT;

    /** The output shown after each {@code jshell>} line of a transcript, lines joined, trailing blanks dropped. */
    private static List<String> outputs(List<String> transcript) {
        List<String> outs = new ArrayList<>();
        StringBuilder cur = null;
        for (String l : transcript) {
            if (l.startsWith(PROMPT)) {
                if (cur != null) {
                    outs.add(cur.toString().stripTrailing());
                }
                cur = new StringBuilder();
            } else if (cur != null) {
                cur.append(l).append('\n');
            }
        }
        if (cur != null) {
            outs.add(cur.toString().stripTrailing());
        }
        return outs;
    }

    private static Path page() {
        Path p = Path.of("..", "docs", "NOTEBOOK.md");   // tests run in the app module's folder
        assertThat(p).as("docs/NOTEBOOK.md next to the app module").isRegularFile();
        return p;
    }

    @Test
    void theSessionOnThePageIsWhatJshellPrints(@TempDir Path dir) throws Exception {
        Path page = page();
        List<String> lines = Files.readAllLines(page, StandardCharsets.UTF_8);
        int marker = lines.indexOf(MARKER);
        assertThat(marker).as(MARKER + " in " + page).isNotNegative();
        assertThat(lines.get(marker + 1)).isEqualTo("```text");
        int end = marker + 2;
        while (!lines.get(end).equals("```")) {
            end++;
        }
        List<String> shown = lines.subList(marker + 2, end);
        List<String> inputs = shown.stream().filter(l -> l.startsWith(PROMPT)).map(l -> l.substring(PROMPT.length())).toList();
        assertThat(inputs).as("jshell> lines on the page").hasSizeGreaterThan(5);

        List<String> expected = outputs(shown);
        assertThat(expected).hasSize(inputs.size());
        boolean update = Boolean.getBoolean("lens4j.docs.update");
        List<String> actual = null;
        for (int attempt = 0; attempt < 5 && actual == null; attempt++) {
            String out = JshellSession.run(dir, inputs);
            assertThat(out).as(out).doesNotContain("|  Error:", "|  Exception");
            // Piped into jshell, each input's output follows a prompt; the first chunk is the banner.
            String[] chunks = out.split(java.util.regex.Pattern.quote(PROMPT), -1);
            assertThat(chunks.length).as("one prompt per input and one for /exit:\n" + out).isEqualTo(inputs.size() + 2);
            List<String> got = new ArrayList<>();
            boolean echoed = false;
            for (int i = 0; i < inputs.size(); i++) {
                String o = chunks[i + 1].stripTrailing();
                // jshell's line reader may echo the start of a line it read early (timing decides); the
                // output follows the echo. Checking: allow an echoed prefix before the expected output.
                if (!update && o.endsWith(expected.get(i)) && inputs.get(i).startsWith(o.substring(0, o.length() - expected.get(i).length()))) {
                    o = expected.get(i);
                }
                echoed |= !o.isEmpty() && o.charAt(0) == inputs.get(i).charAt(0);
                got.add(o);
            }
            if (!update || !echoed) {      // updating: run again rather than guess where an echo ends
                actual = got;
            }
        }
        assertThat(actual).as("a session without echoed input in 5 attempts").isNotNull();
        List<String> transcript = new ArrayList<>();
        for (int i = 0; i < inputs.size(); i++) {
            if (i > 0) {
                transcript.add("");
            }
            transcript.add(PROMPT + inputs.get(i));
            if (!actual.get(i).isEmpty()) {
                transcript.addAll(actual.get(i).lines().map(String::stripTrailing).toList());
            }
        }
        if (update) {
            List<String> updated = new ArrayList<>(lines.subList(0, marker + 2));
            updated.addAll(transcript);
            updated.addAll(lines.subList(end, lines.size()));
            Files.write(page, updated, StandardCharsets.UTF_8);
            return;
        }
        assertThat(String.join("\n", transcript)).as("docs/NOTEBOOK.md's session (rewrite it with -Dlens4j.docs.update=true)")
                .isEqualTo(String.join("\n", shown));
        assertThat(dir.resolve("layer1.html")).as("the session saved a view").isRegularFile();
    }

}
