package dev.lens4j.analysis.gradients;

import dev.lens4j.tensor.Tensor;
import dev.lens4j.tensor.io.SafetensorsFile;
import dev.lens4j.transformer.HookedTransformer;
import dev.lens4j.transformer.LogitMetric;
import dev.lens4j.transformer.loading.Models;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * EAP, EAP-IG, exact edge scores, circuits and their faithfulness against the EAP-IG reference
 * implementation (hannamw/EAP-IG run with TransformerLens 2.18), and attribution patching and token
 * attributions against TransformerLens autograd, on the tiny GPT-2 of the multi-family fixtures
 * (fixture: tools/reference/eap_ig_reference.py, output in src/test/resources/reference/eap-ig). The
 * reference ran in float64, lens4j runs in float32: every number agrees within 1e-4.
 */
class EapIgReferenceTest {

    private static final double TOLERANCE = 1e-4;
    private static final Path CHECKPOINT = Path.of("../transformer/src/test/resources/reference/families/gpt2/hf");

    static HookedTransformer model;
    static SafetensorsFile ref;
    static int[][] clean, corrupted;
    static LogitMetric metric;

    @BeforeAll
    static void load() throws Exception {
        ref = SafetensorsFile.open(fixture("tiny-gpt2.safetensors"));
        byte[] checkpoint = Files.readAllBytes(CHECKPOINT.resolve("model.safetensors"));
        String sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(checkpoint));
        assertThat(sha).as("the checkpoint the reference numbers were computed on (regenerate them with "
                + "tools/reference/eap_ig_reference.py if it changed)").isEqualTo(ref.metadata().get("checkpoint_sha256"));
        model = Models.fromPretrained(CHECKPOINT);
        clean = tokens("clean");
        corrupted = tokens("corrupted");
        int[][] labels = tokens("labels");
        int[] correct = new int[labels.length], incorrect = new int[labels.length];
        for (int b = 0; b < labels.length; b++) {
            correct[b] = labels[b][0];
            incorrect[b] = labels[b][1];
        }
        metric = LogitMetrics.logitDiff(-1, correct, incorrect);
    }

    @AfterAll
    static void close() {
        model.close();
        ref.close();
    }

    static Path fixture(String name) {
        try {
            return Path.of(EapIgReferenceTest.class.getResource("/reference/eap-ig/" + name).toURI());
        } catch (URISyntaxException | NullPointerException e) {
            throw new IllegalStateException("the eap-ig fixture is not on the test class path: " + name, e);
        }
    }

    static int[][] tokens(String key) {
        Tensor t = ref.tensor(key);
        int[][] out = new int[t.dim(0)][t.dim(1)];
        for (int i = 0; i < out.length; i++) {
            for (int j = 0; j < out[i].length; j++) {
                out[i][j] = Math.round(t.get(i, j));
            }
        }
        return out;
    }

    static void assertClose(Tensor actual, String key) {
        Tensor expected = ref.tensor(key);
        assertThat(actual.shape()).as(key).containsExactly(expected.shape());
        assertThat((double) actual.maxAbsDiff(expected)).as(key + ": largest value " + expected.abs().max()).isLessThanOrEqualTo(TOLERANCE);
    }

    @Test
    void theGraphIsTheReferencesGraph() {
        AttributionGraph g = AttributionGraph.of(model.config());
        Tensor real = ref.tensor("real_edges");
        assertThat(real.shape()).containsExactly(g.sources().size(), g.destinations().size());
        for (int s = 0; s < g.sources().size(); s++) {
            for (int d = 0; d < g.destinations().size(); d++) {
                assertThat(g.isEdge(s, d)).as(g.edgeName(s, d)).isEqualTo(real.get(s, d) == 1f);
            }
        }
        assertThat(g.edgeCount()).isEqualTo(110);
        assertThat(g.sources()).startsWith("input", "a0.h0", "a0.h1", "a0.h2", "a0.h3", "m0").endsWith("m1");
        assertThat(g.destinations()).startsWith("a0.h0<q>", "a0.h1<q>").endsWith("a1.h3<v>", "m1", "logits");
    }

    @Test
    void eapEqualsTheReference() {
        EdgeScores s = EdgeAttribution.eap(model, clean, corrupted, metric);
        assertClose(s.tensor(), "eap");
        assertThat(s.cleanMetric()).isCloseTo(ref.tensor("metric.clean").item(), org.assertj.core.data.Offset.offset(TOLERANCE));
        assertThat(s.corruptedMetric()).isCloseTo(ref.tensor("metric.corrupted").item(), org.assertj.core.data.Offset.offset(TOLERANCE));
        assertThat(s.zeroGradient()).isEmpty();
    }

    @ParameterizedTest(name = "m = {0}")
    @ValueSource(ints = {1, 5, 20})
    void eapIgEqualsTheReference(int steps) {
        EdgeScores s = EdgeAttribution.eapIg(model, clean, corrupted, metric, steps);
        assertClose(s.tensor(), "eap_ig.m" + steps);
        assertThat(s.method()).isEqualTo("EAP-IG (" + steps + (steps == 1 ? " step)" : " steps)"));
    }

    @Test
    void exactScoresEqualTheReference() {
        assertClose(EdgeAttribution.exact(model, clean, corrupted, metric::value).tensor(), "exact");
    }

    @ParameterizedTest(name = "top {0}")
    @ValueSource(ints = {5, 12, 30})
    void topNCircuitsAndTheirFaithfulnessEqualTheReference(int n) {
        EdgeScores s = EdgeAttribution.eapIg(model, clean, corrupted, metric, 5);
        Circuit c = Circuit.topN(s, n);
        assertCircuit(c, "circuit.top" + n);
    }

    @Test
    void aThresholdCircuitAndItsFaithfulnessEqualTheReference() {
        EdgeScores s = EdgeAttribution.eapIg(model, clean, corrupted, metric, 5);
        assertCircuit(Circuit.threshold(s, ref.tensor("circuit.threshold.value").item()), "circuit.threshold");
    }

    private static void assertCircuit(Circuit c, String key) {
        Tensor edges = ref.tensor(key + ".edges"), nodes = ref.tensor(key + ".nodes");
        assertThat(c.edgeMask().toArray()).as(key + " edges").containsExactly(edges.toArray());
        for (int s = 0; s < nodes.size(); s++) {
            assertThat(c.containsNode(s)).as(key + " node " + c.graph().sources().get(s)).isEqualTo(nodes.get(s) == 1f);
        }
        Circuit.Faithfulness f = c.evaluate(model, clean, corrupted, metric::value);
        assertThat(f.circuit()).as(key + " metric").isCloseTo(ref.tensor(key + ".metric").item(), org.assertj.core.data.Offset.offset(TOLERANCE));
        assertThat(f.clean()).isCloseTo(ref.tensor("metric.clean").item(), org.assertj.core.data.Offset.offset(TOLERANCE));
        assertThat(f.corrupted()).isCloseTo(ref.tensor("metric.corrupted").item(), org.assertj.core.data.Offset.offset(TOLERANCE));
        assertThat(f.edges()).isEqualTo((int) edges.sum());
    }

    @Test
    void attributionPatchingEqualsTransformerLensAutograd() {
        AttributionPatching ap = AttributionPatching.of(model, clean, corrupted, metric);
        assertClose(ap.residPre(), "ap.resid_pre");
        assertClose(ap.attnOut(), "ap.attn_out");
        assertClose(ap.mlpOut(), "ap.mlp_out");
        assertClose(ap.headOutAllPos(), "ap.z");
        assertClose(ap.headOutByPos(), "ap.z_pos");
        for (String v : new String[] {"q", "k", "v"}) {
            assertClose(ap.headVectorAllPos(v), "ap." + v);
        }
        assertClose(ap.headPatternAllPos(), "ap.pattern");
        assertClose(ap.headPatternByPos(), "ap.pattern_pos");
        assertThat(ap.zeroGradientPoints()).isEmpty();
    }

    @Test
    void tokenAttributionsEqualTransformerLensAutograd() {
        assertClose(TokenAttribution.gradientTimesInput(model, clean, metric), "tokens.grad_x_input");
        for (int m : new int[] {8, 64}) {
            TokenAttribution.IntegratedGradients ig = TokenAttribution.integratedGradients(model, clean, corrupted, metric, m);
            assertClose(ig.attributions(), "tokens.ig.m" + m);
            assertThat(ig.metric()).isCloseTo(ref.tensor("metric.clean").item(), org.assertj.core.data.Offset.offset(TOLERANCE));
            assertThat(ig.baselineMetric()).isCloseTo(ref.tensor("metric.corrupted").item(), org.assertj.core.data.Offset.offset(TOLERANCE));
        }
    }
}
