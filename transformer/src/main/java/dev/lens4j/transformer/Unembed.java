package dev.lens4j.transformer;

import dev.lens4j.tensor.Parallel;
import dev.lens4j.tensor.Tensor;
import dev.lens4j.tensor.matmul.MatrixOperand;
import java.util.Arrays;

import static dev.lens4j.transformer.HookPoints.Dim.BATCH;
import static dev.lens4j.transformer.HookPoints.Dim.D_MODEL;
import static dev.lens4j.transformer.HookPoints.Dim.ONE;
import static dev.lens4j.transformer.HookPoints.Dim.POS;

/**
 * The end of the model: the final norm ({@code ln_final}, with its hook points) and the unembedding,
 * {@code logits = ln_final(resid) W_U + b_U}, soft-capped as {@code cap tanh(logits / cap)} when the
 * config has an output logit soft cap (Gemma 2).
 */
final class Unembed {

    private final int C, V;
    final Norm lnFinal;
    private final MatrixOperand wU;       // [C, d_vocab_out]
    private final float[] bU;             // [d_vocab_out]
    private final float softCap;

    Unembed(TransformerConfig c, PreparedWeights w, HookPoints points) {
        this.C = c.dModel();
        this.V = c.dVocabOut();
        this.lnFinal = new Norm(c.normalization(), "ln_final", w.lnFinalW, w.lnFinalB, C, c.eps(), points,
                new HookPoints.Dim[] {BATCH, POS, ONE}, new HookPoints.Dim[] {BATCH, POS, D_MODEL});
        this.wU = w.wU;
        this.bU = w.bU;
        this.softCap = c.outputLogitsSoftCap();
    }

    /** What the backward pass needs: the normalised input and the (soft-capped) logits. */
    private record Saved(float[] x, float[] logits) {}

    /**
     * The final norm and the unembedding.
     *
     * @param p the pass
     * @param resid {@code [N, C]} the final residual stream
     * @return logits {@code [B, T, d_vocab_out]}
     */
    Tensor forward(Pass p, float[] resid) {
        float[] x = lnFinal.forward(p, resid, p.N);
        float[] logits = new float[p.N * V];
        if (p.logitRows == null) {
            Linear.apply(p, x, 0, C, p.N, wU, Linear.unlessZero(bU), 0, logits, 0, V);
        } else {
            // only the rows asked for (ForwardOptions.logitPositions); the others are NaN
            Linear.applyRows(p, x, p.N, p.logitRows, wU, Linear.unlessZero(bU), logits);
            for (int r = 0, j = 0; r < p.N; r++) {
                if (j < p.logitRows.length && p.logitRows[j] == r) {
                    j++;
                } else {
                    Arrays.fill(logits, r * V, (r + 1) * V, Float.NaN);
                }
            }
        }
        if (p.grad) {
            p.save(this, new Saved(x, logits));
        }
        if (softCap > 0) {
            Parallel.forRange(logits.length, Pass.GRAIN, (s, e) -> {
                for (int i = s; i < e; i++) {
                    logits[i] = (float) (softCap * p.tanh(logits[i] / softCap));
                }
            });
        }
        return Tensor.of(logits, p.B, p.T, V);
    }

    /**
     * The backward pass: from the gradient of the logits to that of the final residual stream,
     * through the soft cap, W_U and ln_final, adding to W_U's and b_U's gradients.
     *
     * @param p the pass
     * @param dLogits {@code [N, d_vocab_out]}
     * @return {@code [N, C]}
     */
    float[] backward(Pass p, float[] dLogits) {
        Saved sv = p.saved(this);
        int N = p.N;
        float[] d = dLogits;
        if (softCap > 0) {
            // logits = cap tanh(l / cap): dl = d (1 - (logits / cap)^2)
            float[] dl = new float[d.length];
            Parallel.forRange(d.length, Pass.GRAIN, (s, e) -> {
                for (int i = s; i < e; i++) {
                    float r = sv.logits()[i] / softCap;
                    // a zero gradient stays zero where the logit was not computed (NaN: ForwardOptions.logitPositions)
                    dl[i] = dLogits[i] == 0f ? 0f : dLogits[i] * (1 - r * r);
                }
            });
            d = dl;
        }
        float[] dx = new float[N * C];
        Linear.backwardInput(d, 0, V, N, wU, dx, 0, C, false);
        if (p.weightGrads != null) {
            p.weightGrads.addInputOuterProduct(wU, sv.x(), 0, C, d, 0, V, N);
            p.weightGrads.addColumnSums(bU, 0, d, 0, V, N, V);
        }
        return lnFinal.backward(p, dx);
    }
}
