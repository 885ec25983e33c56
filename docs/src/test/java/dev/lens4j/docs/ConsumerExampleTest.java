package dev.lens4j.docs;

import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.w3c.dom.NodeList;

import javax.xml.parsers.DocumentBuilderFactory;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The consumer example's POM agrees with lens4j's build: it asks for this version of lens4j, and
 * uses the JUnit and plugin versions lens4j's own build uses, so that the consumer build finds
 * everything in the local repository this build has filled (it runs without network; see
 * docs/pom.xml). The build itself is checked by {@link ConsumerExampleIT}.
 */
class ConsumerExampleTest {

    static Document pom(Path file) throws Exception {
        return DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(file.toFile());
    }

    static String child(Node parent, String name) {
        for (Node n = parent.getFirstChild(); n != null; n = n.getNextSibling()) {
            if (n.getNodeName().equals(name)) {
                return n.getTextContent().strip();
            }
        }
        return null;
    }

    /** groupId:artifactId to version of every plugin element of a POM (plugins and plugin management alike). */
    static Map<String, String> plugins(Document pom) {
        Map<String, String> out = new LinkedHashMap<>();
        NodeList ps = pom.getElementsByTagName("plugin");
        for (int i = 0; i < ps.getLength(); i++) {
            String version = child(ps.item(i), "version");
            if (version != null) {
                String group = child(ps.item(i), "groupId");
                out.put((group == null ? "org.apache.maven.plugins" : group) + ":" + child(ps.item(i), "artifactId"), version);
            }
        }
        return out;
    }

    static String property(Document pom, String name) {
        NodeList props = pom.getElementsByTagName("properties");
        return child(props.item(0), name);
    }

    @Test
    void asksForThisVersionOfLens4jAndUsesTheBuildsJUnitAndPluginVersions() throws Exception {
        Document consumer = pom(DocsCheck.consumerDir().resolve("pom.xml"));
        Document parent = pom(Path.of(System.getProperty("lens4j.parent.pom")));
        assertThat(property(consumer, "lens4j.version")).isEqualTo(System.getProperty("lens4j.version"));
        assertThat(property(consumer, "maven.compiler.release")).isEqualTo(property(parent, "maven.compiler.release"));

        NodeList deps = consumer.getElementsByTagName("dependency");
        String junit = null;
        for (int i = 0; i < deps.getLength(); i++) {
            if ("junit-bom".equals(child(deps.item(i), "artifactId"))) {
                junit = child(deps.item(i), "version");
            }
        }
        assertThat(junit).as("the consumer's junit-bom").isEqualTo(property(parent, "junit.version"));

        Map<String, String> ours = plugins(parent);
        Map<String, String> theirs = plugins(consumer);
        assertThat(theirs).as("plugins of the consumer example").isNotEmpty();
        theirs.forEach((plugin, version) -> assertThat(ours.get(plugin)).as(plugin + " in lens4j's pluginManagement").isEqualTo(version));

        Element docs = pom(DocsCheck.docsDir().resolve("pom.xml")).getDocumentElement();
        NodeList extra = docs.getElementsByTagName("extraArtifact");
        assertThat(extra.getLength()).isPositive();
        for (int i = 0; i < extra.getLength(); i++) {
            String[] gav = extra.item(i).getTextContent().strip().split(":");
            assertThat(theirs.get(gav[0] + ":" + gav[1])).as(gav[0] + ":" + gav[1] + " fetched for the consumer build").isEqualTo(gav[2]);
        }
    }
}
