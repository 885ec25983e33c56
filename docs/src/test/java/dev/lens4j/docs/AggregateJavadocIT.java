package dev.lens4j.docs;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.TreeSet;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The docs module's Javadoc (built at package, before this test) is one site of every library
 * module, with links from one module's pages into another's.
 */
class AggregateJavadocIT {

    static final List<String> LIBRARY = List.of("core-tensor", "hooks", "transformer", "analysis", "report", "testing");

    /** Packages the modules do not export to users, left out of the site by docs/pom.xml's excludePackageNames. */
    static List<String> notApi() throws IOException {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("<excludePackageNames>([^<]+)</excludePackageNames>")
                .matcher(Files.readString(DocsCheck.docsDir().resolve("pom.xml")));
        assertThat(m.find()).as("excludePackageNames in docs/pom.xml").isTrue();
        return List.of(m.group(1).trim().split(":"));
    }

    static Path apidocs() {
        return Path.of(System.getProperty("lens4j.apidocs"));
    }

    @Test
    void holdsEveryPackageOfEveryLibraryModule() throws IOException {
        Path root = DocsCheck.docsDir().toAbsolutePath().normalize().getParent();
        TreeSet<String> packages = new TreeSet<>();
        List<String> notApi = notApi();
        TreeSet<String> notExported = new TreeSet<>();
        java.util.regex.Pattern export = java.util.regex.Pattern.compile("(?m)^\\s*exports\\s+([\\w.]+)\\s*;");
        for (String module : LIBRARY) {
            Path src = root.resolve(module).resolve("src/main/java");
            java.util.regex.Matcher e = export.matcher(Files.readString(src.resolve("module-info.java")));
            List<String> exported = e.results().map(r -> r.group(1)).toList();
            try (Stream<Path> files = Files.walk(src)) {
                files.filter(f -> f.toString().endsWith(".java") && !f.getFileName().toString().equals("module-info.java"))
                        .map(f -> src.relativize(f.getParent()).toString().replace('/', '.'))
                        .forEach(p -> (exported.contains(p) ? packages : notExported).add(p));
            }
        }
        // what no module exports to everybody is not API, and is exactly what the site leaves out
        assertThat(notApi).containsExactlyInAnyOrderElementsOf(notExported).contains("dev.lens4j.tensor.internal");
        assertThat(packages).contains("dev.lens4j.tensor", "dev.lens4j.testing");
        assertThat(Files.readAllLines(apidocs().resolve("element-list"))).containsExactlyInAnyOrderElementsOf(packages);
    }

    @Test
    void linksAcrossModules() throws IOException {
        // analysis's FactoredMatrix takes and returns core-tensor's Tensor; testing's LensModel names transformer's HookedTransformer
        assertThat(Files.readString(apidocs().resolve("dev/lens4j/analysis/circuits/FactoredMatrix.html")))
                .contains("href=\"../../tensor/Tensor.html\"");
        assertThat(Files.readString(apidocs().resolve("dev/lens4j/testing/LensAssertions.html")))
                .contains("href=\"../transformer/HookedTransformer.html\"");
    }
}
