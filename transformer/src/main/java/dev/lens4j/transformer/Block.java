package dev.lens4j.transformer;

import dev.lens4j.hooks.ActNames;
import dev.lens4j.hooks.HookPoint;
import dev.lens4j.tensor.Parallel;

import static dev.lens4j.transformer.HookPoints.Dim.BATCH;
import static dev.lens4j.transformer.HookPoints.Dim.D_MODEL;
import static dev.lens4j.transformer.HookPoints.Dim.N_HEADS;
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
    private final int C, H;
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
        Normalization norm = c.normalization();
        float eps = c.eps();
        boolean perHead = c.useAttnIn() || c.useSplitQkvInput();
        String p = "blocks." + l + ".";
        residPre = points.add(ActNames.of("resid_pre", l), BATCH, POS, D_MODEL);
        attnIn = points.addIf(c.useAttnIn(), ActNames.of("attn_in", l), BATCH, POS, N_HEADS, D_MODEL);
        qInput = points.addIf(c.useSplitQkvInput(), ActNames.of("q_input", l), BATCH, POS, N_HEADS, D_MODEL);
        kInput = points.addIf(c.useSplitQkvInput(), ActNames.of("k_input", l), BATCH, POS, N_HEADS, D_MODEL);
        vInput = points.addIf(c.useSplitQkvInput(), ActNames.of("v_input", l), BATCH, POS, N_HEADS, D_MODEL);
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
        mlpIn = points.addIf(mlpPresent && c.useHookMlpIn(), ActNames.of("mlp_in", l), BATCH, POS, D_MODEL);
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
            float[] x = ln1.forward(p, p.hook(attnIn, repeatHeads(p, pre)), N * H);
            in = new Attention.Inputs(new float[][] {x, x, x}, true);
        } else if (cfg.useSplitQkvInput()) {
            // as TransformerLens: the three input hooks fire, then ln1 once for each
            float[] qIn = p.hook(qInput, repeatHeads(p, pre));
            float[] kIn = p.hook(kInput, repeatHeads(p, pre));
            float[] vIn = p.hook(vInput, repeatHeads(p, pre));
            float[] xq = ln1.forward(p, qIn, N * H);
            float[] xk = ln1.forward(p, kIn, N * H);
            float[] xv = ln1.forward(p, vIn, N * H);
            in = new Attention.Inputs(new float[][] {xq, xk, xv}, true);
        } else {
            float[] x = ln1.forward(p, pre, N);
            in = new Attention.Inputs(new float[][] {x, x, x}, false);
        }
        float[] a = attn.forward(p, in, rope);
        if (ln1Post != null) {
            a = ln1Post.forward(p, a, N);
        }
        a = p.hook(attnOut, a);
        if (mlp == null) {
            return p.hook(residPost, p.add(pre, a, N * C));
        }
        if (cfg.parallelAttnMlp()) {
            float[] m = mlpOut(p, pre);
            return p.hook(residPost, p.add(pre, a, m, N * C));
        }
        float[] mid = p.hook(residMid, p.add(pre, a, N * C));
        float[] m = mlpOut(p, mid);
        return p.hook(residPost, p.add(mid, m, N * C));
    }

    /** hook_mlp_out of the MLP reading {@code x} (through hook_mlp_in, which gets its own copy, as TL clones it). */
    private float[] mlpOut(Pass p, float[] x) {
        float[] in = p.active(mlpIn) ? p.hook(mlpIn, x.clone()) : x;
        float[] m = mlp.forward(p, ln2.forward(p, in, p.N));
        if (ln2Post != null) {
            m = ln2Post.forward(p, m, p.N);
        }
        return p.hook(mlpOut, m);
    }

    /** {@code [N, C]} rows repeated over heads: {@code [N, H, C]}. */
    private float[] repeatHeads(Pass p, float[] x) {
        float[] out = new float[p.N * H * C];
        Parallel.forRange(p.N, Math.max(1, Pass.GRAIN / (H * C)), (s, e) -> {
            for (int n = s; n < e; n++) {
                for (int h = 0; h < H; h++) {
                    System.arraycopy(x, n * C, out, (n * H + h) * C, C);
                }
            }
        });
        return out;
    }
}
