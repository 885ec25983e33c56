package dev.lens4j.transformer.processing;

import dev.lens4j.tensor.Tensor;
import dev.lens4j.transformer.TransformerConfig;
import dev.lens4j.transformer.TransformerWeights;
import dev.lens4j.transformer.TransformerWeights.Layer;

import java.util.ArrayList;
import java.util.List;

/**
 * TransformerLens's weight processing ({@code HookedTransformer.load_and_process_state_dict}): the
 * simplifications {@code from_pretrained} applies by default, step by step and with the same
 * formulas, so that processed weights equal TransformerLens's.
 *
 * <p>Notation: h = n_heads, d = d_model, dh = d_head. Every step returns new weights and leaves its
 * input untouched (input tensors may be read-only views of a memory-mapped checkpoint); tensors a step
 * does not change are shared with the input. Sums and means accumulate in double precision.
 *
 * <pre>{@code
 * WeightProcessing.Processed p = WeightProcessing.process(cfg, weights, ProcessingOptions.defaults());
 * p.config().normalization();   // "LNPre" for a GPT-2 checkpoint
 * p.weights().layers().get(0).bV();  // all zeros: folded into b_O
 * }</pre>
 */
public final class WeightProcessing {

    private WeightProcessing() {}

    /**
     * Processed weights and the config that describes them (folding LayerNorms turns {@code "LN"}
     * into {@code "LNPre"}).
     *
     * @param config the config after processing
     * @param weights the weights after processing
     */
    public record Processed(TransformerConfig config, TransformerWeights weights) {}

    /**
     * Applies the enabled steps in TransformerLens's order: fold_ln, center_writing_weights,
     * center_unembed, fold_value_biases, refactor_factored_attn_matrices. As in TransformerLens,
     * fold_ln is skipped unless the normalization is {@code "LN"}, and center_writing_weights unless
     * the model has LayerNorms ({@code "LN"} or {@code "LNPre"}), since only a LayerNorm makes the
     * mean of the residual stream irrelevant.
     *
     * <p>Every step changes each block on its own and the parameters outside the blocks on their own,
     * so this is {@link #processEnds} and {@link #processLayer} for every block; a loader that reads
     * one block at a time can call those itself and hold one unprocessed block at a time.
     *
     * @param cfg the model's config
     * @param weights its weights, shaped as {@code cfg} says
     * @param options the steps to apply
     * @return the processed config and weights
     */
    public static Processed process(TransformerConfig cfg, TransformerWeights weights, ProcessingOptions options) {
        if (options.isNone()) {
            return new Processed(cfg, weights);
        }
        TransformerWeights ends = processEnds(cfg, weights, options);
        List<Layer> layers = new ArrayList<>();
        for (int l = 0; l < weights.layers().size(); l++) {
            layers.add(processLayer(cfg, l, weights.layers().get(l), options));
        }
        return new Processed(processedConfig(cfg, options), ends.withLayers(layers));
    }

    /**
     * The config that describes processed weights: {@code "LNPre"} instead of {@code "LN"} when
     * fold_ln applies, otherwise {@code cfg}.
     *
     * @param cfg the model's config
     * @param options the steps to apply
     * @return the config after processing
     */
    public static TransformerConfig processedConfig(TransformerConfig cfg, ProcessingOptions options) {
        return folds(cfg, options) ? cfg.withNormalization("LNPre") : cfg;
    }

    /**
     * The enabled steps, applied to one block only: fold_ln of ln1 and ln2 into the weights that read
     * them, center_writing_weights of W_O, b_O, W_out, b_out, fold_value_biases and
     * refactor_factored_attn_matrices, with the same skipping rules as {@link #process}.
     *
     * @param cfg the model's config
     * @param index the block's index, for messages
     * @param layer the block's weights
     * @param options the steps to apply
     * @return the processed block; tensors no step changed are shared with {@code layer}
     * @throws IllegalArgumentException if fold_ln applies and a LayerNorm parameter is missing
     */
    public static Layer processLayer(TransformerConfig cfg, int index, Layer layer, ProcessingOptions options) {
        Layer x = layer;
        if (folds(cfg, options)) {
            x = foldLayerNorm(index, x);
        }
        if (options.centerWritingWeights() && cfg.hasNorm()) {
            x = centerWritingWeights(x);
        }
        if (options.foldValueBiases()) {
            x = foldValueBiases(x);
        }
        if (options.refactorFactoredAttnMatrices()) {
            x = refactorFactoredAttnMatrices(x);
        }
        return x;
    }

    /**
     * The enabled steps, applied to the parameters outside the blocks only: fold_ln of ln_final into
     * W_U and b_U, center_writing_weights of W_E and W_pos, center_unembed, with the same skipping
     * rules as {@link #process}. The blocks are passed through untouched.
     *
     * @param cfg the model's config
     * @param weights W_E, W_pos, ln_final, W_U, b_U (and any blocks, returned as they are)
     * @param options the steps to apply
     * @return the weights with processed embeddings and unembedding; tensors no step changed are shared
     * @throws IllegalArgumentException if fold_ln applies and ln_final's parameters are missing
     */
    public static TransformerWeights processEnds(TransformerConfig cfg, TransformerWeights weights, ProcessingOptions options) {
        TransformerWeights w = weights;
        if (folds(cfg, options)) {
            w = foldFinalLayerNorm(w);
        }
        if (options.centerWritingWeights() && cfg.hasNorm()) {
            w = centerEmbeddings(w);
        }
        if (options.centerUnembed()) {
            w = centerUnembed(w);
        }
        return w;
    }

    private static boolean folds(TransformerConfig cfg, ProcessingOptions options) {
        return options.foldLn() && cfg.normalization().equals("LN");
    }

    // ------------------------------------------------------------------ fold_ln

    /**
     * Folds every LayerNorm's weight {@code w} and bias {@code b} into the weights that read its output,
     * then centres those reading weights over d_model (TransformerLens's {@code fold_layer_norm} with
     * {@code center_weights=True}). For each reader {@code W [.., d, n]} with bias {@code b_W}:
     * {@code b_W += sum_d W[.., d, :] b[d]}, {@code W *= w[d]}, {@code W -= mean_d W}. ln1 folds into
     * W_Q, W_K, W_V; ln2 into W_in; ln_final into W_U and b_U. The result has no LayerNorm parameters:
     * its config must say {@code "LNPre"}.
     *
     * @param cfg the config, normalization {@code "LN"}
     * @param w the weights, with LayerNorm weights and biases
     * @return weights without LayerNorm parameters
     * @throws IllegalArgumentException if the config is not {@code "LN"} or a LayerNorm parameter is missing
     */
    public static TransformerWeights foldLayerNorm(TransformerConfig cfg, TransformerWeights w) {
        if (!cfg.normalization().equals("LN")) {
            throw new IllegalArgumentException("fold_ln needs normalization LN, the config has " + cfg.normalization());
        }
        List<Layer> layers = new ArrayList<>();
        for (int l = 0; l < w.layers().size(); l++) {
            layers.add(foldLayerNorm(l, w.layers().get(l)));
        }
        return foldFinalLayerNorm(w).withLayers(layers);
    }

    /** fold_ln of ln_final into W_U and b_U; the blocks are passed through. */
    private static TransformerWeights foldFinalLayerNorm(TransformerWeights w) {
        Folded u = foldReader(w.wU(), w.bU(), need(w.lnFinalW(), "ln_final.w"), need(w.lnFinalB(), "ln_final.b"));
        return new TransformerWeights(w.wE(), w.wPos(), w.layers(), null, null, u.w, u.b);
    }

    /** fold_ln of one block: ln1 into W_Q, W_K, W_V; ln2 into W_in. */
    private static Layer foldLayerNorm(int l, Layer x) {
        Tensor ln1W = need(x.ln1W(), "blocks." + l + ".ln1.w");
        Tensor ln1B = need(x.ln1B(), "blocks." + l + ".ln1.b");
        Folded q = foldReader(x.wQ(), x.bQ(), ln1W, ln1B);
        Folded k = foldReader(x.wK(), x.bK(), ln1W, ln1B);
        Folded v = foldReader(x.wV(), x.bV(), ln1W, ln1B);
        Folded in = null;
        if (x.wIn() != null) {
            in = foldReader(x.wIn(), x.bIn(),
                    need(x.ln2W(), "blocks." + l + ".ln2.w"), need(x.ln2B(), "blocks." + l + ".ln2.b"));
        }
        return new Layer(null, null, q.w, k.w, v.w, x.wO(), q.b, k.b, v.b, x.bO(), null, null,
                in == null ? null : in.w, in == null ? null : in.b, x.wOut(), x.bOut());
    }

    private record Folded(Tensor w, Tensor b) {}

    /**
     * One reader of a LayerNorm: {@code weight [g.., d, n]} (leading dimensions are groups, e.g. heads),
     * {@code bias [g.., n]}.
     */
    private static Folded foldReader(Tensor weight, Tensor bias, Tensor lnW, Tensor lnB) {
        int[] shape = weight.shape();
        int d = shape[shape.length - 2];
        int n = shape[shape.length - 1];
        int groups = weight.size() / (d * n);
        float[] wv = weight.toArray();
        float[] scale = lnW.toArray();
        float[] shift = lnB.toArray();
        float[] b0 = bias.toArray();
        double[] b = new double[groups * n];
        double[] mean = new double[groups * n];
        for (int g = 0; g < groups; g++) {
            for (int i = 0; i < d; i++) {
                int row = (g * d + i) * n;
                double sh = shift[i];
                float sc = scale[i];
                for (int j = 0; j < n; j++) {
                    float x = wv[row + j];
                    b[g * n + j] += x * sh;       // the bias folds through the unscaled weight
                    float y = x * sc;
                    wv[row + j] = y;
                    mean[g * n + j] += y;
                }
            }
        }
        for (int g = 0; g < groups; g++) {
            for (int i = 0; i < d; i++) {
                int row = (g * d + i) * n;
                for (int j = 0; j < n; j++) {
                    wv[row + j] = (float) (wv[row + j] - mean[g * n + j] / d);
                }
            }
        }
        float[] bf = new float[groups * n];
        for (int k = 0; k < bf.length; k++) {
            bf[k] = (float) (b0[k] + b[k]);
        }
        return new Folded(Tensor.of(wv, shape), Tensor.of(bf, bias.shape()));
    }

    // ------------------------------------------------------------------ center_writing_weights

    /**
     * Subtracts the mean over d_model from everything that writes to the residual stream: each row
     * of W_E and W_pos, W_O along its last axis, W_out along its last axis, and b_O and b_out.
     * Harmless before a LayerNorm, which removes the mean anyway.
     *
     * @param w the weights
     * @return the centred weights
     */
    public static TransformerWeights centerWritingWeights(TransformerWeights w) {
        List<Layer> layers = new ArrayList<>();
        for (Layer x : w.layers()) {
            layers.add(centerWritingWeights(x));
        }
        return centerEmbeddings(w).withLayers(layers);
    }

    /** center_writing_weights of W_E and W_pos; the blocks are passed through. */
    private static TransformerWeights centerEmbeddings(TransformerWeights w) {
        return new TransformerWeights(centerLastAxis(w.wE()), centerLastAxis(w.wPos()), w.layers(),
                w.lnFinalW(), w.lnFinalB(), w.wU(), w.bU());
    }

    /** center_writing_weights of one block: W_O, b_O, W_out, b_out. */
    private static Layer centerWritingWeights(Layer x) {
        return new Layer(x.ln1W(), x.ln1B(), x.wQ(), x.wK(), x.wV(), centerLastAxis(x.wO()),
                x.bQ(), x.bK(), x.bV(), centerLastAxis(x.bO()), x.ln2W(), x.ln2B(),
                x.wIn(), x.bIn(), centerLastAxis(x.wOut()), centerLastAxis(x.bOut()));
    }

    // ------------------------------------------------------------------ center_unembed

    /**
     * Subtracts from each row of {@code W_U [d_model, d_vocab]} its mean over the vocabulary, and from
     * {@code b_U} its mean: every logit of a position shifts by the same amount, so log-probabilities
     * do not change.
     *
     * @param w the weights
     * @return the weights with centred W_U and b_U
     */
    public static TransformerWeights centerUnembed(TransformerWeights w) {
        return new TransformerWeights(w.wE(), w.wPos(), w.layers(), w.lnFinalW(), w.lnFinalB(),
                centerLastAxis(w.wU()), centerLastAxis(w.bU()));
    }

    /** A copy with the mean over the last axis subtracted; null stays null. */
    private static Tensor centerLastAxis(Tensor t) {
        if (t == null) {
            return null;
        }
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
     * Folds each layer's value biases into its output bias: {@code b_O += sum_h b_V[h] W_O[h]},
     * {@code b_V = 0}. Exact because each head's attention pattern sums to one, so b_V always adds
     * {@code b_V[h] W_O[h]} to that head's output.
     *
     * @param w the weights
     * @return the weights with zero b_V
     */
    public static TransformerWeights foldValueBiases(TransformerWeights w) {
        List<Layer> layers = new ArrayList<>();
        for (Layer x : w.layers()) {
            layers.add(foldValueBiases(x));
        }
        return w.withLayers(layers);
    }

    /** fold_value_biases of one block. */
    private static Layer foldValueBiases(Layer x) {
        float[] bO = foldedOutputBias(x);
        return new Layer(x.ln1W(), x.ln1B(), x.wQ(), x.wK(), x.wV(), x.wO(),
                x.bQ(), x.bK(), Tensor.zeros(x.bV().shape()), Tensor.of(bO, x.bO().shape()),
                x.ln2W(), x.ln2B(), x.wIn(), x.bIn(), x.wOut(), x.bOut());
    }

    /** {@code b_O + sum_{h,j} b_V[h, j] W_O[h, j, :]}, shape {@code [d_model]}. */
    private static float[] foldedOutputBias(Layer x) {
        float[] bV = x.bV().toArray();          // [h, dh]
        float[] wO = x.wO().toArray();          // [h, dh, d]
        float[] bO = x.bO().toArray();          // [d]
        int d = bO.length;
        double[] acc = new double[d];
        for (int k = 0; k < bV.length; k++) {   // k = h * dh + j indexes a row of W_O
            double v = bV[k];
            for (int i = 0; i < d; i++) {
                acc[i] += v * wO[k * d + i];
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
     * Rewrites each head's factors without changing what the head computes (TransformerLens's
     * experimental {@code refactor_factored_attn_matrices}).
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
     * @param w the weights; d_model must be at least d_head
     * @return the refactored weights
     */
    public static TransformerWeights refactorFactoredAttnMatrices(TransformerWeights w) {
        List<Layer> layers = new ArrayList<>();
        for (Layer x : w.layers()) {
            layers.add(refactorFactoredAttnMatrices(x));
        }
        return w.withLayers(layers);
    }

    /** refactor_factored_attn_matrices of one block. */
    private static Layer refactorFactoredAttnMatrices(Layer x) {
        int h = x.wQ().dim(0);
        int d = x.wQ().dim(1);
        int dh = x.wQ().dim(2);
        if (d < dh) {
            throw new IllegalArgumentException("refactor_factored_attn_matrices needs d_model >= d_head, got d_model "
                    + d + " and d_head " + dh);
        }
        float[] wQ = new float[h * d * dh], bQ = new float[h * dh];
        float[] wK = new float[h * d * dh], bK = new float[h * dh];
        float[] wV = new float[h * d * dh], wO = new float[h * dh * d];
        for (int head = 0; head < h; head++) {
            // QK with biases as row d of the d+1 input rows
            Even qk = even(withBiasRow(x.wQ().select(0, head), x.bQ().select(0, head)),
                    withBiasRow(x.wK().select(0, head), x.bK().select(0, head)));
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
            Even ov = even(columns(x.wV().select(0, head)), columns(x.wO().select(0, head).mT()));
            for (int j = 0; j < dh; j++) {
                for (int i = 0; i < d; i++) {
                    wV[(head * d + i) * dh + j] = (float) (ov.u[j][i] * ov.s[j]);
                    wO[(head * dh + j) * d + i] = (float) ov.v[j][i];
                }
            }
        }
        return new Layer(x.ln1W(), x.ln1B(),
                Tensor.of(wQ, h, d, dh), Tensor.of(wK, h, d, dh), Tensor.of(wV, h, d, dh), Tensor.of(wO, h, dh, d),
                Tensor.of(bQ, h, dh), Tensor.of(bK, h, dh), Tensor.zeros(h, dh),
                Tensor.of(foldedOutputBias(x), x.bO().shape()),
                x.ln2W(), x.ln2B(), x.wIn(), x.bIn(), x.wOut(), x.bOut());
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

    private static Tensor need(Tensor t, String name) {
        if (t == null) {
            throw new IllegalArgumentException("fold_ln: the weights have no " + name);
        }
        return t;
    }
}
