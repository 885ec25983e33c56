package dev.lens4j.analysis.attribution;

import dev.lens4j.hooks.ActivationCache;
import dev.lens4j.hooks.Slice;
import dev.lens4j.tensor.Parallel;
import dev.lens4j.tensor.Shapes;
import dev.lens4j.tensor.Tensor;
import dev.lens4j.tensor.kernel.KernelProvider;
import dev.lens4j.tensor.kernel.Kernels;
import dev.lens4j.transformer.HookedTransformer;
import dev.lens4j.transformer.TransformerConfig;

/**
 * How much each component of the residual stream raises a token's logit, or a logit difference,
 * through the direct path to the unembedding (TransformerLens's {@code logit_attrs}).
 *
 * <p>Each component {@code x} is scaled as the final LayerNorm scaled the whole stream, with the
 * cached {@code ln_final.hook_scale}, and projected onto the token's unembedding direction:
 * {@code ((x - mean(x)) / scale) . W_U[:, token]}, or onto {@code W_U[:, token] - W_U[:, incorrect]}
 * for a logit difference. As in TransformerLens there is no LayerNorm weight or bias and no
 * {@code b_U}, so the attributions of a complete decomposition add up to {@code logit - b_U}
 * exactly only for a model whose final LayerNorm has no weight and bias of its own (processed
 * weights, {@code "LNPre"}) or no LayerNorm.
 *
 * <pre>{@code
 * ResidualStream stream = ResidualStream.of(model, run.cache());
 * DirectLogitAttribution dla = new DirectLogitAttribution(stream);
 * ComponentStack heads = stream.stackHeadResults(-1, false, false);            // not LayerNorm-scaled: done here
 * ComponentStack attrs = dla.logitAttrs(heads, -1, correct, incorrect);         // [n_layers * n_heads, batch]
 * attrs.get("L1H3");                                                             // [batch]
 * }</pre>
 */
public final class DirectLogitAttribution {

    private final ResidualStream stream;
    private final TransformerConfig cfg;

    /**
     * Attributes components of the residual stream of one cached run.
     *
     * @param stream the residual stream of the run whose components are attributed
     */
    public DirectLogitAttribution(ResidualStream stream) {
        if (stream == null) {
            throw new IllegalArgumentException("direct logit attribution needs a residual stream");
        }
        this.stream = stream;
        this.cfg = stream.config();
    }

    /**
     * Attributes components of the residual stream of a model's cached run.
     *
     * @param model the model
     * @param cache the activations of one of its runs (with {@code ln_final.hook_scale} if the model has a LayerNorm)
     * @return the attribution for that run
     */
    public static DirectLogitAttribution of(HookedTransformer model, ActivationCache cache) {
        return new DirectLogitAttribution(ResidualStream.of(model, cache));
    }

    /**
     * The unembedding directions of tokens (TransformerLens's {@code tokens_to_residual_directions}).
     *
     * @param tokens token ids
     * @return {@code [n, d_model]}: row {@code i} is {@code W_U[:, tokens[i]]}
     */
    public Tensor residualDirections(int... tokens) {
        Tensor wU = stream.weights().wU();
        Tensor[] rows = new Tensor[tokens.length];
        for (int i = 0; i < tokens.length; i++) {
            rows[i] = wU.select(1, checkToken(tokens[i], "token " + i));
        }
        return tokens.length == 0 ? Tensor.zeros(0, cfg.dModel()) : Tensor.stack(0, rows);
    }

    /**
     * Attributions at every position toward a token per position, or a logit difference.
     *
     * @param stack {@code [component, batch, pos, d_model]} components of the final residual stream,
     *              <em>not</em> LayerNorm-scaled (the scaling is applied here)
     * @param tokens {@code [batch][pos]}: the token whose logit each position is attributed to
     * @param incorrectTokens {@code [batch][pos]}: subtract these tokens' logits, or null
     * @return {@code [component, batch, pos]}, same labels
     */
    public ComponentStack logitAttrs(ComponentStack stack, int[][] tokens, int[][] incorrectTokens) {
        Tensor v = stack.values();
        checkStack(v);
        int batch = v.dim(1), pos = v.dim(2);
        checkGrid(tokens, batch, pos, "tokens");
        if (incorrectTokens != null) {
            checkGrid(incorrectTokens, batch, pos, "incorrectTokens");
        }
        int[] correct = new int[batch * pos];
        int[] incorrect = incorrectTokens == null ? null : new int[batch * pos];
        int[] positions = new int[batch * pos];
        for (int b = 0; b < batch; b++) {
            for (int p = 0; p < pos; p++) {
                correct[b * pos + p] = tokens[b][p];
                if (incorrect != null) {
                    incorrect[b * pos + p] = incorrectTokens[b][p];
                }
                positions[b * pos + p] = p;
            }
        }
        float[] out = attribute(v, allRows(batch, pos), positions, correct, incorrect);
        return new ComponentStack(Tensor.of(out, v.dim(0), batch, pos), stack.labels());
    }

    /**
     * Attributions at one position toward one token per sequence, or a logit difference: the usual
     * question "which components push the answer over the alternative at the last position".
     *
     * @param stack {@code [component, batch, pos, d_model]}, not LayerNorm-scaled
     * @param pos the position (negative counts from the end)
     * @param tokens {@code [batch]} the correct token of each sequence
     * @param incorrectTokens {@code [batch]} the tokens to subtract, or null
     * @return {@code [component, batch]}, same labels
     */
    public ComponentStack logitAttrs(ComponentStack stack, int pos, int[] tokens, int[] incorrectTokens) {
        Tensor v = stack.values();
        checkStack(v);
        int batch = v.dim(1), n = v.dim(2);
        int p = pos < 0 ? pos + n : pos;
        if (p < 0 || p >= n) {
            throw new IllegalArgumentException("position " + pos + " is outside the stack's " + n + " positions");
        }
        if (tokens == null || tokens.length != batch || (incorrectTokens != null && incorrectTokens.length != batch)) {
            throw new IllegalArgumentException("need one token per sequence (" + batch + "), got " + (tokens == null ? 0 : tokens.length)
                    + (incorrectTokens == null ? "" : " correct and " + incorrectTokens.length + " incorrect"));
        }
        int[] rows = new int[batch];
        int[] positions = new int[batch];
        for (int b = 0; b < batch; b++) {
            rows[b] = b * n + p;
            positions[b] = p;
        }
        float[] out = attribute(v, rows, positions, tokens, incorrectTokens);
        return new ComponentStack(Tensor.of(out, v.dim(0), batch), stack.labels());
    }

    /**
     * Attributions at selected positions of selected sequences: TransformerLens's
     * {@code logit_attrs(residual_stack, tokens, incorrect_tokens, pos_slice, batch_slice)}.
     *
     * <pre>{@code
     * // the last position of sequences 0 and 1: [component, 2]
     * dla.logitAttrs(heads, new int[][] {{answer0}, {answer1}}, null, Slice.index(-1), Slice.range(0, 2));
     * // positions 10 to 14 of sequence 3: [component, 5]
     * dla.logitAttrs(heads, new int[][] {next}, null, Slice.range(10, 15), Slice.index(3));
     * }</pre>
     *
     * <p>lens4j's stacks always cover every position of the cached run, so both slices select from the
     * stack and from the cached {@code ln_final.hook_scale} alike. (TransformerLens applies
     * {@code pos_slice} to the scale only and expects a stack already sliced to those positions, as
     * {@code decompose_resid(pos_slice=...)} returns it; the numbers are the same.)
     *
     * @param stack {@code [component, batch, pos, d_model]} over the cached run, not LayerNorm-scaled
     * @param tokens {@code [selected batch][selected pos]}: the token each selected entry is attributed
     *               to (one row per selected sequence, one entry per selected position; a single index
     *               selects one)
     * @param incorrectTokens the same shape, tokens whose logits are subtracted, or null
     * @param posSlice the positions, e.g. {@link Slice#index(int)} for one (removing the dimension)
     * @param batchSlice the sequences
     * @return {@code [component, batch', pos']}, where a single-index slice removes its dimension; same labels
     * @throws IllegalArgumentException naming the slice, or the expected and actual token shapes
     */
    public ComponentStack logitAttrs(ComponentStack stack, int[][] tokens, int[][] incorrectTokens, Slice posSlice, Slice batchSlice) {
        if (posSlice == null || batchSlice == null) {
            throw new IllegalArgumentException("logitAttrs: a slice is null; use Slice.all() for every position or sequence");
        }
        Tensor v = stack.values();
        checkStack(v);
        int pos = v.dim(2);
        int[] bs = batchSlice.indices(v.dim(1));
        int[] ps = posSlice.indices(pos);
        checkGrid(tokens, bs.length, ps.length, "tokens");
        if (incorrectTokens != null) {
            checkGrid(incorrectTokens, bs.length, ps.length, "incorrectTokens");
        }
        int n = bs.length * ps.length;
        int[] rows = new int[n];
        int[] positions = new int[n];
        int[] correct = new int[n];
        int[] incorrect = incorrectTokens == null ? null : new int[n];
        for (int i = 0; i < bs.length; i++) {
            for (int j = 0; j < ps.length; j++) {
                int e = i * ps.length + j;
                rows[e] = bs[i] * pos + ps[j];
                positions[e] = ps[j];
                correct[e] = tokens[i][j];
                if (incorrect != null) {
                    incorrect[e] = incorrectTokens[i][j];
                }
            }
        }
        float[] out = attribute(v, rows, positions, correct, incorrect);
        int[] shape = new int[1 + (batchSlice.removesDimension() ? 0 : 1) + (posSlice.removesDimension() ? 0 : 1)];
        int d = 0;
        shape[d++] = v.dim(0);
        if (!batchSlice.removesDimension()) {
            shape[d++] = bs.length;
        }
        if (!posSlice.removesDimension()) {
            shape[d] = ps.length;
        }
        return new ComponentStack(Tensor.of(out, shape), stack.labels());
    }

    private static int[] allRows(int batch, int pos) {
        int[] rows = new int[batch * pos];
        for (int i = 0; i < rows.length; i++) {
            rows[i] = i;
        }
        return rows;
    }

    /**
     * {@code out[c, i] = ((x - mean x) / scale) . u} (LayerNorm; {@code (x / scale) . u} for RMSNorm)
     * with {@code x = stack[c, row i]} and {@code u} the direction of entry {@code i}; computed as
     * {@code x . (u - mean u) / scale}, which is the same number without centring every component.
     *
     * @param v {@code [C, B, P, D]}
     * @param rows flat {@code b * P + p} row of each entry
     */
    private float[] attribute(Tensor v, int[] rows, int[] positions, int[] correct, int[] incorrect) {
        int comps = v.dim(0), batch = v.dim(1), pos = v.dim(2), d = cfg.dModel();
        int n = rows.length;
        Tensor scale = cfg.hasNorm() ? stream.lnScale(cfg.nLayers(), false) : null; // [batch, pos, 1]
        if (scale != null && (scale.dim(0) != batch || scale.dim(1) != pos)) {
            throw new IllegalArgumentException("stack " + Shapes.str(v.shape()) + " covers other sequences than the cache's ln_final.hook_scale "
                    + Shapes.str(scale.shape()));
        }
        float[] scales = scale == null ? null : scale.contiguous().toArray();
        float[] dirs = new float[n * d];
        for (int i = 0; i < n; i++) {
            float[] u = stream.weights().wU().select(1, checkToken(correct[i], "token " + i)).toArray();
            if (incorrect != null) {
                float[] u2 = stream.weights().wU().select(1, checkToken(incorrect[i], "incorrect token " + i)).toArray();
                for (int k = 0; k < d; k++) {
                    u[k] -= u2[k];
                }
            }
            if (cfg.normalization().centers()) { // an RMS final norm scales without centring
                double mean = 0;
                for (float x : u) {
                    mean += x;
                }
                float m = (float) (mean / d);
                for (int k = 0; k < d; k++) {
                    u[k] -= m;
                }
            }
            System.arraycopy(u, 0, dirs, i * d, d);
        }
        Tensor values = v.contiguous();
        float[] x = values.heapArray();
        int base = values.heapOffset();
        float[] out = new float[comps * n];
        Kernels k = KernelProvider.kernels();
        Parallel.forRange(comps, Math.max(1, 16384 / Math.max(1, n * d)), (c0, c1) -> {
            for (int c = c0; c < c1; c++) {
                for (int i = 0; i < n; i++) {
                    int off = base + (c * batch * pos + rows[i]) * d;
                    float dot = k.dot(x, off, dirs, i * d, d);
                    out[c * n + i] = scales == null ? dot : dot / scales[rows[i]];
                }
            }
        });
        return out;
    }

    private void checkStack(Tensor v) {
        if (v.rank() != 4 || v.dim(3) != cfg.dModel()) {
            throw new IllegalArgumentException("logit attribution needs a [component, batch, pos, " + cfg.dModel() + "] stack, got "
                    + Shapes.str(v.shape()));
        }
    }

    private static void checkGrid(int[][] t, int batch, int pos, String what) {
        if (t == null || t.length != batch) {
            throw new IllegalArgumentException(what + " must be [" + batch + "][" + pos + "] like the stack, got " + (t == null ? "null" : t.length + " rows"));
        }
        for (int b = 0; b < batch; b++) {
            if (t[b] == null || t[b].length != pos) {
                throw new IllegalArgumentException(what + " row " + b + " has " + (t[b] == null ? 0 : t[b].length) + " entries, expected " + pos);
            }
        }
    }

    private int checkToken(int t, String what) {
        if (t < 0 || t >= cfg.dVocab()) {
            throw new IllegalArgumentException(what + " = " + t + " is outside the vocabulary [0, " + cfg.dVocab() + ")");
        }
        return t;
    }
}
