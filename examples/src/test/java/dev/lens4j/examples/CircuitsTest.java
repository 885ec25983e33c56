package dev.lens4j.examples;

import dev.lens4j.analysis.circuits.Circuits;
import dev.lens4j.analysis.circuits.CompositionScores;
import dev.lens4j.analysis.circuits.FactoredMatrix;
import dev.lens4j.tensor.Tensor;
import dev.lens4j.testing.ComponentScores;
import dev.lens4j.testing.Head;
import dev.lens4j.testing.LensModel;
import dev.lens4j.testing.Measurements;
import dev.lens4j.analysis.heads.RepeatedTokens;
import dev.lens4j.transformer.HookedTransformer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static dev.lens4j.testing.LensAssertions.assertThatComposition;
import static dev.lens4j.testing.LensAssertions.assertThatHead;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * Step 6: read the circuit off the weights. The induction head's OV circuit copies tokens; the
 * previous-token head's QK circuit attends to the previous position from positional embeddings
 * alone; and the previous-token head's output is what the induction head's keys read
 * (K-composition far above a random baseline).
 */
class CircuitsTest {

    @LensModel("induction-2l")
    HookedTransformer model;

    Head prevHead;
    Head inductionHead;

    @BeforeEach
    void findTheHeads() {
        RepeatedTokens probe = RepeatedTokens.forModel(model);
        prevHead = Head.parse(Measurements.previousTokenScores(model, probe).top(1).getFirst().label());
        inductionHead = Head.parse(Measurements.directLogitAttribution(model, probe).heads().top(1).getFirst().label());
    }

    @Test
    void factoredCircuits() {
        // tag::circuits[]
        Circuits circuits = new Circuits(model.config(), model.weights());
        FactoredMatrix ov = circuits.ov();        // model.OV: W_V W_O, [n_layers, n_heads, d_model, d_model], rank d_head
        FactoredMatrix qk = circuits.qk();        // model.QK: W_Q W_K^T
        assertThat(ov.shape()).containsExactly(2, 4, 64, 64);
        assertThat(ov.a().shape()).containsExactly(2, 4, 64, 16);
        FactoredMatrix one = ov.get(1, 2);        // one head: [64, 64]
        assertThat(one.s().shape()).containsExactly(16);                       // singular values, from the factors' SVDs
        assertThat(one.norm().item()).isCloseTo(one.ab().norm(), within(1e-3f * one.ab().norm()));   // never multiplied out
        assertThat(qk.transpose().shape()).containsExactly(2, 4, 64, 64);
        // end::circuits[]
    }

    @Test
    void theInductionHeadCopies() {
        Circuits circuits = new Circuits(model.config(), model.weights());
        int layer = inductionHead.layer(), head = inductionHead.head();
        // tag::full-ov[]
        FactoredMatrix fullOv = circuits.fullOv().get(layer, head);            // W_E W_V W_O W_U: [d_vocab, d_vocab]
        Tensor dense = fullOv.ab();                                            // small enough to multiply out here
        int copied = 0;
        for (int token = 1; token < 64; token++) {                             // every word, not BOS
            if (dense.select(0, token).argmax() == token) {                    // attending to a token raises its own logit most
                copied++;
            }
        }
        assertThat(copied / 63.0).isGreaterThan(0.7);
        // end::full-ov[]
        // tag::copying-scores[]
        ComponentScores copying = Measurements.copyingScores(model);          // Re(sum eig) / sum |eig| of each full OV circuit
        assertThat(copying.value(inductionHead.label())).isGreaterThan(0.5f);
        // end::copying-scores[]
        assertThatHead(model, inductionHead).hasCopyingScoreAbove(0.5);
    }

    @Test
    void thePreviousTokenHeadUsesPositions() {
        Circuits circuits = new Circuits(model.config(), model.weights());
        RepeatedTokens probe = RepeatedTokens.forModel(model);
        int[][] tokens = probe.tokens();
        // tag::positional-qk[]
        // W_pos as the layer-0 LayerNorm sees it: divided by the residual stream's typical scale
        float scale = model.runWithCache(tokens, name -> name.equals("blocks.0.ln1.hook_scale")).cache().get("scale0ln1").mean();
        int n = probe.length();                                                              // 47 positions
        Tensor pos = model.weights().wPos().slice(0, 0, n).div(scale);                       // [pos, d_model]
        FactoredMatrix qk = circuits.qk().get(prevHead.layer(), prevHead.head());            // [d_model, d_model]
        Tensor scores = qk.leftMatmul(pos).matmul(pos.mT()).ab().div((float) Math.sqrt(model.config().dHead()));
        Tensor pattern = scores.maskedFill(Tensor.causalMask(n, n), Float.NEGATIVE_INFINITY).softmax(-1);    // [query_pos, key_pos]
        double onPrevious = 0;
        for (int i = 1; i < n; i++) {
            onPrevious += pattern.get(i, i - 1);
        }
        assertThat(onPrevious / (n - 1)).isGreaterThan(0.5);
        // end::positional-qk[]
        // without the scale the pattern is much flatter than the attention the head computes
        assertThat(circuits.positionalPreviousTokenScores(n).get(prevHead.layer(), prevHead.head())).isLessThan((float) (onPrevious / (n - 1)));
        assertThat(Measurements.positionalPreviousTokenScores(model, probe).value(prevHead.label()))
                .isCloseTo((float) (onPrevious / (n - 1)), within(1e-4f));
        assertThatHead(model, prevHead).hasPositionalPreviousTokenScoreAbove(0.5);
    }

    @Test
    void kCompositionBeatsTheBaseline() {
        Circuits circuits = new Circuits(model.config(), model.weights());
        // tag::composition[]
        Tensor k = CompositionScores.all(circuits, CompositionScores.Mode.K);   // [L, H, L, H]
        float score = k.get(prevHead.layer(), prevHead.head(), inductionHead.layer(), inductionHead.head());
        float baseline = CompositionScores.randomBaseline(64, 16, 200, 0);      // random matrices of the same shapes
        assertThat(score).isGreaterThan(1.5f * baseline);
        // end::composition[]
        // tag::claims-composition[]
        assertThatComposition(model, CompositionScores.Mode.K)
                .from(prevHead.layer(), prevHead.head()).to(inductionHead.layer(), inductionHead.head())
                .beatsRandomBaselineBy(1.5)
                .ranksFirst();
        // end::claims-composition[]
    }
}
