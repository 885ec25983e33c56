package dev.lens4j.transformer;

import dev.lens4j.hooks.ActNames;
import dev.lens4j.hooks.HookPoint;
import dev.lens4j.tensor.Parallel;
import dev.lens4j.tensor.matmul.MatrixOperand;

import static dev.lens4j.transformer.HookPoints.Dim.BATCH;
import static dev.lens4j.transformer.HookPoints.Dim.D_MLP;
import static dev.lens4j.transformer.HookPoints.Dim.POS;

/**
 * The MLP of one layer with its hook points, TransformerLens's {@code MLP} and {@code GatedMLP}:
 * <pre>
 *   dense:  hook_pre = x W_in + b_in                hook_post = act(pre)                           out = post W_out + b_out
 *   gated:  hook_pre = x W_gate   hook_pre_linear = x W_in   hook_post = act(pre) * pre_linear + b_in   out = post W_out + b_out
 * </pre>
 * (SwiGLU is the gated form with silu, GeGLU with a tanh GELU.) Its input is the normalised residual
 * stream {@code [N, C]}; its output, before the block's {@code hook_mlp_out}, is {@code [N, C]}.
 */
final class Mlp {

    private final int C, F;
    private final Activation act;
    private final MatrixOperand wIn, wGate, wOut;   // [C, F], [C, F] or null, [F, C]
    private final float[] bIn, bOut;                // [F], [C]
    final HookPoint pre, preLinear, post;

    Mlp(TransformerConfig c, int layer, PreparedWeights.Layer w, HookPoints points) {
        this.C = c.dModel();
        this.F = c.dMlp();
        this.act = c.actFn();
        this.wIn = w.wIn();
        this.wGate = c.gatedMlp() ? w.wGate() : null;
        this.wOut = w.wOut();
        this.bIn = w.bIn();
        this.bOut = w.bOut();
        pre = points.add(ActNames.of("pre", layer), BATCH, POS, D_MLP);
        preLinear = points.addIf(c.gatedMlp(), ActNames.of("pre_linear", layer), BATCH, POS, D_MLP);
        post = points.add(ActNames.of("post", layer), BATCH, POS, D_MLP);
    }

    /**
     * Runs the MLP.
     *
     * @param p the pass
     * @param x {@code [N, C]} the normalised input
     * @return {@code post W_out + b_out}, {@code [N, C]}
     */
    float[] forward(Pass p, float[] x) {
        int N = p.N;
        float[] postAct = new float[N * F];
        if (wGate == null) {
            // hook_pre = x W_in + b_in; hook_post = act(pre)
            float[] h = new float[N * F];
            Linear.apply(x, 0, C, N, wIn, bIn, 0, h, 0, F);
            float[] hookedPre = p.hook(pre, h);
            activation(p, hookedPre, postAct, N * F);
        } else {
            // hook_pre = x W_gate; hook_pre_linear = x W_in; hook_post = act(pre) * pre_linear + b_in
            float[] gate = new float[N * F];
            Linear.apply(x, 0, C, N, wGate, null, 0, gate, 0, F);
            float[] hookedGate = p.hook(pre, gate);
            float[] lin = new float[N * F];
            Linear.apply(x, 0, C, N, wIn, null, 0, lin, 0, F);
            float[] hookedLin = p.hook(preLinear, lin);
            activation(p, hookedGate, postAct, N * F);
            Parallel.forRange(N, Math.max(1, Pass.GRAIN / F), (s, e) -> {
                for (int n = s; n < e; n++) {
                    p.kk.mul(postAct, n * F, hookedLin, n * F, postAct, n * F, F);
                    p.kk.add(postAct, n * F, bIn, 0, postAct, n * F, F);
                }
            });
        }
        float[] hookedPost = p.hook(post, postAct);
        float[] out = new float[N * C];
        Linear.apply(hookedPost, 0, F, N, wOut, bOut, 0, out, 0, C);
        return out;
    }

    /** The activation, elementwise. */
    private void activation(Pass p, float[] x, float[] out, int n) {
        switch (act) {
            case GELU_NEW, GELU_PYTORCH_TANH -> Parallel.forRange(n, Pass.GRAIN, (s, e) -> p.kk.geluNew(x, s, out, s, e - s));
            case GELU -> Parallel.forRange(n, Pass.GRAIN, (s, e) -> {
                for (int i = s; i < e; i++) {
                    out[i] = (float) (0.5 * x[i] * (1 + Erf.erf(x[i] / Math.sqrt(2))));
                }
            });
            case RELU -> Parallel.forRange(n, Pass.GRAIN, (s, e) -> {
                for (int i = s; i < e; i++) {
                    out[i] = Math.max(0f, x[i]);
                }
            });
            case SILU -> Parallel.forRange(n, Pass.GRAIN, (s, e) -> {
                for (int i = s; i < e; i++) {
                    out[i] = (float) (x[i] / (1 + Math.exp(-x[i])));
                }
            });
        }
    }
}
