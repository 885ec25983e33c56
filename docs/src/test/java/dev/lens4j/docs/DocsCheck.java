package dev.lens4j.docs;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Checks (or rewrites) the Markdown pages against what they quote: fenced Java blocks against the
 * tagged regions of the examples, marked numbers against freshly computed values.
 */
final class DocsCheck {

    /** The system property that turns checking into rewriting. */
    static final String UPDATE_PROPERTY = "lens4j.docs.update";

    static final String HOW_TO_UPDATE = "to rewrite the docs from the examples, run: ./mvnw -pl docs -am test -D" + UPDATE_PROPERTY + "=true";

    /**
     * The outcome of checking one page.
     *
     * @param problems what is wrong, one message each (empty when the page is right or was rewritten)
     * @param lines the page's lines, rewritten where a quote was out of date
     * @param changed how many quotes were rewritten
     */
    record Result(List<String> problems, List<String> lines, int changed) {}

    private DocsCheck() {}

    /** The folder of the pages, from the build (the docs module's folder). */
    static Path docsDir() {
        return Path.of(System.getProperty("lens4j.docs.dir", "."));
    }

    /** The examples' test sources, from the build. */
    static Path examplesDir() {
        return Path.of(System.getProperty("lens4j.examples.dir", "../examples/src/test/java"));
    }

    /** The consumer example project (built outside the reactor), from the build. */
    static Path consumerDir() {
        return Path.of(System.getProperty("lens4j.consumer.dir", "../consumer-example"));
    }

    /** The repository's README.md, whose marked blocks are checked too. */
    static Path readme() {
        return docsDir().toAbsolutePath().normalize().getParent().resolve("README.md");
    }

    /** Every tagged region that the docs may quote: the examples' and the consumer example's. */
    static Map<String, Snippets.Snippet> snippets() {
        return Snippets.extract(examplesDir(), consumerDir());
    }

    static boolean update() {
        return Boolean.getBoolean(UPDATE_PROPERTY);
    }

    /** The Markdown pages directly in the docs folder, by name. */
    static List<Path> pages() {
        try (Stream<Path> s = Files.list(docsDir())) {
            return s.filter(p -> p.getFileName().toString().endsWith(".md")).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + docsDir(), e);
        }
    }

    /** The shipped model's README.md, in the transformer module's resources. */
    static Path modelReadme() {
        return docsDir().resolve("../transformer/src/main/resources/dev/lens4j/transformer/models/induction-2l/README.md").normalize();
    }

    /**
     * The pages whose marked numbers are checked against the shipped model: the docs pages, the
     * repository's README and the shipped model's README (whose code blocks are not examples', so
     * only {@link #pages()} get the snippet check).
     */
    static List<Path> valuePages() {
        List<Path> all = new ArrayList<>(pages());
        all.add(readme());
        all.add(modelReadme());
        for (Path p : all) {
            if (!Files.isRegularFile(p)) {
                throw new IllegalStateException("no page " + p + " (the docs module expects the repository's layout)");
            }
        }
        return all;
    }

    static List<String> read(Path page) {
        try {
            return Files.readAllLines(page);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + page, e);
        }
    }

    static void write(Path page, List<String> lines) {
        try {
            Files.writeString(page, String.join("\n", lines) + "\n");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + page, e);
        }
    }

    /**
     * Every {@code ```java} and {@code ```xml} block must sit under a snippet marker naming a tagged
     * region of the examples and hold exactly that region, shown with its imports.
     */
    static Result checkSnippets(String pageName, List<String> lines, Map<String, Snippets.Snippet> snippets, boolean update) {
        return checkSnippets(pageName, lines, snippets, update, true);
    }

    /**
     * Every block under a snippet marker must hold exactly the region it names, shown with its
     * imports; with {@code strict}, every {@code ```java} and {@code ```xml} block must have a marker.
     */
    static Result checkSnippets(String pageName, List<String> lines, Map<String, Snippets.Snippet> snippets, boolean update,
            boolean strict) {
        List<String> problems = new ArrayList<>();
        List<String> out = new ArrayList<>(lines);
        int changed = 0;
        for (int i : Markdown.danglingMarkers(lines)) {
            problems.add(pageName + ":" + (i + 1) + ": snippet marker is not directly followed by a ``` code block");
        }
        List<Markdown.Block> blocks = Markdown.blocks(lines);
        // rewrite from the last block up, so that earlier line numbers stay valid
        for (int b = blocks.size() - 1; b >= 0; b--) {
            Markdown.Block block = blocks.get(b);
            String where = pageName + ":" + (block.fenceLine() + 1);
            if (block.snippet() == null) {
                if (strict && (block.language().equals("java") || block.language().equals("xml"))) {
                    problems.add(where + ": ```" + block.language() + " block without a snippet marker; code in the docs must come from"
                            + " the examples (put <!-- snippet: name --> above it and tag::name[] ... end::name[] around the code in a test"
                            + " or the consumer example)");
                }
                continue;
            }
            if (!(block.language().equals("java") || block.language().equals("xml"))) {
                continue; // a marked output block (README's main-job-claims), checked by its own test
            }
            Snippets.Snippet s = snippets.get(block.snippet());
            if (s == null) {
                problems.add(where + ": no tagged region '" + block.snippet() + "' in the examples; tags: " + snippets.keySet());
                continue;
            }
            List<String> shown = s.shown();
            if (block.lines().equals(shown)) {
                continue;
            }
            if (update) {
                for (int k = block.closeLine() - 1; k > block.fenceLine(); k--) {
                    out.remove(k);
                }
                out.addAll(block.fenceLine() + 1, shown);
                changed++;
                continue;
            }
            StringBuilder m = new StringBuilder(where).append(": snippet '").append(block.snippet())
                    .append("' differs from the tagged region at ").append(s.source()).append(':').append(s.line()).append('\n')
                    .append("  --- ").append(pageName).append('\n')
                    .append("  +++ ").append(s.source().getFileName()).append('\n');
            for (String d : Markdown.diff(block.lines(), shown)) {
                m.append("  ").append(d).append('\n');
            }
            problems.add(m.toString().stripTrailing());
        }
        return new Result(reverse(problems), out, changed);
    }

    /** Every marked value must show what {@code values} says; unknown names are problems. */
    static Result checkValues(String pageName, List<String> lines, Map<String, String> values, boolean update) {
        List<String> problems = new ArrayList<>();
        List<String> out = new ArrayList<>(lines);
        int changed = 0;
        for (Markdown.Value v : Markdown.values(lines)) {
            String where = pageName + ":" + (v.line() + 1);
            String expected = values.get(v.name());
            if (expected == null) {
                problems.add(where + ": no computed value '" + v.name() + "'; known: " + values.keySet());
            } else if (!expected.equals(v.text())) {
                if (update) {
                    out.set(v.line(), out.get(v.line()).replace("<!--v:" + v.name() + "-->" + v.text() + "<!--/v-->",
                            "<!--v:" + v.name() + "-->" + expected + "<!--/v-->"));
                    changed++;
                } else {
                    problems.add(where + ": value '" + v.name() + "' reads " + v.text() + " but the model gives " + expected);
                }
            }
        }
        return new Result(problems, out, changed);
    }

    private static List<String> reverse(List<String> problems) {
        List<String> dangling = new ArrayList<>();
        List<String> blocks = new ArrayList<>();
        for (String p : problems) {
            (p.contains("snippet marker is not directly") ? dangling : blocks).add(p);
        }
        List<String> out = new ArrayList<>(dangling);
        for (int i = blocks.size() - 1; i >= 0; i--) {
            out.add(blocks.get(i));
        }
        return out;
    }
}
