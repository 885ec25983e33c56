package dev.lens4j.analysis.interventions;

import dev.lens4j.analysis.attribution.RandomModels;
import dev.lens4j.hooks.ActNames;
import dev.lens4j.hooks.HookSpec;
import dev.lens4j.tensor.Parallel;
import dev.lens4j.tensor.Tensor;
import dev.lens4j.transformer.HookedTransformer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

class ActivationPatchingTest {

    static final int V = 20, P = 7, K = 3; // clean and corrupted differ only at position K

    /**
     * Two passes over the same numbers agree bit for bit with the scalar kernels, but only to about
     * 1e-6 with the Vector API ones: their float reductions may round differently before and after
     * the JIT compiles them. So "exactly" below means within this.
     */
    static final float EPS = 1e-5f;

    private HookedTransformer model;
    private int[][] clean;
    private int[][] corrupted;
    private Metric diff;
    private ActivationPatching patching;
    private int threads;

    @BeforeEach
    void setUp() {
        threads = Parallel.threads();
        model = RandomModels.small(17);
        clean = RandomModels.tokens(2, P, V, 1);
        corrupted = new int[2][];
        for (int b = 0; b < 2; b++) {
            corrupted[b] = clean[b].clone();
            corrupted[b][K] = (clean[b][K] + 1 + b) % V;
        }
        diff = Metrics.logitDiff(-1, new int[] {4, 9}, new int[] {11, 2});
        patching = ActivationPatching.of(model, clean, corrupted, diff);
    }

    @AfterEach
    void tearDown() {
        Parallel.setThreads(threads);
        model.close();
    }

    @Test
    void patchingTheWholeFirstResidualStreamReproducesTheCleanRunExactly() {
        float cleanValue = patching.cleanMetric();
        assertThat(Math.abs(patching.corruptedMetric() - cleanValue)).isGreaterThan(100 * EPS);
        assertThat(patching.run(Patch.all("blocks.0.hook_resid_pre"))).isCloseTo(cleanValue, within(EPS));
        // patching every position one at a time, all in one run, is the same thing
        Patch[] each = new Patch[P];
        for (int p = 0; p < P; p++) {
            each[p] = Patch.position(ActNames.of("resid_pre", 0), p);
        }
        assertThat(patching.run(each)).isCloseTo(cleanValue, within(EPS));
    }

    @Test
    void residPreSweepRestoresTheCleanRunOnlyWhereTheRunsDiffer() {
        float cleanValue = patching.cleanMetric(), corruptedValue = patching.corruptedMetric();
        Tensor r = patching.withMetric(Metrics.normalised(diff, cleanValue, corruptedValue)).residPre();
        assertThat(r.shape()).containsExactly(2, P);
        for (int p = 0; p < P; p++) {
            // at layer 0 the runs differ only in the embedding of position K
            assertThat(r.get(0, p)).as("layer 0, position %d", p)
                    .isCloseTo(p == K ? 1f : 0f, within(EPS / Math.abs(cleanValue - corruptedValue)));
        }
        // raw values: at positions before K every layer's residual stream is the same in both runs
        Tensor raw = patching.residPre();
        for (int l = 0; l < 2; l++) {
            for (int p = 0; p < K; p++) {
                assertThat(raw.get(l, p)).isCloseTo(corruptedValue, within(EPS));
            }
        }
    }

    @Test
    void headSweepsHaveTransformerLensShapesAndIndexOrder() {
        float corruptedValue = patching.corruptedMetric();
        Tensor all = patching.headOutAllPos();
        assertThat(all.shape()).containsExactly(2, 4);
        for (int l = 0; l < 2; l++) {
            for (int h = 0; h < 4; h++) {
                assertThat(all.get(l, h)).isCloseTo(patching.run(Patch.head(ActNames.of("z", l), h)), within(EPS));
            }
        }
        Tensor byPos = patching.headOutByPos();
        assertThat(byPos.shape()).containsExactly(2, P, 4);
        Tensor pattern = patching.headPatternByPos();
        assertThat(pattern.shape()).containsExactly(2, 4, P);
        for (int l = 0; l < 2; l++) {
            for (int h = 0; h < 4; h++) {
                for (int p = 0; p < K; p++) {
                    // before K, z and the attention rows are the same in both runs: the patch changes nothing
                    assertThat(byPos.get(l, p, h)).isCloseTo(corruptedValue, within(EPS));
                    assertThat(pattern.get(l, h, p)).isCloseTo(corruptedValue, within(EPS));
                }
                assertThat(byPos.get(l, P - 1, h)).isCloseTo(patching.run(Patch.headAtPosition(ActNames.of("z", l), P - 1, h)), within(EPS));
                assertThat(pattern.get(l, h, P - 1))
                        .isCloseTo(patching.run(Patch.headAtPosition(ActNames.of("pattern", l), P - 1, h)), within(EPS));
            }
        }
        assertThat(patching.headVectorByPos("k").shape()).containsExactly(2, P, 4);
        assertThat(patching.headAllPosEvery().shape()).containsExactly(5, 2, 4);
        Tensor every = patching.blockEvery();
        assertThat(every.shape()).containsExactly(3, 2, P);
        assertThat(every.select(0, 2).maxAbsDiff(patching.mlpOut())).isLessThan(EPS);
    }

    /** A patched run starts at the patched block from the corrupted run's cached stream; a full run must agree. */
    @Test
    void patchedRunsStartingAtThePatchedBlockEqualFullRuns() {
        for (String name : new String[] {"blocks.1.attn.hook_z", "blocks.1.hook_resid_pre", "blocks.1.hook_mlp_out", "hook_embed"}) {
            Tensor cleanAct = patching.cleanCache().get(name);
            Patch patch = Patch.position(name, K);
            // the full run, from the embedding, with the same setter as a plain per-call hook
            Tensor logits = model.runWithHooks(corrupted,
                    HookSpec.of(name, (act, point) -> patch.setter().patch(act, cleanAct)));
            assertThat(patching.run(patch)).as(name).isCloseTo(diff.apply(logits), within(EPS));
        }
        Tensor sweep = patching.residPre();
        for (int p = 0; p < P; p++) {
            Patch patch = Patch.position("blocks.1.hook_resid_pre", p);
            Tensor cleanAct = patching.cleanCache().get("resid_pre", 1);
            Tensor logits = model.runWithHooks(corrupted,
                    HookSpec.of("blocks.1.hook_resid_pre", (act, point) -> patch.setter().patch(act, cleanAct)));
            assertThat(sweep.get(1, p)).isCloseTo(diff.apply(logits), within(EPS));
        }
    }

    @Test
    void sweepsGiveTheSameNumbersOnOneAndTwoThreads() {
        Parallel.setThreads(1);
        Tensor one = patching.headOutByPos();
        Tensor oneResid = patching.attnOut();
        Parallel.setThreads(2);
        assertThat(patching.headOutByPos().maxAbsDiff(one)).isLessThan(EPS);
        assertThat(patching.attnOut().maxAbsDiff(oneResid)).isLessThan(EPS);
    }

    @Test
    void genericSweepVisitsIndicesInRowMajorOrder() {
        int[] seen = new int[6];
        Tensor r = patching.generic(new int[] {2, 3}, i -> {
            seen[i[0] * 3 + i[1]]++;
            return new Patch(ActNames.of("resid_post", i[0]), (c, cl) -> c.add((float) (i[0] * 3 + i[1])));
        });
        assertThat(seen).containsOnly(1);
        assertThat(r.get(1, 2)).isCloseTo(patching.run(new Patch("blocks.1.hook_resid_post", (c, cl) -> c.add(5f))), within(EPS));
        assertThat(r.get(0, 0)).isCloseTo(patching.corruptedMetric(), within(EPS));
    }

    @Test
    void badPatchesAreNamed() {
        assertThatThrownBy(() -> patching.run(Patch.all("blocks.5.hook_resid_pre"))).hasMessageContaining("no hook point 'blocks.5.hook_resid_pre'");
        assertThatThrownBy(() -> Patch.head("blocks.0.hook_resid_pre", 1)).hasMessageContaining("no head dimension");
        assertThatThrownBy(() -> ActivationPatching.of(model, clean, new int[][] {clean[0]}, diff)).hasMessageContaining("same [batch][pos]");
        ActivationPatching smaller = new ActivationPatching(model, new int[][] {corrupted[0]}, patching.cleanCache(), logits -> 0f);
        assertThatThrownBy(() -> smaller.run(Patch.all("blocks.0.hook_resid_pre")))
                .hasMessageContaining("clean activation [2, 7, 16] of blocks.0.hook_resid_pre does not match the corrupted run's [1, 7, 16]");
        ActivationPatching noLogits = new ActivationPatching(model, corrupted, patching.cleanCache(), diff);
        assertThatThrownBy(noLogits::cleanMetric).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> patching.headVectorAllPos("x")).hasMessageContaining("q, k, v or z");
        // an index outside the activation names the hook point, its shape and the axis
        assertThatThrownBy(() -> patching.run(Patch.head("blocks.0.attn.hook_z", 99)))
                .hasMessageContaining("index 99 on axis 2 is outside blocks.0.attn.hook_z [2, 7, ")
                .hasMessageContaining("negative indices count from the end");
        assertThatThrownBy(() -> patching.run(Patch.position("blocks.0.hook_resid_pre", 50)))
                .hasMessageContaining("index 50 on axis 1 is outside blocks.0.hook_resid_pre [2, 7, 16] (7 there");
        assertThatThrownBy(() -> patching.run(Patch.position("blocks.0.hook_resid_pre", -8))).hasMessageContaining("index -8 on axis 1");
        assertThat(patching.run(Patch.position("blocks.0.hook_resid_pre", -7))).isEqualTo(patching.run(Patch.position("blocks.0.hook_resid_pre", 0)));
    }
}
