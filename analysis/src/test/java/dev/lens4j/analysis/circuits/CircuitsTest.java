package dev.lens4j.analysis.circuits;

import dev.lens4j.transformer.Normalization;
import dev.lens4j.tensor.Parallel;
import dev.lens4j.tensor.Tensor;
import dev.lens4j.transformer.PositionalEmbedding;
import dev.lens4j.transformer.TransformerConfig;
import dev.lens4j.transformer.TransformerWeights;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

class CircuitsTest {

    static final int L = 3, H = 2, D = 16, DH = 4, V = 10, CTX = 8;

    static TransformerConfig config() {
        return TransformerConfig.builder().nLayers(L).dModel(D).nHeads(H).dHead(DH).attnOnly(true).nCtx(CTX).dVocab(V).normalization(Normalization.LN_PRE).modelName("random").build();
    }

    static TransformerWeights randomWeights(long seed) {
        TransformerWeights.Builder w = TransformerWeights.builder(config());
        for (int l = 0; l < L; l++) {
            long s = seed * 100 + l * 10;
            String p = "blocks." + l + ".attn.";
            w.put(p + "W_Q", Tensor.randn(s + 1, H, D, DH)).put(p + "W_K", Tensor.randn(s + 2, H, D, DH))
                    .put(p + "W_V", Tensor.randn(s + 3, H, D, DH)).put(p + "W_O", Tensor.randn(s + 4, H, DH, D));
        }
        return w.put("embed.W_E", Tensor.randn(seed + 7, V, D)).put("pos_embed.W_pos", Tensor.randn(seed + 8, CTX, D))
                .put("unembed.W_U", Tensor.randn(seed + 9, D, V)).build();
    }

    @Test
    void allCompositionScoresEqualPairwiseScoresAndAreZeroForEarlierLayers() {
        Circuits c = new Circuits(config(), randomWeights(3));
        for (CompositionScores.Mode mode : CompositionScores.Mode.values()) {
            Tensor all = CompositionScores.all(c, mode);
            assertThat(all.shape()).containsExactly(L, H, L, H);
            for (int l1 = 0; l1 < L; l1++) {
                for (int h1 = 0; h1 < H; h1++) {
                    for (int l2 = 0; l2 < L; l2++) {
                        for (int h2 = 0; h2 < H; h2++) {
                            float got = all.get(l1, h1, l2, h2);
                            if (l2 <= l1) {
                                assertThat(got).isZero();
                                continue;
                            }
                            FactoredMatrix wb = switch (mode) {
                                case Q -> c.qk().get(l2, h2);
                                case K -> c.qk().get(l2, h2).transpose();
                                case V -> c.ov().get(l2, h2);
                            };
                            FactoredMatrix wa = c.ov().get(l1, h1);
                            float dense = wa.ab().matmul(wb.ab()).norm() / (wa.ab().norm() * wb.ab().norm());
                            assertThat(got).as("%s-composition L%dH%d -> L%dH%d", mode, l1, h1, l2, h2)
                                    .isCloseTo(dense, within(dense * 2e-3f));
                        }
                    }
                }
            }
        }
    }

    /**
     * Every head's scores are one task with its own slots in the output (and its products run on that
     * task's thread), so the thread count changes nothing.
     */
    @Test
    void allCompositionScoresAreTheSameOnOneAndTwoThreads() {
        int saved = Parallel.threads();
        try {
            for (CompositionScores.Mode mode : CompositionScores.Mode.values()) {
                Parallel.setThreads(1);
                Tensor one = CompositionScores.all(new Circuits(config(), randomWeights(4)), mode);
                Parallel.setThreads(2);
                Tensor two = CompositionScores.all(new Circuits(config(), randomWeights(4)), mode);
                assertThat(two.toArray()).as("%s-composition", mode).containsExactly(one.toArray(), within(1e-6f));
            }
        } finally {
            Parallel.setThreads(saved);
        }
    }

    @Test
    void copyingScoreIsOneForAHeadThatCopiesTokens() {
        // W_E = W_U^T and OV = identity on the embedding space: the full OV circuit is W_E W_E^T, positive semi-definite
        TransformerWeights w = randomWeights(5);
        Tensor wE = w.wE();
        Tensor wV = Tensor.zeros(H, D, DH);
        Tensor wO = Tensor.zeros(H, DH, D);
        for (int i = 0; i < DH; i++) {
            wV.set(1f, 0, i, i);
            wO.set(1f, 0, i, i);
            wV.set(1f, 1, i, i);
            wO.set(-1f, 1, i, i); // head 1 suppresses instead: score -1
        }
        TransformerWeights copy = w.toBuilder(config()).put("blocks.0.attn.W_V", wV).put("blocks.0.attn.W_O", wO)
                .put("embed.W_E", wE).put("unembed.W_U", wE.mT().contiguous()).build();
        Tensor scores = new Circuits(config(), copy).copyingScores();
        // the same as the eigenvalues of the factored full OV circuit (B A ordering)
        Tensor viaFactored = new Circuits(config(), copy).fullOv().eigenvalues().positivityScore();
        assertThat(scores.maxAbsDiff(viaFactored)).isLessThan(1e-4f);
        assertThat(scores.shape()).containsExactly(L, H);
        assertThat(scores.get(0, 0)).isCloseTo(1f, within(1e-4f));
        assertThat(scores.get(0, 1)).isCloseTo(-1f, within(1e-4f));
        // top OV outputs equal the ranking of the dense full OV circuit's row
        Circuits circuits = new Circuits(config(), copy);
        Tensor denseFullOv = wE.matmul(wV.select(0, 0)).matmul(wO.select(0, 0)).matmul(copy.wU());
        for (int t = 0; t < V; t++) {
            int[] top = circuits.topOvOutputs(0, 0, t, 3);
            Tensor row = denseFullOv.select(0, t);
            assertThat(top[0]).isEqualTo(row.argmax());
            assertThat(row.get(top[0])).isGreaterThanOrEqualTo(row.get(top[1]));
            assertThat(row.get(top[1])).isGreaterThanOrEqualTo(row.get(top[2]));
        }
    }

    @Test
    void perHeadRowsEqualTheFullCircuits() {
        Circuits c = new Circuits(config(), randomWeights(2));
        Tensor fullOv = c.fullOv().get(1, 1).ab();
        Tensor fullQk = c.fullQk().get(2, 0).ab();
        for (int t = 0; t < V; t++) {
            assertThat(c.ovRow(1, 1, t).maxAbsDiff(fullOv.select(0, t))).isLessThan(1e-2f * Math.max(1f, fullOv.abs().max()));
            assertThat(c.qkRow(2, 0, t).maxAbsDiff(fullQk.select(0, t))).isLessThan(1e-2f * Math.max(1f, fullQk.abs().max()));
        }
    }

    /** Bad arguments are named: a head outside the model, a negative count, and which QK the norms of queries leave. */
    @Test
    void badArgumentsAreNamed() {
        Circuits c = new Circuits(config(), randomWeights(5));
        assertThatThrownBy(() -> c.positionalPattern(9, 0, 4)).hasMessage("head L9H0 is outside the model's 3 layers x 2 heads");
        assertThatThrownBy(() -> c.topOvOutputs(0, 0, 0, -1)).hasMessage("k -1 is negative: ask for 0 or more top entries");
        assertThat(c.topOvOutputs(0, 0, 0, 0)).isEmpty();
        assertThat(c.topOvOutputs(0, 0, 0, 99)).hasSize(V);
        assertThat(Circuits.qkLeavesOutNorms(config())).isEmpty();
        TransformerConfig normed = config().toBuilder().positionalEmbedding(PositionalEmbedding.ROTARY).rotaryDim(DH)
                .normalization(Normalization.RMS_PRE).useQkNorm(true).modelName("qk-normed").build();
        assertThat(Circuits.qkLeavesOutNorms(normed)).hasValueSatisfying(why -> assertThat(why)
                .startsWith("model qk-normed normalises each head's queries and keys (use_qk_norm)"));
    }

    @Test
    void aLayerNormScaleDividesThePositionalEmbeddings() {
        TransformerWeights w = randomWeights(4);
        TransformerWeights halved = w.with("pos_embed.W_pos", w.wPos().div(2f));
        Tensor scaled = new Circuits(config(), w).positionalPattern(1, 1, CTX, 2f);
        Tensor direct = new Circuits(config(), halved).positionalPattern(1, 1, CTX);
        assertThat(scaled.maxAbsDiff(direct)).isLessThan(1e-6f);
        Tensor scores = new Circuits(config(), w).positionalPreviousTokenScores(CTX, new float[] {2f, 2f, 2f});
        Tensor viaHalved = new Circuits(config(), halved).positionalPreviousTokenScores(CTX);
        assertThat(scores.maxAbsDiff(viaHalved)).isLessThan(1e-6f);
    }

    @Test
    void positionalPatternIsCausalAndNormalised() {
        Tensor p = new Circuits(config(), randomWeights(1)).positionalPattern(1, 0, CTX);
        assertThat(p.shape()).containsExactly(CTX, CTX);
        for (int i = 0; i < CTX; i++) {
            assertThat(p.select(0, i).sum()).isCloseTo(1f, within(1e-5f));
            for (int j = i + 1; j < CTX; j++) {
                assertThat(p.get(i, j)).isZero();
            }
        }
    }
}
