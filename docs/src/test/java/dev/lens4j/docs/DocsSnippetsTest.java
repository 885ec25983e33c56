package dev.lens4j.docs;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

/**
 * The code in the docs is the code of the examples: every {@code ```java} and {@code ```xml} block
 * of every page in {@code docs/} is a tagged region of {@code examples/src/test/java} (compiled and
 * run by the examples' tests) or of the consumer example project (built and run against the
 * installed artifacts by the docs module's integration test), shown with the imports it uses; so is
 * every marked block of README.md. With {@code -Dlens4j.docs.update=true} the blocks are rewritten
 * instead.
 */
class DocsSnippetsTest {

    static final List<String> PAGES = List.of("TUTORIAL.md", "HOOKS.md", "TRANSFORMERLENS.md", "SELF-CHECK.md", "NOTEBOOK.md",
            "GRADIENTS.md");

    @Test
    void thePagesExist() {
        for (String p : PAGES) {
            assertThat(DocsCheck.docsDir().resolve(p)).as(p).isRegularFile();
        }
    }

    @Test
    void everyJavaBlockIsTheTaggedRegionOfAnExample() {
        Map<String, Snippets.Snippet> snippets = DocsCheck.snippets();
        assertThat(snippets).as("tagged regions in " + DocsCheck.examplesDir()).isNotEmpty();
        List<String> problems = new ArrayList<>();
        int quoted = 0;
        List<Path> pages = new ArrayList<>(DocsCheck.pages());
        pages.add(DocsCheck.readme());
        for (Path page : pages) {
            List<String> lines = DocsCheck.read(page);
            boolean strict = !page.equals(DocsCheck.readme());   // README.md's other Java blocks are not examples yet
            DocsCheck.Result r = DocsCheck.checkSnippets(page.getFileName().toString(), lines, snippets, DocsCheck.update(), strict);
            problems.addAll(r.problems());
            if (r.changed() > 0) {
                DocsCheck.write(page, r.lines());
            }
            quoted += (int) Markdown.blocks(lines).stream().filter(b -> b.snippet() != null).count();
        }
        if (!problems.isEmpty()) {
            fail(problems.size() + " code block(s) in docs/ do not match the examples:\n" + String.join("\n", problems)
                    + "\n" + DocsCheck.HOW_TO_UPDATE);
        }
        assertThat(quoted).isGreaterThan(10);
    }

    @Test
    void everyJavaBlockShowsItsImports() {
        List<String> missing = new ArrayList<>();
        for (Path page : DocsCheck.pages()) {
            for (Markdown.Block b : Markdown.blocks(DocsCheck.read(page))) {
                boolean usesImported = b.lines().stream().anyMatch(l -> l.matches(".*\\b(assertThat|Tensor|HookedTransformer)\\b.*"));
                boolean showsImports = b.lines().stream().anyMatch(l -> l.startsWith("import "));
                if (b.language().equals("java") && usesImported && !showsImports) {
                    missing.add(page.getFileName() + ":" + (b.fenceLine() + 1));
                }
            }
        }
        assertThat(missing).as("Java blocks that use lens4j or AssertJ but show no import").isEmpty();
    }

    @Test
    void picturesTheDocsShowExistOrAreMarkedPlaceholders() throws Exception {
        for (Path page : DocsCheck.pages()) {
            for (String line : DocsCheck.read(page)) {
                var m = java.util.regex.Pattern.compile("!\\[[^]]*]\\((images/[^)]+)\\)").matcher(line);
                while (m.find()) {
                    Path img = DocsCheck.docsDir().resolve(m.group(1));
                    boolean placeholder = line.contains("<!-- placeholder");
                    assertThat(Files.isRegularFile(img) || placeholder)
                            .as(page.getFileName() + " shows " + m.group(1) + ", which is missing and not marked <!-- placeholder -->")
                            .isTrue();
                }
            }
        }
    }
}
