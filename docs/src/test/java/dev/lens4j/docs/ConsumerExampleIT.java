package dev.lens4j.docs;

import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

import javax.xml.parsers.DocumentBuilderFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.ZipFile;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What the consumer example's build did (it runs just before this test, in the same phase; see
 * docs/pom.xml): a project of its own that follows README.md's "Using lens4j from Maven" compiled
 * against lens4j's installed artifacts, ran its JUnit experiment under Surefire and its integration
 * test under Failsafe on the Vector API kernels, and ran its main class with {@code exec:exec}; and the
 * repository it used holds every library module with its sources and Javadoc, as {@code install} leaves
 * them for an IDE.
 */
class ConsumerExampleIT {

    static Path build() {
        return Path.of(System.getProperty("lens4j.consumer.build"));
    }

    static Path repo() {
        return Path.of(System.getProperty("lens4j.consumer.repo"));
    }

    static final String VERSION = System.getProperty("lens4j.version");

    @Test
    void theExperimentRanUnderSurefireAndFailsafe() throws Exception {
        assertThat(testSuite(build().resolve("target/surefire-reports/TEST-com.example.induction.InductionHeadsTest.xml")))
                .as("Surefire's report of the consumer's test").isEqualTo("tests=2 failures=0 errors=0 skipped=0");
        assertThat(testSuite(build().resolve("target/failsafe-reports/TEST-com.example.induction.InductionLossIT.xml")))
                .as("Failsafe's report of the consumer's integration test").isEqualTo("tests=1 failures=0 errors=0 skipped=0");
    }

    @Test
    void theMainClassRanWithExecOnTheVectorApiKernels() throws IOException {
        String log = Files.readString(build().resolve("build.log"));
        Matcher m = Pattern.compile("induction-2l: induction loss (\\d+\\.\\d\\d) nats \\(a uniform guess: 4\\.16\\); kernels: (\\S+.*)").matcher(log);
        assertThat(m.find()).as("the main class's line in " + build().resolve("build.log")).isTrue();
        assertThat(m.group(2)).isEqualTo("Vector API");
        assertThat(Double.parseDouble(m.group(1))).isLessThan(1.0);
        assertThat(log).contains("BUILD SUCCESS");
        assertThat(DocsCheck.read(DocsCheck.docsDir().resolve("MAVEN.md"))).as("MAVEN.md shows what the main class prints")
                .contains(m.group());
    }

    @Test
    void theRepositoryHoldsEveryModuleOfTheBomWithItsSourcesAndJavadoc() throws Exception {
        Path bom = repo().resolve("dev/lens4j/lens4j-bom/" + VERSION + "/lens4j-bom-" + VERSION + ".pom");
        List<String> modules = new ArrayList<>();
        NodeList ids = xml(bom).getElementsByTagName("artifactId");
        for (int i = 0; i < ids.getLength(); i++) {
            if (!ids.item(i).getParentNode().getNodeName().equals("project")) {
                modules.add(ids.item(i).getTextContent());
            }
        }
        assertThat(modules).contains("lens4j-core-tensor", "lens4j-analysis", "lens4j-testing");
        for (String a : modules) {
            Path dir = repo().resolve("dev/lens4j/" + a + "/" + VERSION);
            assertThat(dir.resolve(a + "-" + VERSION + ".pom")).isRegularFile();
            assertThat(entries(dir.resolve(a + "-" + VERSION + ".jar"))).as(a + " jar").anyMatch(e -> e.endsWith(".class"));
            assertThat(entries(dir.resolve(a + "-" + VERSION + "-sources.jar"))).as(a + " sources").anyMatch(e -> e.endsWith(".java"));
            assertThat(entries(dir.resolve(a + "-" + VERSION + "-javadoc.jar"))).as(a + " javadoc").contains("index.html");
        }
    }

    static String testSuite(Path report) throws Exception {
        Element suite = xml(report).getDocumentElement();
        return "tests=" + suite.getAttribute("tests") + " failures=" + suite.getAttribute("failures") + " errors="
                + suite.getAttribute("errors") + " skipped=" + suite.getAttribute("skipped");
    }

    static Document xml(Path file) throws Exception {
        assertThat(file).isRegularFile();
        return DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(file.toFile());
    }

    static List<String> entries(Path jar) throws IOException {
        assertThat(jar).isRegularFile();
        try (ZipFile z = new ZipFile(jar.toFile())) {
            return z.stream().map(java.util.zip.ZipEntry::getName).toList();
        }
    }
}
