package dev.lens4j.docs;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every package of every module's main code says what it is for: a {@code package-info.java} whose
 * Javadoc comment comes before the package declaration. Javadoc's doclint checks every public type
 * and member, but not that a package has a description; the Javadoc site's package list shows this text.
 */
class PackageDescriptionsTest {

    static final Pattern DESCRIBED = Pattern.compile("(?s)\\A\\s*/\\*\\*\\s*\\S.*?\\*/\\s*package\\s+[\\w.]+\\s*;\\s*\\z");

    @Test
    void everyMainPackageHasADescription() throws IOException {
        Path root = DocsCheck.docsDir().toAbsolutePath().normalize().getParent();
        List<Path> sourceRoots = new ArrayList<>();
        try (Stream<Path> modules = Files.list(root)) {
            modules.map(m -> m.resolve("src/main/java")).filter(Files::isDirectory).forEach(sourceRoots::add);
        }
        assertThat(sourceRoots).as("main source folders under " + root).hasSizeGreaterThan(5);
        TreeSet<String> packages = new TreeSet<>();
        List<String> problems = new ArrayList<>();
        for (Path src : sourceRoots) {
            try (Stream<Path> files = Files.walk(src)) {
                files.filter(f -> f.toString().endsWith(".java") && !f.getFileName().toString().equals("module-info.java")).map(Path::getParent).distinct().sorted().forEach(dir -> {
                    packages.add(src.relativize(dir).toString().replace('/', '.'));
                    Path info = dir.resolve("package-info.java");
                    String where = root.relativize(dir).toString();
                    try {
                        if (!Files.exists(info)) {
                            problems.add(where + ": no package-info.java");
                        } else if (!DESCRIBED.matcher(Files.readString(info)).matches()) {
                            problems.add(root.relativize(info) + ": not a Javadoc comment followed by the package declaration");
                        }
                    } catch (IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                });
            }
        }
        assertThat(packages).as("packages found").contains("dev.lens4j.tensor", "dev.lens4j.hooks", "dev.lens4j.app");
        assertThat(problems).as("packages without a description").isEmpty();
    }
}
