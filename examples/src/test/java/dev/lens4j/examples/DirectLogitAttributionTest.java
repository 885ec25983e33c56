package dev.lens4j.examples;

import dev.lens4j.analysis.attribution.ComponentStack;
import dev.lens4j.analysis.attribution.DirectLogitAttribution;
import dev.lens4j.analysis.attribution.ResidualStream;
import dev.lens4j.tensor.Tensor;
import dev.lens4j.testing.ComponentScores;
import dev.lens4j.testing.Head;
import dev.lens4j.testing.LensModel;
import dev.lens4j.testing.Measurements;
import dev.lens4j.analysis.heads.RepeatedTokens;
import dev.lens4j.transformer.ForwardResult;
import dev.lens4j.transformer.HookedTransformer;
import org.junit.jupiter.api.Test;

import static dev.lens4j.testing.LensAssertions.assertThatHead;
import static dev.lens4j.testing.LensAssertions.assertThatScores;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Step 5: direct logit attribution. Split the final residual stream into what each head, the
 * embeddings and the biases wrote, and project each part on the correct next token's unembedding:
 * on the repeated half, the induction heads write the answer.
 */
class DirectLogitAttributionTest {

    @LensModel("induction-2l")
    HookedTransformer model;

    @Test
    void attributionsAddUpToTheLogits() {
        int[][] tokens = RepeatedTokens.forModel(model).withBatch(2).tokens();   // [2][47]
        // tag::dla[]
        ForwardResult run = model.runWithCache(tokens);
        ResidualStream stream = ResidualStream.of(model, run.cache());
        ComponentStack parts = stream.fullResidDecomposition(-1, false, false, false);   // [component, batch, pos, d_model]
        assertThat(parts.labels()).containsExactly("L0H0", "L0H1", "L0H2", "L0H3", "L1H0", "L1H1", "L1H2", "L1H3",
                "embed", "pos_embed", "bias");
        int[][] next = new int[tokens.length][];                                  // the token each position should predict
        for (int b = 0; b < tokens.length; b++) {
            next[b] = java.util.Arrays.copyOfRange(tokens[b], 1, tokens[b].length + 1);
            next[b][next[b].length - 1] = tokens[b][tokens[b].length - 1];         // the last position has none: any token
        }
        ComponentStack attrs = DirectLogitAttribution.of(model, run.cache()).logitAttrs(parts, next, null);   // [component, batch, pos]
        // end::dla[]
        // tag::dla-sum[]
        Tensor total = attrs.sum();                                               // [batch, pos]
        for (int b = 0; b < tokens.length; b++) {
            for (int p = 0; p < tokens[b].length; p++) {
                float logit = run.logits().get(b, p, next[b][p]) - model.weights().bU().get(next[b][p]);
                assertThat(total.get(b, p)).isCloseTo(logit, org.assertj.core.api.Assertions.within(1e-3f));
            }
        }
        // end::dla-sum[]
    }

    @Test
    void inductionHeadsWriteTheAnswer() {
        RepeatedTokens probe = RepeatedTokens.forModel(model);
        // tag::dla-repeated-half[]
        ComponentScores dla = Measurements.directLogitAttribution(model, probe);   // mean over the repeated half
        Head top = Head.parse(dla.heads().top(1).getFirst().label());
        assertThat(top.layer()).isEqualTo(1);
        assertThatHead(model, top).hasInductionScoreAbove(0.4).logitAttributionRanksFirst();
        // end::dla-repeated-half[]
        // tag::claims-dla[]
        assertThatScores(dla).ranksFirst(top.label());          // above the embeddings and biases too
        // end::claims-dla[]
        assertThat(dla.value("embed")).isLessThan(dla.value(top.label()) / 2);
    }
}
