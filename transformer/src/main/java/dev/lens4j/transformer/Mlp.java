package dev.lens4j.transformer;

import dev.lens4j.hooks.ActNames;
import dev.lens4j.hooks.HookPoint;
import dev.lens4j.tensor.Parallel;
import dev.lens4j.tensor.kernel.Erf;
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

    /** What the backward pass needs: the input and the hooked values of each step. */
    private record Saved(float[] x, float[] pre, float[] preLinear, float[] post) {}

    /**
     * Runs the MLP.
     *
     * @param p the pass
     * @param x {@code [N, C]} the normalised input
     * @param outPoint the block's hook point that will show the output ({@code hook_mlp_out}), or null
     *        when another step comes between ({@link Pass#arrayFor})
     * @return {@code post W_out + b_out}, {@code [N, C]}
     */
    float[] forward(Pass p, float[] x, HookPoint outPoint) {
        int N = p.N;
        // pre, pre_linear and post live only in this step: scratch shared by the layers when nothing sees them
        float[] postAct = p.scratchFor(post, Pass.Scratch.MLP_POST, N * F);
        float[] savedPre, savedLin = null;
        boolean geluNew = act == Activation.GELU_NEW || act == Activation.GELU_PYTORCH_TANH;
        if (wGate == null && geluNew && !p.active(pre) && !p.grad && bIn != null
                && Linear.applyGeluNew(p, x, N, wIn, bIn, postAct)) {
            // nothing sees hook_pre: the bias and gelu_new are the GEMM's epilogue, no pre array at all
            savedPre = null;
        } else if (wGate == null) {
            // hook_pre = x W_in + b_in; hook_post = act(pre)
            float[] h = p.scratchFor(pre, Pass.Scratch.MLP_PRE, N * F);
            Linear.apply(p, x, 0, C, N, wIn, bIn, 0, h, 0, F);
            float[] hookedPre = p.hook(pre, h);
            savedPre = hookedPre;
            activation(p, hookedPre, postAct, N * F);
        } else {
            // hook_pre = x W_gate; hook_pre_linear = x W_in; hook_post = act(pre) * pre_linear + b_in
            float[] gate = p.scratchFor(pre, Pass.Scratch.MLP_PRE, N * F);
            Linear.apply(p, x, 0, C, N, wGate, null, 0, gate, 0, F);
            float[] hookedGate = p.hook(pre, gate);
            float[] lin = p.scratchFor(preLinear, Pass.Scratch.MLP_PRE_LINEAR, N * F);
            Linear.apply(p, x, 0, C, N, wIn, null, 0, lin, 0, F);
            float[] hookedLin = p.hook(preLinear, lin);
            savedPre = hookedGate;
            savedLin = hookedLin;
            activation(p, hookedGate, postAct, N * F);
            Parallel.forRange(N, Math.max(1, Pass.GRAIN / F), (s, e) -> {
                for (int n = s; n < e; n++) {
                    p.kk.mul(postAct, n * F, hookedLin, n * F, postAct, n * F, F);
                    p.kk.add(postAct, n * F, bIn, 0, postAct, n * F, F);
                }
            });
        }
        float[] hookedPost = p.hook(post, postAct);
        if (p.grad) {
            p.save(this, new Saved(x, savedPre, savedLin, hookedPost));
        }
        float[] out = p.arrayFor(outPoint, N * C);
        Linear.apply(p, hookedPost, 0, F, N, wOut, bOut, 0, out, 0, C);
        return out;
    }

    /**
     * The backward pass: from the gradient of the MLP's output to that of its input, through
     * {@code hook_post}, {@code hook_pre} (and {@code hook_pre_linear}), adding to the weights'
     * gradients.
     *
     * @param p the pass
     * @param dOut {@code [N, C]}
     * @return {@code [N, C]} the gradient of the normalised input
     */
    float[] backward(Pass p, float[] dOut) {
        Saved sv = p.saved(this);
        int N = p.N;
        float[] dPostRaw = new float[N * F];
        Linear.backwardInput(dOut, 0, C, N, wOut, dPostRaw, 0, F, false);
        if (p.weightGrads != null) {
            p.weightGrads.addInputOuterProduct(wOut, sv.post(), 0, F, dOut, 0, C, N);
            p.weightGrads.addColumnSums(bOut, 0, dOut, 0, C, N, C);
        }
        float[] dPost = p.hookGrad(post, dPostRaw);
        float[] dx = new float[N * C];
        if (wGate == null) {
            float[] dPre = new float[N * F];
            Parallel.forRange(N * F, Pass.GRAIN, (s, e) -> {
                for (int i = s; i < e; i++) {
                    dPre[i] = dPost[i] * derivative(p, sv.pre()[i]);
                }
            });
            float[] g = p.hookGrad(pre, dPre);
            Linear.backwardInput(g, 0, F, N, wIn, dx, 0, C, false);
            if (p.weightGrads != null) {
                p.weightGrads.addInputOuterProduct(wIn, sv.x(), 0, C, g, 0, F, N);
                p.weightGrads.addColumnSums(bIn, 0, g, 0, F, N, F);
            }
            return dx;
        }
        // post = act(gate) * lin + b_in
        float[] dGate = new float[N * F], dLin = new float[N * F];
        Parallel.forRange(N * F, Pass.GRAIN, (s, e) -> {
            for (int i = s; i < e; i++) {
                float gt = sv.pre()[i];
                dGate[i] = dPost[i] * sv.preLinear()[i] * derivative(p, gt);
                dLin[i] = dPost[i] * value(p, gt);
            }
        });
        if (p.weightGrads != null) {
            p.weightGrads.addColumnSums(bIn, 0, dPost, 0, F, N, F);
        }
        float[] gGate = p.hookGrad(pre, dGate);
        float[] gLin = p.hookGrad(preLinear, dLin);
        Linear.backwardInput(gGate, 0, F, N, wGate, dx, 0, C, false);
        Linear.backwardInput(gLin, 0, F, N, wIn, dx, 0, C, true);
        if (p.weightGrads != null) {
            p.weightGrads.addInputOuterProduct(wGate, sv.x(), 0, C, gGate, 0, F, N);
            p.weightGrads.addInputOuterProduct(wIn, sv.x(), 0, C, gLin, 0, F, N);
        }
        return dx;
    }

    /** The activation of one value, as {@link #activation} computes it. */
    private float value(Pass p, float x) {
        return switch (act) {
            case GELU_NEW, GELU_PYTORCH_TANH -> (float) (0.5 * x * (1 + p.tanh(SQRT_2_OVER_PI * (x + 0.044715 * x * x * x))));
            case GELU -> Erf.gelu(x, p.reproducible);
            case RELU -> Math.max(0f, x);
            case SILU -> (float) (x / (1 + p.exp(-x)));
        };
    }

    private static final double SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);
    private static final double SQRT_2 = Math.sqrt(2);
    private static final double SQRT_2_PI = Math.sqrt(2 * Math.PI);

    /** The activation's derivative at {@code x}. */
    private float derivative(Pass p, float x) {
        return switch (act) {
            case GELU_NEW, GELU_PYTORCH_TANH -> {
                double u = SQRT_2_OVER_PI * (x + 0.044715 * x * x * x);
                double t = p.tanh(u);
                yield (float) (0.5 * (1 + t) + 0.5 * x * (1 - t * t) * SQRT_2_OVER_PI * (1 + 3 * 0.044715 * x * x));
            }
            case GELU -> (float) (0.5 * (1 + Erf.erf(x / SQRT_2, p.reproducible)) + x * p.exp(-0.5 * x * x) / SQRT_2_PI);
            case RELU -> x > 0 ? 1f : 0f;
            case SILU -> {
                double sg = 1 / (1 + p.exp(-x));
                yield (float) (sg * (1 + x * (1 - sg)));
            }
        };
    }

    /**
     * The activation, elementwise: the kernels' {@code gelu_new} or {@code gelu} (a reproducible pass's
     * kernels compute {@link #value}'s bits), else {@link #value} of each element.
     */
    private void activation(Pass p, float[] x, float[] out, int n) {
        if (act == Activation.GELU_NEW || act == Activation.GELU_PYTORCH_TANH) {
            Parallel.forRange(n, Pass.GRAIN, (s, e) -> p.kk.geluNew(x, s, out, s, e - s));
        } else if (act == Activation.GELU) {
            Parallel.forRange(n, Pass.GRAIN, (s, e) -> p.kk.gelu(x, s, out, s, e - s));
        } else {
            Parallel.forRange(n, Pass.GRAIN, (s, e) -> {
                for (int i = s; i < e; i++) {
                    out[i] = value(p, x[i]);
                }
            });
        }
    }
}
