package dev.lens4j.docs;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The snippet and value checker itself, on small hand-written pages and sources. */
class DocsToolTest {

    static final Path SRC = Path.of("Example.java");

    static final List<String> JAVA = List.of(
            "class Example {",
            "    void a() {",
            "        // tag::outer[]",
            "        int x = 1;",
            "        // tag::inner[]",
            "        int y = 2;",
            "",
            "        // end::inner[]",
            "        if (x < y) {",
            "            x = y;",
            "        }",
            "        // end::outer[]",
            "    }",
            "}");

    static Map<String, Snippets.Snippet> snippets() {
        Map<String, Snippets.Snippet> m = new java.util.LinkedHashMap<>();
        for (Snippets.Snippet s : Snippets.extract(SRC, JAVA)) {
            m.put(s.name(), s);
        }
        return m;
    }

    @Test
    void regionsAreDedentedWithoutMarkers() {
        Map<String, Snippets.Snippet> s = snippets();
        assertThat(s.get("inner").lines()).containsExactly("int y = 2;");
        assertThat(s.get("inner").line()).isEqualTo(6);
        assertThat(s.get("outer").lines()).containsExactly("int x = 1;", "int y = 2;", "", "if (x < y) {", "    x = y;", "}");
        assertThat(s.get("outer").line()).isEqualTo(4);
    }

    @Test
    void brokenTagsAreNamed() {
        assertThatThrownBy(() -> Snippets.extract(SRC, List.of("// tag::a[]", "x")))
                .hasMessage("Example.java:1: tag::a[] has no end::a[]");
        assertThatThrownBy(() -> Snippets.extract(SRC, List.of("x", "// end::a[]")))
                .hasMessage("Example.java:2: end::a[] has no tag::a[]");
        assertThatThrownBy(() -> Snippets.extract(SRC, List.of("// tag::a[]", "// tag::a[]")))
                .hasMessage("Example.java:2: tag 'a' opened again before its end");
    }

    @Test
    void aMatchingBlockPasses() {
        List<String> page = List.of("# Title", "<!-- snippet: inner -->", "```java", "int y = 2;", "```", "text");
        DocsCheck.Result r = DocsCheck.checkSnippets("P.md", page, snippets(), false);
        assertThat(r.problems()).isEmpty();
        assertThat(r.changed()).isZero();
    }

    @Test
    void aDriftedBlockFailsWithADiff() {
        List<String> page = List.of("<!-- snippet: outer -->", "```java", "int x = 1;", "int y = 3;", "", "if (x < y) {", "    x = y;", "}",
                "```");
        DocsCheck.Result r = DocsCheck.checkSnippets("P.md", page, snippets(), false);
        assertThat(r.problems()).containsExactly(String.join("\n",
                "P.md:2: snippet 'outer' differs from the tagged region at Example.java:4",
                "  --- P.md",
                "  +++ Example.java",
                "    int x = 1;",
                "  - int y = 3;",
                "  + int y = 2;",
                "    ",
                "    if (x < y) {",
                "        x = y;",
                "    }"));
    }

    @Test
    void updateRewritesTheBlocks() {
        List<String> page = List.of("a", "<!-- snippet: outer -->", "```java", "old", "```", "b", "<!-- snippet: inner -->", "```java",
                "```", "c");
        DocsCheck.Result r = DocsCheck.checkSnippets("P.md", page, snippets(), true);
        assertThat(r.problems()).isEmpty();
        assertThat(r.changed()).isEqualTo(2);
        assertThat(r.lines()).containsExactly("a", "<!-- snippet: outer -->", "```java", "int x = 1;", "int y = 2;", "", "if (x < y) {",
                "    x = y;", "}", "```", "b", "<!-- snippet: inner -->", "```java", "int y = 2;", "```", "c");
        assertThat(DocsCheck.checkSnippets("P.md", r.lines(), snippets(), false).problems()).isEmpty();
    }

    @Test
    void unmarkedJavaBlocksUnknownSnippetsAndDanglingMarkersAreProblems() {
        List<String> page = List.of("```java", "int z;", "```", "<!-- snippet: nope -->", "```java", "```", "<!-- snippet: inner -->",
                "text", "```python", "x = 1", "```");
        List<String> problems = DocsCheck.checkSnippets("P.md", page, snippets(), false).problems();
        assertThat(problems).hasSize(3);
        assertThat(problems.get(0)).isEqualTo("P.md:7: snippet marker is not directly followed by a ``` code block");
        assertThat(problems.get(1)).startsWith("P.md:1: ```java block without a snippet marker");
        assertThat(problems.get(2)).isEqualTo("P.md:5: no tagged region 'nope' in the examples; tags: [inner, outer]");
    }

    @Test
    void valuesAreCheckedAndRewritten() {
        List<String> page = List.of("loss <!--v:loss-->0.31<!--/v--> nats and <!--v:head-->L1H2<!--/v-->", "<!--v:other-->1<!--/v-->");
        Map<String, String> values = Map.of("loss", "0.29", "head", "L1H2");
        DocsCheck.Result check = DocsCheck.checkValues("P.md", page, values, false);
        assertThat(check.problems()).containsExactly("P.md:1: value 'loss' reads 0.31 but the model gives 0.29",
                "P.md:2: no computed value 'other'; known: " + values.keySet());
        DocsCheck.Result upd = DocsCheck.checkValues("P.md", page, values, true);
        assertThat(upd.lines().getFirst()).isEqualTo("loss <!--v:loss-->0.29<!--/v--> nats and <!--v:head-->L1H2<!--/v-->");
        assertThat(upd.changed()).isEqualTo(1);
    }

    static final List<String> WITH_IMPORTS = List.of(
            "package p;",
            "",
            "import dev.lens4j.tensor.Tensor;",
            "import dev.lens4j.transformer.HookedTransformer;",
            "import dev.lens4j.transformer.TransformerWeights;",
            "import org.junit.jupiter.api.Test;",
            "",
            "import java.util.List;",
            "import java.util.concurrent.*;",
            "",
            "import static org.assertj.core.api.Assertions.assertThat;",
            "import static org.assertj.core.api.Assertions.within;",
            "",
            "class Example {",
            "    @Test",
            "    void a() {",
            "        // tag::uses[]",
            "        Tensor t = model.weights().wE();   // a HookedTransformer's W_E",
            "        String s = \"List of TransformerWeights\";",
            "        assertThat(t.shape()).containsExactly(64, 64);",
            "        // end::uses[]",
            "    }",
            "}");

    @Test
    void aJavaRegionCarriesTheImportsItsCodeUses() {
        Snippets.Snippet s = Snippets.extract(SRC, WITH_IMPORTS).getFirst();
        // Tensor and assertThat are used; HookedTransformer only in a comment, TransformerWeights and
        // List only in a string; Test and within not at all; an on-demand import always counts
        assertThat(s.imports()).containsExactly(
                "import dev.lens4j.tensor.Tensor;",
                "",
                "import java.util.concurrent.*;",
                "",
                "import static org.assertj.core.api.Assertions.assertThat;");
        assertThat(s.shown()).containsExactly(
                "import dev.lens4j.tensor.Tensor;",
                "",
                "import java.util.concurrent.*;",
                "",
                "import static org.assertj.core.api.Assertions.assertThat;",
                "",
                "Tensor t = model.weights().wE();   // a HookedTransformer's W_E",
                "String s = \"List of TransformerWeights\";",
                "assertThat(t.shape()).containsExactly(64, 64);");
    }

    @Test
    void aRegionWithImportsOfItsOwnAndARegionWithoutImportsAreShownAsTheyAre() {
        List<String> file = List.of("// tag::whole[]", "package p;", "", "import java.util.List;", "", "class A {",
                "    // tag::field[]", "    int n;", "    // end::field[]", "    List<String> names;", "}", "// end::whole[]");
        List<Snippets.Snippet> s = Snippets.extract(SRC, file);
        assertThat(s).extracting(Snippets.Snippet::name).containsExactly("field", "whole");
        assertThat(s.get(0).shown()).containsExactly("int n;");
        assertThat(s.get(1).imports()).isEmpty();
        assertThat(s.get(1).shown()).first().isEqualTo("package p;");
    }

    @Test
    void pomRegionsUseXmlCommentMarkers() {
        List<String> pom = List.of("<project>", "  <!-- tag::deps[] -->", "  <dependencies>", "    <dependency/>", "  </dependencies>",
                "  <!-- end::deps[] -->", "</project>");
        Snippets.Snippet s = Snippets.extract(Path.of("pom.xml"), pom).getFirst();
        assertThat(s.name()).isEqualTo("deps");
        assertThat(s.shown()).containsExactly("<dependencies>", "  <dependency/>", "</dependencies>");
        assertThat(s.line()).isEqualTo(3);
    }

    @Test
    void xmlBlocksNeedAMarkerOnStrictPagesOnly() {
        List<String> page = List.of("```xml", "<dependency/>", "```", "```java", "int z;", "```", "```bash", "ls", "```");
        assertThat(DocsCheck.checkSnippets("P.md", page, snippets(), false, true).problems())
                .hasSize(2)
                .anySatisfy(p -> assertThat(p).startsWith("P.md:1: ```xml block without a snippet marker"))
                .anySatisfy(p -> assertThat(p).startsWith("P.md:4: ```java block without a snippet marker"));
        assertThat(DocsCheck.checkSnippets("README.md", page, snippets(), false, false).problems()).isEmpty();
    }

    @Test
    void diffKeepsCommonLines() {
        assertThat(Markdown.diff(List.of("a", "b", "c"), List.of("a", "c", "d")))
                .containsExactly("  a", "- b", "  c", "+ d");
    }
}
