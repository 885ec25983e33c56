package dev.lens4j.transformer.train;

import dev.lens4j.transformer.TransformerConfig;
import dev.lens4j.transformer.TransformerWeights;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * A GPT-2-style transformer (attention-only or with MLPs, with or without LayerNorm) that computes its
 * own gradients: parameters, gradients and activations in flat float arrays, one forward and one
 * backward function, after llm.c's {@code GPT2} struct. Dimensions follow {@link Passes}: B batch,
 * T sequence length, C d_model, NH heads, HS d_head, QC = NH HS, V vocabulary, F d_mlp.
 *
 * <p>Buffers are sized for one batch shape {@code [B, T]} at construction. Not thread-safe; the passes
 * themselves use {@link dev.lens4j.tensor.Parallel}.
 */
final class TrainableTransformer {

    final TransformerConfig cfg;
    final ParameterLayout layout;
    final int B, T, C, NH, HS, QC, V, F, L;
    final boolean ln, mlp;

    /** All parameters, laid out by {@link #layout}. */
    final float[] params;
    /** Gradient of the mean loss with respect to {@link #params}, same layout. */
    final float[] grads;

    // parameter offsets
    private final int wte, wpe, lnfW, lnfB, wu, bu;
    private final int[] ln1W, ln1B, wqkv, bqkv, wo, bo, ln2W, ln2B, wIn, bIn, wOut, bOut;

    // activations of the last forward pass
    /** {@code [L + 1][B, T, C]}: resid_pre of each layer, then the final residual stream. */
    final float[][] residual;
    /** {@code [L][B, T, C]} ln1 output ({@code ln1.hook_normalized}), or the residual itself without LayerNorm. */
    final float[][] ln1;
    private final float[][] ln1Mean, ln1Rstd;        // [L][B, T]
    /** {@code [L][B, T, 3 QC]}: q, k, v ({@code hook_q, hook_k, hook_v}). */
    final float[][] qkv;
    /** {@code [L][B, NH, T, T]}: attention patterns ({@code hook_pattern}). */
    final float[][] att;
    /** {@code [L][B, T, QC]}: {@code hook_z}. */
    final float[][] z;
    /** {@code [L][B, T, C]}: {@code hook_attn_out}. */
    final float[][] attnOut;
    private final float[][] residMid, ln2, ln2Mean, ln2Rstd, fch, fchGelu, mlpOut;
    private final float[] lnf, lnfMean, lnfRstd;      // [B, T, C], [B, T], [B, T]
    /** {@code [B, T, V]} logits of the last forward pass. */
    final float[] logits;
    private final float[] probs;                      // [B, T, V]
    /** {@code [B, T]} per-token loss of the last forward pass, 0 where the target was ignored. */
    final float[] losses;

    // gradients of activations, reused across layers
    private final float[] dres, dln, lnScratch, dz, dqkvT, dlogits, dfch, dfchGelu;

    private int[] lastTokens, lastTargets;

    /**
     * @param cfg the architecture (normalization LN or none, gelu_new MLPs or attention-only)
     * @param B batch size
     * @param T sequence length, at most {@code n_ctx}
     * @param params initial parameters in {@link ParameterLayout} order; copied
     */
    TrainableTransformer(TransformerConfig cfg, int B, int T, float[] params) {
        this(cfg, B, T, params.clone(), true);
    }

    /**
     * @param cfg the architecture
     * @param B batch size
     * @param T sequence length
     * @param params parameters in {@link ParameterLayout} order, used (and shared) as they are
     * @param shared marker for this sharing constructor
     */
    TrainableTransformer(TransformerConfig cfg, int B, int T, float[] params, boolean shared) {
        this.cfg = cfg;
        this.layout = new ParameterLayout(cfg);
        if (B < 1 || T < 1 || T > cfg.nCtx()) {
            throw new IllegalArgumentException("batch shape [" + B + ", " + T + "] needs B >= 1 and 1 <= T <= n_ctx = " + cfg.nCtx());
        }
        if (params.length != layout.total()) {
            throw new IllegalArgumentException("expected " + layout.total() + " parameters, got " + params.length);
        }
        this.B = B;
        this.T = T;
        this.C = cfg.dModel();
        this.NH = cfg.nHeads();
        this.HS = cfg.dHead();
        this.QC = NH * HS;
        this.V = cfg.dVocab();
        this.F = cfg.attnOnly() ? 0 : cfg.dMlp();
        this.L = cfg.nLayers();
        this.ln = layout.hasLayerNorm();
        this.mlp = !cfg.attnOnly();
        this.params = params;
        this.grads = new float[params.length];

        wte = layout.offset("embed.W_E");
        wpe = layout.offset("pos_embed.W_pos");
        ln1W = new int[L];
        ln1B = new int[L];
        wqkv = new int[L];
        bqkv = new int[L];
        wo = new int[L];
        bo = new int[L];
        ln2W = new int[L];
        ln2B = new int[L];
        wIn = new int[L];
        bIn = new int[L];
        wOut = new int[L];
        bOut = new int[L];
        for (int l = 0; l < L; l++) {
            String p = "blocks." + l + ".";
            if (ln) {
                ln1W[l] = layout.offset(p + "ln1.w");
                ln1B[l] = layout.offset(p + "ln1.b");
            }
            wqkv[l] = layout.offset(p + "attn.W_QKV");
            bqkv[l] = layout.offset(p + "attn.b_QKV");
            wo[l] = layout.offset(p + "attn.W_O");
            bo[l] = layout.offset(p + "attn.b_O");
            if (mlp) {
                if (ln) {
                    ln2W[l] = layout.offset(p + "ln2.w");
                    ln2B[l] = layout.offset(p + "ln2.b");
                }
                wIn[l] = layout.offset(p + "mlp.W_in");
                bIn[l] = layout.offset(p + "mlp.b_in");
                wOut[l] = layout.offset(p + "mlp.W_out");
                bOut[l] = layout.offset(p + "mlp.b_out");
            }
        }
        lnfW = ln ? layout.offset("ln_final.w") : -1;
        lnfB = ln ? layout.offset("ln_final.b") : -1;
        wu = layout.offset("unembed.W_U");
        bu = layout.offset("unembed.b_U");

        int BT = B * T;
        residual = new float[L + 1][BT * C];
        ln1 = new float[L][];
        ln1Mean = new float[L][];
        ln1Rstd = new float[L][];
        qkv = new float[L][BT * 3 * QC];
        att = new float[L][B * NH * T * T];
        z = new float[L][BT * QC];
        attnOut = new float[L][BT * C];
        residMid = new float[L][];
        ln2 = new float[L][];
        ln2Mean = new float[L][];
        ln2Rstd = new float[L][];
        fch = new float[L][];
        fchGelu = new float[L][];
        mlpOut = new float[L][];
        for (int l = 0; l < L; l++) {
            ln1[l] = ln ? new float[BT * C] : residual[l];
            ln1Mean[l] = ln ? new float[BT] : null;
            ln1Rstd[l] = ln ? new float[BT] : null;
            if (mlp) {
                residMid[l] = new float[BT * C];
                ln2[l] = ln ? new float[BT * C] : residMid[l];
                ln2Mean[l] = ln ? new float[BT] : null;
                ln2Rstd[l] = ln ? new float[BT] : null;
                fch[l] = new float[BT * F];
                fchGelu[l] = new float[BT * F];
                mlpOut[l] = new float[BT * C];
            }
        }
        lnf = ln ? new float[BT * C] : residual[L];
        lnfMean = ln ? new float[BT] : null;
        lnfRstd = ln ? new float[BT] : null;
        logits = new float[BT * V];
        probs = new float[BT * V];
        losses = new float[BT];

        dres = new float[BT * C];
        dln = ln ? new float[BT * C] : null;
        lnScratch = ln ? new float[BT * C] : null;
        dz = new float[BT * QC];
        dqkvT = new float[3 * QC * BT];
        dlogits = new float[BT * V];
        dfch = mlp ? new float[BT * F] : null;
        dfchGelu = mlp ? new float[BT * F] : null;
    }

    /**
     * TransformerLens's default initialisation ({@code init_mode="gpt2"}): every weight matrix and
     * embedding normal with standard deviation {@code 0.8 / sqrt(d_model)}, biases zero, LayerNorm
     * weights one.
     *
     * @param cfg the architecture
     * @param seed the random seed; the same seed gives the same bits on every JVM
     * @return parameters in {@link ParameterLayout} order
     */
    static float[] initialParameters(TransformerConfig cfg, long seed) {
        ParameterLayout layout = new ParameterLayout(cfg);
        float[] p = new float[layout.total()];
        SplittableRandom rng = new SplittableRandom(seed);
        double std = 0.8 / Math.sqrt(cfg.dModel());
        for (ParameterLayout.Entry e : layout.entries()) {
            String leaf = e.name().substring(e.name().lastIndexOf('.') + 1);
            if (leaf.startsWith("W_")) {
                for (int i = 0; i < e.size(); i++) {
                    p[e.offset() + i] = (float) (std * gaussian(rng));
                }
            } else if (leaf.equals("w")) {
                Arrays.fill(p, e.offset(), e.offset() + e.size(), 1f);
            }
        }
        return p;
    }

    /** A standard normal sample (Box-Muller with StrictMath, so identical on every platform). */
    static double gaussian(SplittableRandom rng) {
        double u = 1.0 - rng.nextDouble(); // (0, 1]
        double v = rng.nextDouble();
        return StrictMath.sqrt(-2.0 * StrictMath.log(u)) * StrictMath.cos(2 * StrictMath.PI * v);
    }

    /** @return the parameters in TransformerLens layout (a copy) */
    TransformerWeights weights() {
        return layout.toWeights(params);
    }

    /**
     * Runs the model on a batch and computes the per-token losses.
     *
     * @param tokens {@code [B, T]} token ids
     * @param targets {@code [B, T]} the token to predict at each position, -1 to ignore it (e.g. the last position)
     * @return the mean loss over the positions with a target (0 when there are none)
     * @throws IllegalArgumentException if an array has the wrong length or a token id is out of range
     */
    double forward(int[] tokens, int[] targets) {
        int BT = B * T;
        if (tokens.length != BT || targets.length != BT) {
            throw new IllegalArgumentException("tokens and targets must be [" + B + ", " + T + "] = " + BT
                    + " ids, got " + tokens.length + " and " + targets.length);
        }
        for (int i = 0; i < BT; i++) {
            if (tokens[i] < 0 || tokens[i] >= V || targets[i] < -1 || targets[i] >= V) {
                throw new IllegalArgumentException("token or target out of range [0, " + V + ") at [" + i / T + ", "
                        + i % T + "]: token " + tokens[i] + ", target " + targets[i]);
            }
        }
        lastTokens = tokens;
        lastTargets = targets;
        Passes.encoderForward(residual[0], tokens, params, wte, params, wpe, B, T, C);
        for (int l = 0; l < L; l++) {
            if (ln) {
                Passes.layerNormForward(ln1[l], ln1Mean[l], ln1Rstd[l], residual[l], params, ln1W[l], params, ln1B[l], BT, C, cfg.eps());
            }
            Passes.matmulForward(qkv[l], ln1[l], params, wqkv[l], params, bqkv[l], BT, C, 3 * QC);
            Passes.attentionForward(z[l], att[l], qkv[l], B, T, NH, HS);
            Passes.matmulForward(attnOut[l], z[l], params, wo[l], params, bo[l], BT, QC, C);
            if (!mlp) {
                Passes.residualForward(residual[l + 1], residual[l], attnOut[l], BT * C);
                continue;
            }
            Passes.residualForward(residMid[l], residual[l], attnOut[l], BT * C);
            if (ln) {
                Passes.layerNormForward(ln2[l], ln2Mean[l], ln2Rstd[l], residMid[l], params, ln2W[l], params, ln2B[l], BT, C, cfg.eps());
            }
            Passes.matmulForward(fch[l], ln2[l], params, wIn[l], params, bIn[l], BT, C, F);
            Passes.geluForward(fchGelu[l], fch[l], BT * F);
            Passes.matmulForward(mlpOut[l], fchGelu[l], params, wOut[l], params, bOut[l], BT, F, C);
            Passes.residualForward(residual[l + 1], residMid[l], mlpOut[l], BT * C);
        }
        if (ln) {
            Passes.layerNormForward(lnf, lnfMean, lnfRstd, residual[L], params, lnfW, params, lnfB, BT, C, cfg.eps());
        }
        Passes.matmulForward(logits, lnf, params, wu, params, bu, BT, C, V);
        Passes.crossEntropyForward(losses, probs, logits, targets, BT, V);
        double sum = 0;
        int count = 0;
        for (int i = 0; i < BT; i++) {
            if (targets[i] >= 0) {
                sum += losses[i];
                count++;
            }
        }
        return count == 0 ? 0 : sum / count;
    }

    /**
     * Sets {@link #grads} to the gradient of the mean loss of the last {@link #forward} call.
     *
     * @throws IllegalStateException if {@link #forward} was not called
     */
    void backward() {
        int count = 0;
        for (int target : lastTargets == null ? new int[0] : lastTargets) {
            if (target >= 0) {
                count++;
            }
        }
        backward(count == 0 ? 0f : 1f / count);
    }

    /** @return the number of positions with a target in the last {@link #forward} call */
    int targetCount() {
        int count = 0;
        for (int target : lastTargets) {
            if (target >= 0) {
                count++;
            }
        }
        return count;
    }

    /**
     * Sets {@link #grads} to the gradient of {@code lossScale * sum of the per-token losses} of the last
     * {@link #forward} call ({@code lossScale = 1 / count} gives the mean; a share of a larger batch uses
     * one over the whole batch's count).
     *
     * @param lossScale the weight of each token's loss
     * @throws IllegalStateException if {@link #forward} was not called
     */
    void backward(float lossScale) {
        if (lastTokens == null) {
            throw new IllegalStateException("backward() needs a forward() first");
        }
        int BT = B * T;
        Arrays.fill(grads, 0f);
        Passes.crossEntropyBackward(dlogits, probs, lastTargets, lossScale, BT, V);
        if (ln) {
            Passes.matmulBackward(dln, false, grads, dlogits, lnf, params, wu, bu, BT, C, V);
            Arrays.fill(dres, 0f);
            Passes.layerNormBackward(dres, grads, dln, residual[L], params, lnfW, lnfB, lnfMean, lnfRstd, lnScratch, BT, C);
        } else {
            Passes.matmulBackward(dres, false, grads, dlogits, lnf, params, wu, bu, BT, C, V);
        }
        // dres holds d loss / d resid_post of the layer below; the residual connection passes it through
        // unchanged, and each branch adds its input gradient to it.
        for (int l = L - 1; l >= 0; l--) {
            if (mlp) {
                Passes.matmulBackward(dfchGelu, false, grads, dres, fchGelu[l], params, wOut[l], bOut[l], BT, F, C);
                Passes.geluBackward(dfch, fch[l], dfchGelu, BT * F);
                if (ln) {
                    Passes.matmulBackward(dln, false, grads, dfch, ln2[l], params, wIn[l], bIn[l], BT, C, F);
                    Passes.layerNormBackward(dres, grads, dln, residMid[l], params, ln2W[l], ln2B[l], ln2Mean[l], ln2Rstd[l], lnScratch, BT, C);
                } else {
                    Passes.matmulBackward(dres, true, grads, dfch, ln2[l], params, wIn[l], bIn[l], BT, C, F);
                }
            }
            Passes.matmulBackward(dz, false, grads, dres, z[l], params, wo[l], bo[l], BT, QC, C);
            Passes.attentionBackward(dqkvT, dz, qkv[l], att[l], B, T, NH, HS);
            if (ln) {
                Passes.matmulBackwardTransposed(dln, false, grads, dqkvT, ln1[l], params, wqkv[l], bqkv[l], BT, C, 3 * QC);
                Passes.layerNormBackward(dres, grads, dln, residual[l], params, ln1W[l], ln1B[l], ln1Mean[l], ln1Rstd[l], lnScratch, BT, C);
            } else {
                Passes.matmulBackwardTransposed(dres, true, grads, dqkvT, ln1[l], params, wqkv[l], bqkv[l], BT, C, 3 * QC);
            }
        }
        Passes.encoderBackward(grads, wte, grads, wpe, dres, lastTokens, B, T, C);
    }
}
