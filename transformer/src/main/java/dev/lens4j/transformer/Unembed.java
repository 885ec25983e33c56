package dev.lens4j.transformer;

import dev.lens4j.tensor.Parallel;
import dev.lens4j.tensor.Tensor;
import dev.lens4j.tensor.matmul.MatrixOperand;

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
    private final float[] bU;             // [d_vocab_out] or null (zero)
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

    /**
     * @param p the pass
     * @param resid {@code [N, C]} the final residual stream
     * @return logits {@code [B, T, d_vocab_out]}
     */
    Tensor forward(Pass p, float[] resid) {
        float[] x = lnFinal.forward(p, resid, p.N);
        float[] logits = new float[p.N * V];
        Linear.apply(x, 0, C, p.N, wU, bU, 0, logits, 0, V);
        if (softCap > 0) {
            Parallel.forRange(logits.length, Pass.GRAIN, (s, e) -> {
                for (int i = s; i < e; i++) {
                    logits[i] = (float) (softCap * Math.tanh(logits[i] / softCap));
                }
            });
        }
        return Tensor.of(logits, p.B, p.T, V);
    }
}
