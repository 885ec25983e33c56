package dev.lens4j.transformer.processing;

import dev.lens4j.tensor.Tensor;
import dev.lens4j.transformer.Normalization;
import dev.lens4j.transformer.PositionalEmbedding;
import dev.lens4j.transformer.TransformerConfig;
import dev.lens4j.transformer.TransformerWeights;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * TransformerLens's weight processing ({@code HookedTransformer.load_and_process_state_dict}): the
 * simplifications {@code from_pretrained} applies by default, step by step and with the same
 * formulas and the same rules for which step applies to which model, so that processed weights equal
 * TransformerLens's for every family.
 *
 * <table>
 *   <caption>Which steps apply</caption>
 *   <tr><th>step</th><th>applies to</th><th>as TransformerLens</th></tr>
 *   <tr><td>fold_ln</td><td>LN (weights and biases folded, reading weights centred; becomes LNPre) and RMS
 *       (weights folded, nothing centred; becomes RMSPre)</td><td>{@code fold_layer_norm}, with
 *       {@code fold_biases=False, center_weights=False} for RMS</td></tr>
 *   <tr><td>center_writing_weights</td><td>LN and LNPre models only (the mean of the residual stream is
 *       irrelevant only before a LayerNorm); W_pos only with learned positions</td><td>skipped with a
 *       warning for RMS models</td></tr>
 *   <tr><td>center_unembed</td><td>models without an output logit soft cap (a soft cap is not invariant to
 *       a shift of the logits)</td><td>{@code from_pretrained} turns it off for a soft cap</td></tr>
 *   <tr><td>fold_value_biases</td><td>every model; grouped value biases are repeated over their query
 *       heads for the sum, then zeroed</td><td>{@code fold_value_biases}</td></tr>
 * </table>
 * The norms after attention and after the MLP ({@code ln1_post}, {@code ln2_post}, Gemma 2) are never
 * folded, as in TransformerLens.
 *
 * <p>Every step returns new tensors and leaves its input untouched (input tensors may be read-only
 * views of a memory-mapped checkpoint); tensors a step does not change are shared with the input.
 * Sums and means accumulate in double precision. The steps work on a state dict (TransformerLens
 * names); each touches one block's parameters at a time ({@link #processBlock}) or only those outside
 * the blocks ({@link #processEnds}), so a loader that reads one block at a time can hold one
 * unprocessed block at a time.
 *
 * <pre>{@code
 * WeightProcessing.Processed p = WeightProcessing.process(cfg, weights, ProcessingOptions.defaults());
 * p.config().normalization();        // LN_PRE for a GPT-2 checkpoint, RMS_PRE for a Llama one
 * p.weights().layers().get(0).bV();  // all zeros: folded into b_O
 * }</pre>
 */
public final class WeightProcessing {

    private WeightProcessing() {}

    /**
     * Processed weights and the config that describes them (folding turns LN into LNPre and RMS into
     * RMSPre).
     *
     * @param config the config after processing
     * @param weights the weights after processing
     */
    public record Processed(TransformerConfig config, TransformerWeights weights) {}

    /**
     * Applies the enabled steps in TransformerLens's order: fold_ln, center_writing_weights,
     * center_unembed, fold_value_biases, refactor_factored_attn_matrices, each where it applies (see
     * the table above).
     *
     * @param cfg the model's config
     * @param weights its weights, shaped as {@code cfg} says
     * @param options the steps to apply
     * @return the processed config and weights
     * @throws IllegalArgumentException if a step cannot apply to this model (refactoring grouped attention)
     */
    public static Processed process(TransformerConfig cfg, TransformerWeights weights, ProcessingOptions options) {
        if (options.isNone()) {
            return new Processed(cfg, weights);
        }
        Map<String, Tensor> sd = new LinkedHashMap<>(weights.stateDict());
        processEnds(cfg, sd, options);
        for (int l = 0; l < cfg.nLayers(); l++) {
            processBlock(cfg, l, sd, options);
        }
        TransformerConfig out = processedConfig(cfg, options);
        return new Processed(out, TransformerWeights.fromStateDict(out, sd, "processed weights of " + cfg.modelName()));
    }

    /**
     * The config that describes processed weights: LNPre instead of LN and RMSPre instead of RMS when
     * fold_ln applies, otherwise {@code cfg}.
     *
     * @param cfg the model's config
     * @param options the steps to apply
     * @return the config after processing
     */
    public static TransformerConfig processedConfig(TransformerConfig cfg, ProcessingOptions options) {
        return folds(cfg, options) ? cfg.withNormalization(cfg.normalization().folded()) : cfg;
    }

    /**
     * The enabled steps, applied to block {@code l}'s parameters in a state dict, in place of the map's
     * entries: fold_ln of ln1 and ln2 into the weights that read them, center_writing_weights of W_O,
     * b_O, W_out, b_out, fold_value_biases and refactor_factored_attn_matrices, with the rules of
     * {@link #process}.
     *
     * @param cfg the model's (unprocessed) config
     * @param l the block index
     * @param sd a state dict holding at least block {@code l}'s parameters; its entries are replaced
     * @param options the steps to apply
     * @throws IllegalArgumentException if a parameter a step needs is missing (named)
     */
    public static void processBlock(TransformerConfig cfg, int l, Map<String, Tensor> sd, ProcessingOptions options) {
        Names n = new Names(cfg, l);
        if (folds(cfg, options)) {
            boolean ln = cfg.normalization() == Normalization.LN;
            Tensor w1 = need(sd, n.p + "ln1.w");
            Tensor b1 = ln ? need(sd, n.p + "ln1.b") : null;
            for (String[] wb : new String[][] {{n.wQ, n.bQ}, {n.wK, n.bK}, {n.wV, n.bV}}) {
                foldReader(sd, wb[0], wb[1], w1, b1, ln);
            }
            sd.remove(n.p + "ln1.w");
            sd.remove(n.p + "ln1.b");
            if (!cfg.attnOnly()) {
                Tensor w2 = need(sd, n.p + "ln2.w");
                Tensor b2 = ln ? need(sd, n.p + "ln2.b") : null;
                foldReader(sd, n.p + "mlp.W_in", n.p + "mlp.b_in", w2, b2, ln);
                if (cfg.gatedMlp()) {
                    // as TL: the gate is scaled but neither takes ln2.b (b_in gets it through W_in) nor is centred
                    foldReader(sd, n.p + "mlp.W_gate", null, w2, null, false);
                }
                sd.remove(n.p + "ln2.w");
                sd.remove(n.p + "ln2.b");
            }
        }
        if (centersWritingWeights(cfg, options)) {
            sd.put(n.p + "attn.W_O", centerLastAxis(need(sd, n.p + "attn.W_O")));
            sd.put(n.p + "attn.b_O", centerLastAxis(need(sd, n.p + "attn.b_O")));
            if (!cfg.attnOnly()) {
                sd.put(n.p + "mlp.W_out", centerLastAxis(need(sd, n.p + "mlp.W_out")));
                sd.put(n.p + "mlp.b_out", centerLastAxis(need(sd, n.p + "mlp.b_out")));
            }
        }
        if (options.foldValueBiases()) {
            sd.put(n.p + "attn.b_O", Tensor.of(foldedOutputBias(cfg, sd, n), cfg.dModel()));
            sd.put(n.bV, Tensor.zeros(need(sd, n.bV).shape()));
        }
        if (options.refactorFactoredAttnMatrices()) {
            if (cfg.groupedQueryAttention()) {
                throw new IllegalArgumentException("refactor_factored_attn_matrices is not supported with grouped-query attention"
                        + " (n_key_value_heads " + cfg.nKeyValueHeads() + ")");
            }
            refactorFactoredAttnMatrices(sd, n);
        }
    }

    /**
     * The enabled steps, applied to the parameters outside the blocks, in place of the map's entries:
     * fold_ln of ln_final into W_U (and b_U for LayerNorm), center_writing_weights of W_E and W_pos,
     * center_unembed, with the rules of {@link #process}.
     *
     * @param cfg the model's (unprocessed) config
     * @param sd a state dict holding at least the parameters outside the blocks; its entries are replaced
     * @param options the steps to apply
     * @throws IllegalArgumentException if ln_final's parameters are missing when fold_ln applies
     */
    public static void processEnds(TransformerConfig cfg, Map<String, Tensor> sd, ProcessingOptions options) {
        if (folds(cfg, options)) {
            boolean ln = cfg.normalization() == Normalization.LN;
            foldReader(sd, "unembed.W_U", ln ? "unembed.b_U" : null, need(sd, "ln_final.w"), ln ? need(sd, "ln_final.b") : null, ln);
            sd.remove("ln_final.w");
            sd.remove("ln_final.b");
        }
        if (centersWritingWeights(cfg, options)) {
            sd.put("embed.W_E", centerLastAxis(need(sd, "embed.W_E")));
            if (cfg.positionalEmbedding() == PositionalEmbedding.STANDARD) {
                sd.put("pos_embed.W_pos", centerLastAxis(need(sd, "pos_embed.W_pos")));
            }
        }
        if (centersUnembed(cfg, options)) {
            sd.put("unembed.W_U", centerLastAxis(need(sd, "unembed.W_U")));
            sd.put("unembed.b_U", centerLastAxis(need(sd, "unembed.b_U")));
        }
    }

    /** fold_ln applies to models whose norms have weights: LN and RMS. */
    private static boolean folds(TransformerConfig cfg, ProcessingOptions options) {
        return options.foldLn() && cfg.normalization().hasWeight();
    }

    /** center_writing_weights applies only before LayerNorms (LN, LNPre). */
    private static boolean centersWritingWeights(TransformerConfig cfg, ProcessingOptions options) {
        return options.centerWritingWeights() && cfg.normalization().centers();
    }

    /** center_unembed applies unless the logits are soft-capped. */
    private static boolean centersUnembed(TransformerConfig cfg, ProcessingOptions options) {
        return options.centerUnembed() && !(cfg.outputLogitsSoftCap() > 0);
    }

    /** The state-dict names of one block's attention parameters (grouped K and V have a leading underscore). */
    private static final class Names {
        final String p, wQ, wK, wV, bQ, bK, bV;

        Names(TransformerConfig cfg, int l) {
            p = "blocks." + l + ".";
            String g = cfg.groupedQueryAttention() ? "_" : "";
            wQ = p + "attn.W_Q";
            wK = p + "attn." + g + "W_K";
            wV = p + "attn." + g + "W_V";
            bQ = p + "attn.b_Q";
            bK = p + "attn." + g + "b_K";
            bV = p + "attn." + g + "b_V";
        }
    }

    // ------------------------------------------------------------------ fold_ln

    /**
     * Folds a norm's weight {@code w} (and a LayerNorm's bias {@code b}) into one reader
     * {@code weight [g.., d, n]} (leading dimensions are groups, e.g. heads) with bias {@code [g.., n]}:
     * {@code b_W += sum_d W[.., d, :] b[d]}, {@code W *= w[d]}, and for LayerNorm
     * {@code W -= mean_d W} (TransformerLens's {@code fold_layer_norm}; RMS folds neither biases nor
     * centres). {@code biasName} is null for a reader whose bias does not take the fold (the gate of a
     * gated MLP, W_U of an RMS model).
     */
    private static void foldReader(Map<String, Tensor> sd, String weightName, String biasName, Tensor lnW, Tensor lnB, boolean center) {
        Tensor weight = need(sd, weightName);
        int[] shape = weight.shape();
        int d = shape[shape.length - 2];
        int n = shape[shape.length - 1];
        int groups = weight.size() / (d * n);
        float[] wv = weight.toArray();
        float[] scale = lnW.toArray();
        float[] shift = lnB == null ? null : lnB.toArray();
        double[] b = new double[groups * n];
        double[] mean = new double[groups * n];
        for (int g = 0; g < groups; g++) {
            for (int i = 0; i < d; i++) {
                int row = (g * d + i) * n;
                float sc = scale[i];
                for (int j = 0; j < n; j++) {
                    float x = wv[row + j];
                    if (shift != null) {
                        b[g * n + j] += x * (double) shift[i];   // the bias folds through the unscaled weight
                    }
                    float y = x * sc;
                    wv[row + j] = y;
                    mean[g * n + j] += y;
                }
            }
        }
        if (center) {
            for (int g = 0; g < groups; g++) {
                for (int i = 0; i < d; i++) {
                    int row = (g * d + i) * n;
                    for (int j = 0; j < n; j++) {
                        wv[row + j] = (float) (wv[row + j] - mean[g * n + j] / d);
                    }
                }
            }
        }
        sd.put(weightName, Tensor.of(wv, shape));
        if (biasName != null && shift != null) {
            float[] b0 = need(sd, biasName).toArray();
            float[] bf = new float[groups * n];
            for (int k = 0; k < bf.length; k++) {
                bf[k] = (float) (b0[k] + b[k]);
            }
            sd.put(biasName, Tensor.of(bf, need(sd, biasName).shape()));
        }
    }

    // ------------------------------------------------------------------ centring

    /** A copy with the mean over the last axis subtracted. */
    private static Tensor centerLastAxis(Tensor t) {
        float[] a = t.toArray();
        int n = t.dim(-1);
        for (int row = 0; row < a.length; row += n) {
            double sum = 0;
            for (int j = 0; j < n; j++) {
                sum += a[row + j];
            }
            double mean = sum / n;
            for (int j = 0; j < n; j++) {
                a[row + j] = (float) (a[row + j] - mean);
            }
        }
        return Tensor.of(a, t.shape());
    }

    // ------------------------------------------------------------------ fold_value_biases

    /**
     * {@code b_O + sum_{h,j} b_V[h / group, j] W_O[h, j, :]}, shape {@code [d_model]}: each head's
     * value bias adds {@code b_V W_O[h]} to its output whatever the pattern, since patterns sum to one.
     */
    private static float[] foldedOutputBias(TransformerConfig cfg, Map<String, Tensor> sd, Names n) {
        float[] bV = need(sd, n.bV).toArray();          // [kv, dh]
        float[] wO = need(sd, n.p + "attn.W_O").toArray();  // [h, dh, d]
        float[] bO = need(sd, n.p + "attn.b_O").toArray();  // [d]
        int d = bO.length, dh = cfg.dHead(), group = cfg.nHeads() / cfg.nKvHeads();
        double[] acc = new double[d];
        for (int h = 0; h < cfg.nHeads(); h++) {
            for (int j = 0; j < dh; j++) {
                double v = bV[(h / group) * dh + j];
                int row = (h * dh + j) * d;
                for (int i = 0; i < d; i++) {
                    acc[i] += v * wO[row + i];
                }
            }
        }
        float[] out = new float[d];
        for (int i = 0; i < d; i++) {
            out[i] = (float) (bO[i] + acc[i]);
        }
        return out;
    }

    // ------------------------------------------------------------------ refactor_factored_attn_matrices

    /**
     * Rewrites each head's factors of one block without changing what the head computes
     * (TransformerLens's experimental {@code refactor_factored_attn_matrices}).
     *
     * <p>QK: with the biases appended as an extra input row, {@code A = [W_Q; b_Q]} and
     * {@code B = [W_K; b_K]} ({@code [d+1, dh]}), the bilinear form {@code A B^T = U S V^T} is
     * refactored "evenly" as {@code A' = U sqrt(S)}, {@code B' = V sqrt(S)}, then split back into
     * weights and biases. OV: first b_V folds into b_O (as {@link #foldValueBiases}); then
     * {@code W_V W_O = U S V^T} becomes {@code W_V' = U S}, {@code W_O' = V^T}, so W_O has orthonormal
     * rows. The SVD of each low-rank product is taken as TransformerLens's {@code FactoredMatrix}
     * does: from the SVDs of the two factors and of the small {@code [dh, dh]} middle matrix.
     * Singular vectors are unique only up to sign (and rotation within repeated singular values), so
     * individual factors can differ from TransformerLens's while the products agree.
     *
     * @param sd the state dict; block parameters are replaced
     * @param n the block's parameter names
     */
    private static void refactorFactoredAttnMatrices(Map<String, Tensor> sd, Names n) {
        Tensor xwQ = need(sd, n.wQ), xbQ = need(sd, n.bQ), xwK = need(sd, n.wK), xbK = need(sd, n.bK);
        Tensor xwV = need(sd, n.wV), xwO = need(sd, n.p + "attn.W_O");
        int h = xwQ.dim(0);
        int d = xwQ.dim(1);
        int dh = xwQ.dim(2);
        if (d < dh) {
            throw new IllegalArgumentException("refactor_factored_attn_matrices needs d_model >= d_head, got d_model "
                    + d + " and d_head " + dh);
        }
        float[] wQ = new float[h * d * dh], bQ = new float[h * dh];
        float[] wK = new float[h * d * dh], bK = new float[h * dh];
        float[] wV = new float[h * d * dh], wO = new float[h * dh * d];
        for (int head = 0; head < h; head++) {
            // QK with biases as row d of the d+1 input rows
            Even qk = even(withBiasRow(xwQ.select(0, head), xbQ.select(0, head)),
                    withBiasRow(xwK.select(0, head), xbK.select(0, head)));
            for (int j = 0; j < dh; j++) {
                double r = Math.sqrt(qk.s[j]);
                for (int i = 0; i <= d; i++) {
                    float a = (float) (qk.u[j][i] * r);
                    float b = (float) (qk.v[j][i] * r);
                    if (i < d) {
                        wQ[(head * d + i) * dh + j] = a;
                        wK[(head * d + i) * dh + j] = b;
                    } else {
                        bQ[head * dh + j] = a;
                        bK[head * dh + j] = b;
                    }
                }
            }
            // OV: W_V [d, dh] times W_O [dh, d] = X Y^T with Y = W_O^T
            Even ov = even(columns(xwV.select(0, head)), columns(xwO.select(0, head).mT()));
            for (int j = 0; j < dh; j++) {
                for (int i = 0; i < d; i++) {
                    wV[(head * d + i) * dh + j] = (float) (ov.u[j][i] * ov.s[j]);
                    wO[(head * dh + j) * d + i] = (float) ov.v[j][i];
                }
            }
        }
        // b_V folds into b_O first (the OV refactoring drops it)
        float[] folded = new float[xwO.dim(2)];
        double[] acc = new double[folded.length];
        float[] bV = need(sd, n.bV).toArray(), wOa = xwO.toArray(), bO = need(sd, n.p + "attn.b_O").toArray();
        for (int k = 0; k < bV.length; k++) {
            for (int i = 0; i < folded.length; i++) {
                acc[i] += (double) bV[k] * wOa[k * folded.length + i];
            }
        }
        for (int i = 0; i < folded.length; i++) {
            folded[i] = (float) (bO[i] + acc[i]);
        }
        sd.put(n.wQ, Tensor.of(wQ, h, d, dh));
        sd.put(n.wK, Tensor.of(wK, h, d, dh));
        sd.put(n.wV, Tensor.of(wV, h, d, dh));
        sd.put(n.p + "attn.W_O", Tensor.of(wO, h, dh, d));
        sd.put(n.bQ, Tensor.of(bQ, h, dh));
        sd.put(n.bK, Tensor.of(bK, h, dh));
        sd.put(n.bV, Tensor.zeros(h, dh));
        sd.put(n.p + "attn.b_O", Tensor.of(folded, folded.length));
    }

    /** SVD {@code X Y^T = U diag(S) V^T} of a low-rank product; columns of U and V as arrays. */
    private record Even(double[][] u, double[] s, double[][] v) {}

    /**
     * The SVD of {@code X Y^T} for tall {@code X, Y [m, r]}, as {@code FactoredMatrix.svd}: with
     * {@code X = Ux Sx Vx^T} and {@code Y = Uy Sy Vy^T}, {@code X Y^T = Ux (Sx Vx^T Vy Sy) Uy^T}; the SVD
     * {@code Um Sm Vm^T} of the {@code [r, r]} middle gives {@code U = Ux Um}, {@code V = Uy Vm}.
     */
    private static Even even(double[][] xCols, double[][] yCols) {
        Svd sx = Svd.ofColumns(xCols);
        Svd sy = Svd.ofColumns(yCols);
        int r = xCols.length;
        int m = xCols[0].length;
        double[][] middle = new double[r][r]; // middle[q] = column q
        for (int p = 0; p < r; p++) {
            for (int q = 0; q < r; q++) {
                double dot = 0;
                for (int k = 0; k < r; k++) {
                    dot += sx.v[p][k] * sy.v[q][k];
                }
                middle[q][p] = sx.s[p] * dot * sy.s[q];
            }
        }
        Svd sm = Svd.ofColumns(middle);
        double[][] u = new double[r][m];
        double[][] v = new double[r][m];
        for (int j = 0; j < r; j++) {
            for (int p = 0; p < r; p++) {
                double a = sm.u[j][p];
                double b = sm.v[j][p];
                for (int i = 0; i < m; i++) {
                    u[j][i] += sx.u[p][i] * a;
                    v[j][i] += sy.u[p][i] * b;
                }
            }
        }
        return new Even(u, sm.s, v);
    }

    /** The columns of {@code [W; b]} for {@code W [d, n]}, {@code b [n]}: n arrays of length d+1. */
    private static double[][] withBiasRow(Tensor weight, Tensor bias) {
        double[][] cols = columns(weight);
        int d = weight.dim(0);
        double[][] out = new double[cols.length][d + 1];
        for (int j = 0; j < cols.length; j++) {
            System.arraycopy(cols[j], 0, out[j], 0, d);
            out[j][d] = bias.get(j);
        }
        return out;
    }

    /** The columns of a matrix {@code [m, n]}: n arrays of length m. */
    private static double[][] columns(Tensor matrix) {
        int m = matrix.dim(0);
        int n = matrix.dim(1);
        float[] a = matrix.toArray();
        double[][] cols = new double[n][m];
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                cols[j][i] = a[i * n + j];
            }
        }
        return cols;
    }

    private static Tensor need(Map<String, Tensor> sd, String name) {
        Tensor t = sd.get(name);
        if (t == null) {
            throw new IllegalArgumentException("weight processing: the weights have no " + name);
        }
        return t;
    }
}
