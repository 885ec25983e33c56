package dev.lens4j.docs;

import dev.lens4j.report.ConsoleReport;
import dev.lens4j.report.InductionInvestigation;
import dev.lens4j.report.ReportData;
import dev.lens4j.transformer.HookedTransformer;
import dev.lens4j.transformer.loading.Models;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

/**
 * The claims README.md shows under "What the main job shows" are the ones {@code ./lens4j} prints for the
 * shipped model, verbatim: the block under {@code <!-- snippet: main-job-claims -->} is the Claims
 * section of the console report of the investigation with its default options (rewritten with
 * {@code -Dlens4j.docs.update=true}).
 */
class ReadmeClaimsTest {

    static final String MARKER = "main-job-claims";

    /** The console report's Claims section: from its "Claims" heading to its end. */
    static List<String> claimsSection(String console) {
        List<String> lines = console.lines().toList();
        int start = lines.indexOf("Claims");
        assertThat(start).as("a Claims section in\n" + console).isNotNegative();
        List<String> out = new ArrayList<>(lines.subList(start, lines.size()));
        while (!out.isEmpty() && out.getLast().isBlank()) {
            out.removeLast();
        }
        return out;
    }

    @Test
    void theReadmeShowsTheClaimsTheMainJobPrints() throws Exception {
        List<String> printed;
        try (HookedTransformer model = Models.fromPretrained("induction-2l")) {
            ReportData data = InductionInvestigation.run(model, "induction-2l", InductionInvestigation.Options.defaultsFor(model.config()),
                    InductionInvestigation.Progress.none());
            printed = claimsSection(ConsoleReport.render(data));
        }
        Path readme = DocsCheck.readme();
        List<String> lines = DocsCheck.read(readme);
        List<Markdown.Block> blocks = Markdown.blocks(lines).stream().filter(b -> MARKER.equals(b.snippet())).toList();
        assertThat(blocks).as("one block under <!-- snippet: " + MARKER + " --> in " + readme).hasSize(1);
        Markdown.Block block = blocks.getFirst();
        if (block.lines().equals(printed)) {
            return;
        }
        if (DocsCheck.update()) {
            List<String> out = new ArrayList<>(lines.subList(0, block.fenceLine() + 1));
            out.addAll(printed);
            out.addAll(lines.subList(block.closeLine(), lines.size()));
            DocsCheck.write(readme, out);
            return;
        }
        StringBuilder m = new StringBuilder("README.md:" + (block.fenceLine() + 1) + ": the main job's claims differ from what it prints\n");
        for (String d : Markdown.diff(block.lines(), printed)) {
            m.append("  ").append(d).append('\n');
        }
        fail(m + DocsCheck.HOW_TO_UPDATE);
    }
}
