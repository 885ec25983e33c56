package dev.lens4j.analysis.induction;

import dev.lens4j.analysis.attribution.ComponentStack;
import dev.lens4j.analysis.attribution.DirectLogitAttribution;
import dev.lens4j.analysis.attribution.ResidualStream;
import dev.lens4j.analysis.circuits.Circuits;
import dev.lens4j.analysis.circuits.CompositionScores;
import dev.lens4j.analysis.heads.HeadDetection;
import dev.lens4j.analysis.heads.HeadDetector;
import dev.lens4j.analysis.heads.InductionEvals;
import dev.lens4j.analysis.interventions.Ablation;
import dev.lens4j.hooks.ActivationCache;
import dev.lens4j.tensor.Tensor;
import dev.lens4j.transformer.HookedTransformer;
import dev.lens4j.transformer.loading.Models;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The evidence ladder on lens4j's shipped 2-layer attention-only induction model, loaded as
 * TransformerLens's {@code from_pretrained} would (processed weights: LayerNorm folded, writing
 * weights centred, value biases folded). The heads are found, not hard-coded: the previous-token
 * head is layer 0's best previous-token scorer; the induction heads are the layer-1 heads whose
 * induction score exceeds 0.5.
 *
 * <p>The model is committed and loaded from the class path by name: if it is missing (a packaging
 * break), these tests fail rather than skip.
 *
 * <p>The recipe trains several redundant induction heads (the shipped model has all four layer-1
 * heads at 0.69 to 0.73 on ShippedModelTest's probe), so ablating one of them costs little: the
 * others still copy. The claim "ablating the induction head raises the repeated-half loss by more
 * than a nat" therefore holds for the set of induction heads, not for any one of them; the ablation
 * test measures both and asserts the redundancy (the set costs more than its members' costs added
 * up). The attribution test likewise asks that the heads with the largest direct logit attribution
 * be induction heads.
 */
class InductionModelTest {

    static final String NAME = "induction-2l";
    static final int N = 20; // block length of the repeated random tokens; 2N + 1 fits in the model's context

    static HookedTransformer model;
    static int[][] repeated;   // [batch][1 + 2N]: BOS, A, A
    static int prevHead;       // in layer 0
    static int[] inductionHeads; // in layer 1
    static Tensor inductionScores;

    @BeforeAll
    static void load() throws IOException {
        // -Dlens4j.induction.dir=<checkpoint folder> checks a retrained model instead of the shipped one
        String dir = System.getProperty("lens4j.induction.dir");
        model = dir != null ? Models.fromPretrained(Path.of(dir)) : Models.fromPretrained(NAME);
        int bos = InductionEvals.bos(model);
        repeated = InductionEvals.repeatedTokens(16, N, bos, 0, model.config().dVocab(), 2024);
        Tensor prev = HeadDetection.detectHead(model, repeated, "previous_token_head", true, false, HeadDetector.ErrorMeasure.MUL);
        prevHead = prev.select(0, 0).argmax();
        inductionScores = InductionEvals.inductionScores(model, repeated, N);
        inductionHeads = IntStream.range(0, model.config().nHeads()).filter(h -> inductionScores.get(1, h) > 0.5f).toArray();
        // every test below is about these heads: none would make their loops assert nothing
        assertThat(inductionHeads).as("layer-1 heads with an induction score above 0.5: %s", inductionScores.select(0, 1)).isNotEmpty();
    }

    @AfterAll
    static void close() {
        if (model != null) {
            model.close();
        }
    }

    @Test
    void theModelHasAPreviousTokenHeadAndInductionHeads() {
        Tensor prev = HeadDetection.detectHead(model, repeated, "previous_token_head", true, false, HeadDetector.ErrorMeasure.MUL);
        assertThat(prev.get(0, prevHead)).as("previous-token score of head 0.%d", prevHead).isGreaterThan(0.4f);
        assertThat(inductionHeads).as("layer-1 heads with an induction score above 0.5: %s", inductionScores.select(0, 1)).isNotEmpty();
        // layer 0 cannot do induction: it has no previous-token information to compose with
        assertThat(inductionScores.select(0, 0).max()).isLessThan(0.2f);
    }

    @Test
    void kCompositionOfThePreviousTokenHeadIntoTheInductionHeadsIsWellAboveChance() {
        Circuits circuits = new Circuits(model.config(), model.weights());
        Tensor k = CompositionScores.all(circuits, CompositionScores.Mode.K);
        float baseline = CompositionScores.randomBaseline(model.config().dModel(), model.config().dHead(), 200, 1);
        for (int h : inductionHeads) {
            float score = k.get(0, prevHead, 1, h);
            assertThat(score).as("K-composition 0.%d -> 1.%d against a random baseline of %f", prevHead, h, baseline)
                    .isGreaterThan(1.5f * baseline);
            // and the previous-token head is the layer-0 head that composes most with it
            assertThat(k.select(0, 0).select(1, 1).select(1, h).argmax()).isEqualTo(prevHead);
        }
    }

    @Test
    void theInductionHeadsCopyTokens() {
        Tensor copying = new Circuits(model.config(), model.weights()).copyingScores(); // [n_layers, n_heads]
        for (int h : inductionHeads) {
            assertThat(copying.get(1, h)).as("copying score of head 1.%d", h).isGreaterThan(0.5f);
        }
    }

    /**
     * Zero-ablating the induction heads together raises the repeated-half loss by more than a nat;
     * each one alone raises it a little (a positive effect), and the set's effect exceeds the sum of
     * the single effects: the heads are redundant, each covering for the others, which is why the
     * issue's "more than 1 nat" is a claim about the set.
     */
    @Test
    void ablatingTheInductionHeadsRaisesTheRepeatedHalfLossByMoreThanOneNat() {
        int bos = InductionEvals.bos(model);
        int[][] tokens = InductionEvals.inductionLossTokens(16, N, bos, 0, model.config().dVocab(), 7);
        float clean = InductionEvals.inductionLoss(model, tokens, N);
        float ablated = InductionEvals.inductionLoss(model, tokens, N, Ablation.heads(1, inductionHeads).zero());
        float setEffect = ablated - clean;
        float[] single = new float[inductionHeads.length];
        float sumOfSingles = 0;
        for (int i = 0; i < inductionHeads.length; i++) {
            single[i] = InductionEvals.inductionLoss(model, tokens, N, Ablation.head(1, inductionHeads[i]).zero()) - clean;
            sumOfSingles += single[i];
        }
        String report = String.format("clean loss %.4f; ablating heads 1.%s together +%.4f nats, one at a time %s (sum %.4f)",
                clean, Arrays.toString(inductionHeads), setEffect, Arrays.toString(single), sumOfSingles);
        System.out.println(report);
        assertThat(setEffect).as(report).isGreaterThan(1f);
        for (int i = 0; i < single.length; i++) {
            assertThat(single[i]).as("ablating head 1.%d alone: %s", inductionHeads[i], report).isPositive();
        }
        assertThat(setEffect).as("redundancy: %s", report).isGreaterThan(sumOfSingles);
        // the previous-token head feeds them all: ablating it alone costs more than a nat too
        float noPrev = InductionEvals.inductionLoss(model, tokens, N, Ablation.head(0, prevHead).zero());
        assertThat(noPrev - clean).as("loss with head 0.%d ablated", prevHead).isGreaterThan(1f);
    }

    @Test
    void inductionHeadsHaveTheLargestDirectLogitAttributionOnRepeatedTokens() {
        ActivationCache cache = model.runWithCache(repeated).cache();
        ResidualStream stream = ResidualStream.of(model, cache);
        ComponentStack heads = stream.stackHeadResults(-1, false, false);
        // attribute each position of the repeated copy to its next token
        int b = repeated.length, p = repeated[0].length;
        int[][] next = new int[b][p];
        for (int i = 0; i < b; i++) {
            for (int t = 0; t + 1 < p; t++) {
                next[i][t] = repeated[i][t + 1];
            }
        }
        Tensor attrs = DirectLogitAttribution.of(model, cache).logitAttrs(heads, next, null).values(); // [heads, batch, pos]
        Tensor mean = attrs.slice(2, N + 1, 2 * N).mean(2, false).mean(1, false);                      // [heads]
        int h = model.config().nHeads();
        float weakestInduction = Float.MAX_VALUE, strongestOther = -Float.MAX_VALUE;
        for (int i = 0; i < heads.size(); i++) {
            int layer = i / h, head = i % h;
            boolean induction = layer == 1 && Arrays.stream(inductionHeads).anyMatch(x -> x == head);
            if (induction) {
                weakestInduction = Math.min(weakestInduction, mean.get(i));
            } else {
                strongestOther = Math.max(strongestOther, mean.get(i));
            }
        }
        assertThat(weakestInduction).as("DLA %s over %s", mean, heads.labels()).isGreaterThan(strongestOther);
    }
}
