package dev.lens4j.transformer;

import dev.lens4j.hooks.ActNames;
import dev.lens4j.hooks.HookPoint;
import dev.lens4j.tensor.Parallel;

import static dev.lens4j.transformer.HookPoints.Dim.BATCH;
import static dev.lens4j.transformer.HookPoints.Dim.D_MODEL;
import static dev.lens4j.transformer.HookPoints.Dim.N_HEADS;
import static dev.lens4j.transformer.HookPoints.Dim.N_KV_HEADS;
import static dev.lens4j.transformer.HookPoints.Dim.ONE;
import static dev.lens4j.transformer.HookPoints.Dim.POS;

/**
 * One transformer block, TransformerLens's {@code TransformerBlock}, assembled from components:
 * <pre>
 *   sequential:      resid_mid  = resid_pre + attn_out(ln1(resid_pre))
 *                    resid_post = resid_mid + mlp_out(ln2(resid_mid))
 *   parallel:        resid_post = resid_pre + attn_out(ln1(resid_pre)) + mlp_out(ln2(resid_pre))
 *   attention-only:  resid_post = resid_pre + attn_out(ln1(resid_pre))
 * </pre>
 * With {@code use_normalization_before_and_after} (Gemma 2), {@code ln1_post} and {@code ln2_post}
 * normalise the attention and MLP outputs before {@code hook_attn_out} and {@code hook_mlp_out}, so
 * those hooks see what is added to the residual stream. The block registers its hook points and its
 * components' in TransformerLens's firing order.
 */
final class Block {

    private final TransformerConfig cfg;
    private final int C, H, KV;
    final HookPoint residPre, attnIn, qInput, kInput, vInput;
    final Norm ln1;
    final Attention attn;
    final Norm ln1Post;                  // or null
    final HookPoint attnOut;
    final HookPoint residMid, mlpIn;
    final Norm ln2;                      // or null (attention-only)
    final Mlp mlp;                       // or null
    final Norm ln2Post;                  // or null
    final HookPoint mlpOut, residPost;

    Block(TransformerConfig c, int l, PreparedWeights.Layer w, Rotary rotary, HookPoints points) {
        this.cfg = c;
        this.C = c.dModel();
        this.H = c.nHeads();
        this.KV = c.nKvHeads();
        Normalization norm = c.normalization();
        float eps = c.eps();
        boolean perHead = c.useAttnIn() || c.useSplitQkvInput();
        String p = "blocks." + l + ".";
        residPre = points.add(ActNames.of("resid_pre", l), BATCH, POS, D_MODEL);
        attnIn = points.addIf(HookSwitch.ATTN_IN, c.useAttnIn(), ActNames.of("attn_in", l), BATCH, POS, N_HEADS,
                D_MODEL);
        qInput = points.addIf(HookSwitch.SPLIT_QKV_INPUT, c.useSplitQkvInput(), ActNames.of("q_input", l),
                BATCH, POS, N_HEADS, D_MODEL);
        kInput = points.addIf(HookSwitch.SPLIT_QKV_INPUT, c.useSplitQkvInput(), ActNames.of("k_input", l),
                BATCH, POS, N_KV_HEADS, D_MODEL);
        vInput = points.addIf(HookSwitch.SPLIT_QKV_INPUT, c.useSplitQkvInput(), ActNames.of("v_input", l),
                BATCH, POS, N_KV_HEADS, D_MODEL);
        HookPoints.Dim[] scale = perHead ? dims(BATCH, POS, N_HEADS, ONE) : dims(BATCH, POS, ONE);
        HookPoints.Dim[] normalized = perHead ? dims(BATCH, POS, N_HEADS, D_MODEL) : dims(BATCH, POS, D_MODEL);
        ln1 = new Norm(norm, p + "ln1", w.ln1W(), w.ln1B(), C, eps, points, scale, normalized);
        attn = new Attention(c, l, w, rotary, points);
        Normalization post = TransformerWeights.postNorm(norm);
        ln1Post = c.useNormalizationBeforeAndAfter()
                ? new Norm(post, p + "ln1_post", w.ln1PostW(), w.ln1PostB(), C, eps, points, dims(BATCH, POS, ONE), dims(BATCH, POS, D_MODEL))
                : null;
        attnOut = points.add(ActNames.of("attn_out", l), BATCH, POS, D_MODEL);
        boolean mlpPresent = !c.attnOnly();
        residMid = points.addIf(c.hasResidMid(), ActNames.of("resid_mid", l), BATCH, POS, D_MODEL);
        mlpIn = mlpPresent
                ? points.addIf(HookSwitch.HOOK_MLP_IN, c.useHookMlpIn(), ActNames.of("mlp_in", l), BATCH, POS, D_MODEL)
                : null;
        ln2 = mlpPresent ? new Norm(norm, p + "ln2", w.ln2W(), w.ln2B(), C, eps, points, dims(BATCH, POS, ONE), dims(BATCH, POS, D_MODEL)) : null;
        mlp = mlpPresent ? new Mlp(c, l, w, points) : null;
        ln2Post = mlpPresent && c.useNormalizationBeforeAndAfter()
                ? new Norm(post, p + "ln2_post", w.ln2PostW(), w.ln2PostB(), C, eps, points, dims(BATCH, POS, ONE), dims(BATCH, POS, D_MODEL))
                : null;
        mlpOut = points.addIf(mlpPresent, ActNames.of("mlp_out", l), BATCH, POS, D_MODEL);
        residPost = points.add(ActNames.of("resid_post", l), BATCH, POS, D_MODEL);
    }

    private static HookPoints.Dim[] dims(HookPoints.Dim... d) {
        return d;
    }

    /**
     * Runs the block.
     *
     * @param p the pass
     * @param residIn {@code [N, C]} the residual stream entering the block
     * @param rope this pass's rotary angles, or null
     * @return {@code hook_resid_post}, {@code [N, C]}
     */
    float[] forward(Pass p, float[] residIn, Rotary.Table rope) {
        int N = p.N;
        float[] pre = p.hook(residPre, residIn);
        // the inputs of Q, K and V: one normalisation of the residual stream, or per-head copies of it
        Attention.Inputs in;
        if (cfg.useAttnIn()) {
            float[] x = ln1.forwardHeads(p, p.hook(attnIn, repeatHeads(p, pre, H)), H);
            in = new Attention.Inputs(new float[][] {x, x, x}, true);
        } else if (cfg.useSplitQkvInput()) {
            // as TransformerLens: the three input hooks fire, then ln1 once for each
            float[] qIn = p.hook(qInput, repeatHeads(p, pre, H));
            float[] kIn = p.hook(kInput, repeatHeads(p, pre, KV));
            float[] vIn = p.hook(vInput, repeatHeads(p, pre, KV));
            float[] xq = ln1.forwardHeads(p, qIn, H);
            float[] xk = ln1.forwardHeads(p, kIn, KV);
            float[] xv = ln1.forwardHeads(p, vIn, KV);
            in = new Attention.Inputs(new float[][] {xq, xk, xv}, true);
        } else {
            float[] x = ln1.forward(p, pre, N);
            in = new Attention.Inputs(new float[][] {x, x, x}, false);
        }
        float[] a = attn.forward(p, in, rope, ln1Post == null ? attnOut : null);
        if (ln1Post != null) {
            a = ln1Post.forward(p, a, N);
        }
        a = p.hook(attnOut, a);
        if (mlp == null) {
            return p.hook(residPost, p.add(residPost, pre, a, N * C));
        }
        if (cfg.parallelAttnMlp()) {
            float[] m = mlpOut(p, pre);
            return p.hook(residPost, p.add(residPost, pre, a, m, N * C));
        }
        float[] mid = p.hook(residMid, p.add(residMid, pre, a, N * C));
        float[] m = mlpOut(p, mid);
        return p.hook(residPost, p.add(residPost, mid, m, N * C));
    }

    /**
     * The backward pass: from the gradient of {@code hook_resid_post} to that of the block's input,
     * through every hook point in reverse, adding to the weights' gradients.
     *
     * @param p the pass
     * @param dPostIn {@code [N, C]} the gradient of the residual stream leaving the block
     * @return {@code [N, C]} the gradient of the residual stream entering it
     */
    float[] backward(Pass p, float[] dPostIn) {
        int N = p.N;
        float[] dPost = p.hookGrad(residPost, dPostIn);
        float[] dPre;
        if (mlp == null) {
            dPre = p.add(dPost, attentionBackward(p, dPost), N * C);
        } else if (cfg.parallelAttnMlp()) {
            float[] viaMlp = mlpBackward(p, dPost);
            float[] viaAttn = attentionBackward(p, dPost);
            dPre = p.add(dPost, viaMlp, viaAttn, N * C);
        } else {
            float[] viaMlp = mlpBackward(p, dPost);
            float[] dMid = p.hookGrad(residMid, p.add(dPost, viaMlp, N * C));
            dPre = p.add(dMid, attentionBackward(p, dMid), N * C);
        }
        return p.hookGrad(residPre, dPre);
    }

    /** From the gradient of {@code hook_mlp_out}'s consumer to that of the MLP's input (the residual stream). */
    private float[] mlpBackward(Pass p, float[] d) {
        float[] g = p.hookGrad(mlpOut, d);
        if (ln2Post != null) {
            g = ln2Post.backward(p, g);
        }
        float[] dIn = ln2.backward(p, mlp.backward(p, g));
        return p.hookGrad(mlpIn, dIn);
    }

    /** From the gradient of {@code hook_attn_out}'s consumer to that of the attention's input (the residual stream). */
    private float[] attentionBackward(Pass p, float[] d) {
        int N = p.N;
        float[] g = p.hookGrad(attnOut, d);
        if (ln1Post != null) {
            g = ln1Post.backward(p, g);
        }
        float[][] dIn = attn.backward(p, g);
        if (dIn.length == 1) {
            return ln1.backward(p, dIn[0]);
        }
        if (cfg.useAttnIn()) {
            // one normalised input for all three parts: their gradients add up before ln1, which ran once
            float[] sum = p.add(dIn[0], dIn[1], dIn[2], N * H * C);
            return sumHeads(p, p.hookGrad(attnIn, ln1.backward(p, sum)), H);
        }
        // split inputs: ln1 ran once per part (query, key, value), so its backward runs in reverse
        float[] dv = ln1.backward(p, dIn[2]);
        float[] dk = ln1.backward(p, dIn[1]);
        float[] dq = ln1.backward(p, dIn[0]);
        float[] fromQ = sumHeads(p, p.hookGrad(qInput, dq), H);
        float[] fromK = sumHeads(p, p.hookGrad(kInput, dk), KV);
        float[] fromV = sumHeads(p, p.hookGrad(vInput, dv), KV);
        return p.add(fromQ, fromK, fromV, N * C);
    }

    /** {@code [N, heads, C]} summed over heads: {@code [N, C]}. */
    private float[] sumHeads(Pass p, float[] x, int heads) {
        float[] out = new float[p.N * C];
        Parallel.forRange(p.N, Math.max(1, Pass.GRAIN / (heads * C)), (s, e) -> {
            for (int n = s; n < e; n++) {
                for (int h = 0; h < heads; h++) {
                    p.kk.add(out, n * C, x, (n * heads + h) * C, out, n * C, C);
                }
            }
        });
        return out;
    }

    /** hook_mlp_out of the MLP reading {@code x} (through hook_mlp_in, which gets its own copy, as TL clones it). */
    private float[] mlpOut(Pass p, float[] x) {
        float[] in = p.active(mlpIn) ? p.hook(mlpIn, x.clone()) : x;
        float[] m = mlp.forward(p, ln2.forward(p, in, p.N), ln2Post == null ? mlpOut : null);
        if (ln2Post != null) {
            m = ln2Post.forward(p, m, p.N);
        }
        return p.hook(mlpOut, m);
    }

    /** {@code [N, C]} rows repeated over heads: {@code [N, heads, C]}. */
    private float[] repeatHeads(Pass p, float[] x, int heads) {
        float[] out = new float[p.N * heads * C];
        Parallel.forRange(p.N, Math.max(1, Pass.GRAIN / (heads * C)), (s, e) -> {
            for (int n = s; n < e; n++) {
                for (int h = 0; h < heads; h++) {
                    System.arraycopy(x, n * C, out, (n * heads + h) * C, C);
                }
            }
        });
        return out;
    }
}
