package dev.lens4j.analysis.text;

import dev.lens4j.analysis.heads.RepeatedTokens;
import dev.lens4j.hooks.ActivationCache;
import dev.lens4j.tensor.Tensor;
import dev.lens4j.transformer.HookedTransformer;
import dev.lens4j.transformer.loading.Models;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/**
 * {@link NaturalTextInduction} on windows whose structure is known by construction (BOS, 23 distinct
 * tokens, the same 23 again), on the shipped induction model, which has the circuit, and the one-layer
 * model of English, which cannot have it; its counts by hand, its fallback shares against the cached
 * patterns read directly, its losses against the model's own loss.
 */
class NaturalTextInductionTest {

    static final int HALF = 23;

    static HookedTransformer induction;
    static HookedTransformer oneLayer;

    @BeforeAll
    static void load() throws Exception {
        induction = Models.fromPretrained("induction-2l");
        oneLayer = Models.fromPretrained("english-1l");
    }

    @AfterAll
    static void close() {
        induction.close();
        oneLayer.close();
    }

    /** {@code n} windows of BOS, then tokens {@code first .. first + 22} in a window-dependent order, then the same again. */
    static int[][] repeatedWindows(int bos, int n, int first) {
        int[][] w = new int[n][1 + 2 * HALF];
        for (int b = 0; b < n; b++) {
            w[b][0] = bos;
            for (int i = 0; i < HALF; i++) {
                int tok = first + (i * 5 + b * 7) % HALF;         // 5 is prime to 23: a permutation
                w[b][1 + i] = tok;
                w[b][1 + HALF + i] = tok;
            }
        }
        return w;
    }

    @Test
    void theCountsAreThoseOfTheConstruction() {
        int[][] w = repeatedWindows(RepeatedTokens.forModel(induction).bos(), 6, 10);
        NaturalTextInduction n = NaturalTextInduction.measure(induction, w);
        assertThat(n.windows()).isEqualTo(6);
        assertThat(n.queries()).isEqualTo(6 * 2 * HALF);
        assertThat(n.queriesWithTarget()).isEqualTo(6 * HALF);            // every token of the second copy, none of the first
        assertThat(n.targetShare()).isEqualTo(0.5);
        // predictions t = 1 .. 2 HALF - 1: the second copy's first 22 continue their first copy; the first copy's 23 are unseen
        assertThat(n.copyable()).isEqualTo(6 * (HALF - 1));
        assertThat(n.seenOtherwise()).isZero();
        assertThat(n.unseen()).isEqualTo(6 * HALF);
        assertThat(Double.isNaN(n.lossSeenOtherwise())).isTrue();
    }

    /** The model with induction heads copies: high scores on the targets and a low loss where copying is right. */
    @Test
    void aModelWithTheCircuitAttendsToTheTargetsAndCopies() {
        NaturalTextInduction n = NaturalTextInduction.measure(induction, repeatedWindows(RepeatedTokens.forModel(induction).bos(), 8, 10));
        float best = n.induction().select(0, 1).max();
        assertThat(best).as("best layer-1 induction score").isGreaterThan(0.5f);
        assertThat(n.previousToken().select(0, 0).max()).as("best layer-0 previous-token score").isGreaterThan(0.5f);
        assertThat(n.lossCopyable()).isLessThan(1.0).isLessThan(n.lossUnseen() - 2.0);
    }

    /** A one-layer model cannot compose a previous-token head with an induction head: no head scores near a perfect one. */
    @Test
    void aOneLayerModelHasNoInductionHead() {
        NaturalTextInduction n = NaturalTextInduction.measure(oneLayer, repeatedWindows(2047, 8, 300));
        assertThat(n.induction().max()).isLessThan(0.5f);
        assertThat(n.lossCopyable()).isGreaterThan(n.lossUnseen() - 2.0);
    }

    /** The fallback shares are the mean attention on BOS and on the query itself over queries without a target, per window. */
    @Test
    void theFallbackSharesAreTheCachedPatternsRead() {
        int[][] w = repeatedWindows(RepeatedTokens.forModel(induction).bos(), 4, 20);
        NaturalTextInduction n = NaturalTextInduction.measure(induction, w);
        ActivationCache cache = induction.runWithCache(w, name -> name.endsWith("hook_pattern")).cache();
        for (int layer = 0; layer < 2; layer++) {
            Tensor pattern = cache.get("blocks." + layer + ".attn.hook_pattern");   // [batch, head, dest, src]
            for (int head = 0; head < 4; head++) {
                double bos = 0, self = 0;
                for (int b = 0; b < w.length; b++) {
                    double sb = 0, ss = 0;
                    for (int i = 1; i <= HALF; i++) {                 // the first copy: no target
                        sb += pattern.get(b, head, i, 0);
                        ss += pattern.get(b, head, i, i);
                    }
                    bos += sb / HALF / w.length;
                    self += ss / HALF / w.length;
                }
                assertThat((double) n.bosWithoutTarget().get(layer, head)).as("L%dH%d on BOS", layer, head).isCloseTo(bos, within(1e-5));
                assertThat((double) n.selfWithoutTarget().get(layer, head)).as("L%dH%d on itself", layer, head).isCloseTo(self, within(1e-5));
            }
        }
    }

    /** The loss by position averages to the model's loss, and the three kinds with the first prediction make it up. */
    @Test
    void theLossesAddUpToTheModelsLoss() {
        int[][] w = repeatedWindows(2047, 5, 500);
        NaturalTextInduction n = NaturalTextInduction.measure(oneLayer, w);
        double mean = 0;
        for (double l : n.lossByPosition()) {
            mean += l / n.lossByPosition().length;
        }
        double total = oneLayer.loss(w);
        assertThat(mean).isCloseTo(total, within(1e-4));
        double parts = n.lossByPosition()[0] * w.length + n.lossCopyable() * n.copyable() + n.lossUnseen() * n.unseen();
        assertThat(parts / n.queries()).isCloseTo(total, within(1e-4));
    }

    @Test
    void badWindowsAreRefusedByName() {
        assertThatThrownBy(() -> NaturalTextInduction.measure(oneLayer, new int[0][])).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("at least one window");
        assertThatThrownBy(() -> NaturalTextInduction.measure(oneLayer, new int[][] {{2047, 5, 6, 5}, {2047, 5, 6}}))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("must all have 4 tokens, got one of 3");
        assertThatThrownBy(() -> NaturalTextInduction.measure(oneLayer, new int[][] {{2047, 5, 6, 7}}))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no query of the 1 windows has an induction target");
    }
}
