package dev.lens4j.analysis.gradients;

import dev.lens4j.analysis.interventions.ActivationPatching;
import dev.lens4j.analysis.interventions.PatchingSweeps;
import dev.lens4j.hooks.ActNames;
import dev.lens4j.hooks.ActivationCache;
import dev.lens4j.tensor.Shapes;
import dev.lens4j.tensor.Tensor;
import dev.lens4j.transformer.ForwardOptions;
import dev.lens4j.transformer.ForwardResult;
import dev.lens4j.transformer.HookedTransformer;
import dev.lens4j.transformer.LogitMetric;
import dev.lens4j.transformer.TransformerConfig;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;

/**
 * Attribution patching (Nanda, 2023): the linear estimate of every activation patch of
 * {@link ActivationPatching} from two runs instead of one run per patch. Patching the clean
 * activation {@code a_clean} into the corrupted run changes the metric by about
 * {@code (a_clean - a_corrupted) . d metric / d a}, the gradient taken on the corrupted run; summing
 * that product over some axes estimates patching all of them at once.
 *
 * <pre>{@code
 * LogitMetric diff = LogitMetrics.logitDiff(-1, answers, wrong);
 * AttributionPatching ap = AttributionPatching.of(model, cleanTokens, corruptedTokens, diff);
 * Tensor byLayerPos = ap.residPre();                 // [n_layers, pos]: estimated change of the metric
 * Tensor byHead = ap.headOutAllPos();                // [n_layers, n_heads]
 * Tensor keys = ap.headVectorByPos("k");             // [n_layers, pos, n_heads]
 * // the real patches, for comparison: ActivationPatching.of(model, clean, corrupted, LogitMetrics.asMetric(diff))
 * //     .residPre().sub(corruptedMetric) estimates the same numbers
 * }</pre>
 *
 * <p>Every method returns the estimated <em>change</em> of the metric, summed over the batch (a
 * patch of {@link ActivationPatching} patches every sequence at once, and its metric averages over
 * the batch, as the metrics of {@link LogitMetrics} do). The shapes are those of the matching
 * {@link ActivationPatching} sweep. Cost: a forward pass on the clean tokens and a forward and
 * backward pass on the corrupted tokens, whatever the number of estimates; an activation-patching
 * sweep costs one forward pass per patch. Both runs compute the logits only where the metric reads them
 * ({@link LogitMetric#positionsRead}, {@link ForwardOptions.Builder#logitPositions}): for a logit
 * difference at the last position that leaves out most of the unembedding and of its backward pass.
 *
 * <p>Where the metric's gradient is exactly zero at every element of a recorded hook point, the
 * metric does not depend on it (for example a point that a forward hook of the model replaces, or
 * a layer after the positions the metric reads): its estimates are zero, and
 * {@link #zeroGradientPoints()} names it, so that a zero is not mistaken for a small effect.
 */
public final class AttributionPatching extends PatchingSweeps {

    /** The hook points the sweep methods read, recorded by default. */
    private static final List<String> SWEEP_POINTS = List.of("hook_resid_pre", "hook_resid_mid", "hook_attn_out", "hook_mlp_out",
            "attn.hook_q", "attn.hook_k", "attn.hook_v", "attn.hook_z", "attn.hook_pattern");

    private final HookedTransformer model;
    private final ActivationCache clean;
    private final ActivationCache corrupted;   // activations and <name>_grad of the corrupted run
    private final double cleanMetric;
    private final double corruptedMetric;
    /** {@link #byPosition} of each sweep point, by name. */
    private final Map<String, double[]> byPositionSums = new ConcurrentHashMap<>();

    private AttributionPatching(HookedTransformer model, ActivationCache clean, ActivationCache corrupted, double cleanMetric,
                                double corruptedMetric) {
        this.model = model;
        this.clean = clean;
        this.corrupted = corrupted;
        this.cleanMetric = cleanMetric;
        this.corruptedMetric = corruptedMetric;
    }

    /**
     * Runs the clean tokens forward and the corrupted tokens forward and backward, recording the
     * hook points the sweeps of this class read ({@code resid_pre}, {@code resid_mid},
     * {@code attn_out}, {@code mlp_out}, {@code q}, {@code k}, {@code v}, {@code z}, {@code pattern}).
     *
     * @param model the model (its own hooks fire in both runs)
     * @param cleanTokens {@code [batch][pos]}: where the patched activations come from
     * @param corruptedTokens {@code [batch][pos]}, the same shape: the run that is patched
     * @param metric the metric whose change is estimated; its gradient is taken on the corrupted run
     * @return the estimates
     */
    public static AttributionPatching of(HookedTransformer model, int[][] cleanTokens, int[][] corruptedTokens, LogitMetric metric) {
        return of(model, cleanTokens, corruptedTokens, metric, AttributionPatching::isSweepPoint);
    }

    /**
     * Whether a hook point is one that {@link #of(HookedTransformer, int[][], int[][], LogitMetric)} records
     * (the points its sweeps read), e.g. to run the same caches oneself.
     *
     * @param hookName a full hook point name, such as {@code blocks.0.attn.hook_z}
     * @return true for {@code resid_pre}, {@code resid_mid}, {@code attn_out}, {@code mlp_out}, {@code q},
     *     {@code k}, {@code v}, {@code z} and {@code pattern} points
     */
    public static boolean isSweepPoint(String hookName) {
        return SWEEP_POINTS.stream().anyMatch(hookName::endsWith);
    }

    /**
     * Like {@link #of(HookedTransformer, int[][], int[][], LogitMetric)}, recording the hook points a
     * filter accepts (for {@link #estimate} at other points, such as {@code hook_result} of a model
     * with {@code use_attn_result}).
     *
     * @param model the model
     * @param cleanTokens {@code [batch][pos]}
     * @param corruptedTokens {@code [batch][pos]}
     * @param metric the metric
     * @param names accepts the hook point names to record
     * @return the estimates
     * @throws IllegalArgumentException if the token batches differ in shape, or the metric is missing
     */
    public static AttributionPatching of(HookedTransformer model, int[][] cleanTokens, int[][] corruptedTokens, LogitMetric metric,
                                         Predicate<String> names) {
        if (model == null || metric == null || names == null) {
            throw new IllegalArgumentException("attribution patching needs a model, a metric and a names filter");
        }
        Batches.requireSameShape(cleanTokens, corruptedTokens);
        // the logits of both runs feed only the metric: computed where it reads them (a logit difference: one
        // position per sequence), the same bits there
        int[][] read = metric.positionsRead(cleanTokens.length, cleanTokens[0].length);
        ForwardResult c = model.run(cleanTokens, ForwardOptions.builder().cache(names).logitPositions(read).build());
        ForwardResult r = model.run(corruptedTokens, ForwardOptions.builder().cache(names).backward(metric).logitPositions(read).build());
        return new AttributionPatching(model, c.cache(), r.cache(), metric.value(c.logits()), r.metric());
    }

    /**
     * Returns the metric of the clean run, which a patch of every activation would restore.
     *
     * @return the metric of the clean run
     */
    public double cleanMetric() {
        return cleanMetric;
    }

    /**
     * Returns the metric of the corrupted run, where the estimates start from.
     *
     * @return the metric of the corrupted run
     */
    public double corruptedMetric() {
        return corruptedMetric;
    }

    // ------------------------------------------------------------------ generic

    /**
     * The estimate at one hook point, summed over every axis but the kept ones:
     * {@code sum (clean - corrupted) * d metric / d corrupted}.
     *
     * <pre>{@code
     * ap.estimate("blocks.1.attn.hook_z", 1, 2);       // [pos, head_index]
     * ap.estimate("blocks.0.hook_resid_pre");           // [] : the whole stream at once
     * }</pre>
     *
     * @param hookName a full name or TransformerLens shorthand of a recorded hook point
     * @param keep the activation's axes to keep, in increasing order (never the batch, axis 0)
     * @return the estimated change of the metric, shaped as the kept axes
     * @throws IllegalArgumentException if the point was not recorded, or an axis is out of range
     */
    public Tensor estimate(String hookName, int... keep) {
        Tensor[] abg = operands(hookName);
        int[] shape = abg[0].shape();
        for (int i = 0; i < keep.length; i++) {
            if (keep[i] < 1 || keep[i] >= shape.length || (i > 0 && keep[i] <= keep[i - 1])) {
                throw new IllegalArgumentException("axes to keep " + Arrays.toString(keep) + " must increase within [1, "
                        + shape.length + ") of " + ActNames.of(hookName) + " " + Shapes.str(shape));
            }
        }
        return sumProductKeeping(abg[0], abg[1], abg[2], keep);
    }

    /** The clean and corrupted activations of a recorded point and the gradient on the corrupted run. */
    private Tensor[] operands(String hookName) {
        String name = ActNames.of(hookName);
        if (!corrupted.contains(name)) {
            throw new IllegalArgumentException("hook point " + name + " was not recorded"
                    + (model.hookPointNames().contains(name) ? "; pass a names filter that accepts it to AttributionPatching.of"
                    : "; model " + model.config().modelName() + " has no such hook point"));
        }
        return new Tensor[] {clean.get(name), corrupted.get(name), corrupted.get(name + "_grad")};
    }

    /**
     * The recorded hook points at which the metric's gradient is zero everywhere, in firing order:
     * the metric does not depend on them, and their estimates are zero for that reason.
     *
     * @return the names, empty when the metric depends on every recorded point
     */
    public List<String> zeroGradientPoints() {
        List<String> out = new ArrayList<>();
        for (String n : model.hookPointNames()) {
            if (corrupted.contains(n + "_grad") && corrupted.get(n + "_grad").abs().max() == 0f) {
                out.add(n);
            }
        }
        return out;
    }

    /**
     * Whether the metric's gradient at a recorded hook point is nonzero somewhere.
     *
     * @param hookName a full name or shorthand of a recorded point
     * @return false when the metric does not depend on the point
     * @throws IllegalArgumentException if the point was not recorded
     */
    public boolean dependsOn(String hookName) {
        String name = ActNames.of(hookName);
        if (!corrupted.contains(name + "_grad")) {
            throw new IllegalArgumentException("hook point " + name + " was not recorded");
        }
        return corrupted.get(name + "_grad").abs().max() > 0f;
    }

    // ------------------------------------------------------------------ the sweeps (PatchingSweeps), estimated

    @Override
    protected TransformerConfig sweepConfig() {
        return cfg();
    }

    @Override
    protected Tensor layerPositionSweep(String shortName) {
        return perLayer(l -> {
            String name = ActNames.of(shortName, l);
            return floats(byPosition(name, 1), operands(name)[0].dim(1));
        });
    }

    @Override
    protected Tensor headVectorSweep(String which, boolean byPosition) {
        return perLayer(l -> {
            String name = ActNames.of(which, l);
            int[] shape = operands(name)[0].shape();      // [batch, pos, heads, d_head]
            double[] sums = byPosition(name, 1, 2);         // [pos, heads]
            return byPosition ? floats(sums, shape[1], shape[2]) : floats(sumRows(sums, shape[1], shape[2]), shape[2]);
        });
    }

    @Override
    protected Tensor patternSweep(boolean byPosition) {
        return perLayer(l -> {
            String name = ActNames.of("pattern", l);
            int[] shape = operands(name)[0].shape();      // [batch, heads, dest, src]
            double[] sums = byPosition(name, 1, 2);         // [heads, dest]
            return byPosition ? floats(sums, shape[1], shape[2]) : floats(sumColumns(sums, shape[1], shape[2]), shape[1]);
        });
    }

    /**
     * A sweep point's estimate by position (and head), in double precision, computed once: the
     * all-position sweeps are its sums, so one pass over a point's activations serves both sweeps.
     */
    private double[] byPosition(String name, int... keep) {
        return byPositionSums.computeIfAbsent(name, n -> {
            Tensor[] abg = operands(n);
            return sumProducts(abg[0], abg[1], abg[2], keep, new int[keep.length]);
        });
    }

    /** {@code [rows, cols]} summed over its rows, in order. */
    private static double[] sumRows(double[] m, int rows, int cols) {
        double[] out = new double[cols];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                out[c] += m[r * cols + c];
            }
        }
        return out;
    }

    /** {@code [rows, cols]} summed over its columns, in order. */
    private static double[] sumColumns(double[] m, int rows, int cols) {
        double[] out = new double[rows];
        for (int r = 0; r < rows; r++) {
            double sum = 0;
            for (int c = 0; c < cols; c++) {
                sum += m[r * cols + c];
            }
            out[r] = sum;
        }
        return out;
    }

    private static Tensor floats(double[] acc, int... shape) {
        float[] out = new float[acc.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = (float) acc[i];
        }
        return Tensor.of(out, shape);
    }

    /**
     * Estimates patching a residual-stream-like activation of each layer at every position at once.
     *
     * @param shortName {@code "resid_pre"}, {@code "resid_mid"}, {@code "attn_out"} or {@code "mlp_out"}
     * @return {@code [n_layers]}
     */
    public Tensor allPositions(String shortName) {
        if (!List.of("resid_pre", "resid_mid", "attn_out", "mlp_out").contains(shortName)) {
            throw new IllegalArgumentException("allPositions takes resid_pre, resid_mid, attn_out or mlp_out, got '" + shortName + "'");
        }
        if (shortName.equals("resid_mid") || shortName.equals("mlp_out")) {
            requireMlp("allPositions(" + shortName + ")");
        }
        return layerPositionSweep(shortName).sum(1, false);
    }

    // ------------------------------------------------------------------ against real patching

    /**
     * Compares every estimate with the real patches of the same sweep: for each sweep, the
     * {@link Agreement} of the estimates with {@code patched - corruptedMetric}. Sweeps of
     * {@code [n_layers, n_heads]} compare their top 3 entries, the others their top 10.
     *
     * <pre>{@code
     * ActivationPatching real = ActivationPatching.of(model, clean, corrupted, LogitMetrics.asMetric(metric));
     * Map<String, Agreement> a = AttributionPatching.of(model, clean, corrupted, metric).compareWith(real);
     * a.get("z").correlation();      // head outputs at all positions
     * }</pre>
     *
     * @param patching real patching of the same clean and corrupted tokens with the same metric
     * @return by sweep, in this order: {@code resid_pre}, {@code attn_out}, {@code mlp_out} (models with
     *     MLPs), {@code z}, {@code q}, {@code k}, {@code v}, {@code pattern} (each head at all positions),
     *     {@code z by pos}, {@code q by pos}, {@code k by pos}, {@code v by pos}, {@code pattern by pos}
     * @throws IllegalArgumentException if the patching's corrupted run gives another metric (other
     *     tokens or another metric)
     */
    public Map<String, Agreement> compareWith(ActivationPatching patching) {
        float base = patching.corruptedMetric();
        if (Math.abs(base - corruptedMetric) > 1e-4 * Math.max(1, Math.abs(corruptedMetric))) {
            throw new IllegalArgumentException("the activation patching's corrupted run gives " + base + ", these estimates' "
                    + corruptedMetric + ": compare runs of the same tokens and metric (LogitMetrics.asMetric)");
        }
        Map<String, Agreement> out = new LinkedHashMap<>();
        out.put("resid_pre", agreement(residPre(), patching.residPre(), base));
        out.put("attn_out", agreement(attnOut(), patching.attnOut(), base));
        if (!cfg().attnOnly()) {
            out.put("mlp_out", agreement(mlpOut(), patching.mlpOut(), base));
        }
        for (String v : List.of("z", "q", "k", "v")) {
            out.put(v, agreement(headVectorAllPos(v), patching.headVectorAllPos(v), base));
        }
        out.put("pattern", agreement(headPatternAllPos(), patching.headPatternAllPos(), base));
        for (String v : List.of("z", "q", "k", "v")) {
            out.put(v + " by pos", agreement(headVectorByPos(v), patching.headVectorByPos(v), base));
        }
        out.put("pattern by pos", agreement(headPatternByPos(), patching.headPatternByPos(), base));
        return out;
    }

    private static Agreement agreement(Tensor estimated, Tensor patched, float base) {
        int n = estimated.size();
        return Agreement.of(estimated, patched.sub(base), Math.min(n, n <= 64 ? 3 : 10));
    }

    // ------------------------------------------------------------------ helpers

    private Tensor perLayer(java.util.function.IntFunction<Tensor> f) {
        Tensor[] rows = new Tensor[cfg().nLayers()];
        for (int l = 0; l < rows.length; l++) {
            rows[l] = f.apply(l);
        }
        return Tensor.stack(0, rows);
    }

    /**
     * Sums {@code (a - b) * g} over every axis but {@code keep}, in double precision, in one pass over the
     * three tensors (no temporaries): each term is the float {@code (a - b) * g} that {@code a.sub(b).mul(g)}
     * would hold, so the result has the same bits.
     */
    static Tensor sumProductKeeping(Tensor a, Tensor b, Tensor g, int[] keep) {
        int[] outShape = new int[keep.length];
        return floats(sumProducts(a, b, g, keep, outShape), outShape);
    }

    /** {@link #sumProductKeeping}'s sums in double precision; fills {@code outShape} with the kept axes' sizes. */
    private static double[] sumProducts(Tensor a, Tensor b, Tensor g, int[] keep, int[] outShape) {
        int[] shape = a.shape();
        int[] outStride = new int[shape.length]; // the output stride of each input axis, 0 when summed over
        int stride = 1;
        for (int i = keep.length - 1; i >= 0; i--) {
            outShape[i] = shape[keep[i]];
            outStride[keep[i]] = stride;
            stride *= shape[keep[i]];
        }
        double[] acc = new double[stride];
        Tensor ca = a.contiguous(), cb = b.contiguous(), cg = g.contiguous();
        float[] va = ca.heapArray(), vb = cb.heapArray(), vg = cg.heapArray();
        int oa = ca.heapOffset(), ob = cb.heapOffset(), og = cg.heapOffset();
        int n = a.size();
        // the innermost axis runs contiguously in the input; its output stride is 0 (summed) or 1 (kept last)
        int last = shape.length - 1, inner = shape.length == 0 ? 1 : shape[last], innerStride = shape.length == 0 ? 0 : outStride[last];
        int[] idx = new int[shape.length];
        int o = 0;
        int rows = inner == 0 ? 0 : n / inner;
        int[] os = new int[4];
        for (int row = 0; row < rows; ) {
            int group = Math.min(4, rows - row);
            for (int k = 0; k < group; k++) {        // the output offsets of the next rows
                os[k] = o;
                for (int d = last - 1; d >= 0; d--) { // row-major increment of the outer axes, keeping the output offset
                    o += outStride[d];
                    if (++idx[d] < shape[d]) {
                        break;
                    }
                    o -= outStride[d] * shape[d];
                    idx[d] = 0;
                }
            }
            int i = row * inner;
            if (group == 4 && innerStride == 0 && os[0] != os[1] && os[0] != os[2] && os[0] != os[3] && os[1] != os[2]
                    && os[1] != os[3] && os[2] != os[3]) {
                // four rows summed into four different outputs: four independent chains of additions, each in
                // its own order, so the same bits as one row after another at a quarter of the latency
                double s0 = acc[os[0]], s1 = acc[os[1]], s2 = acc[os[2]], s3 = acc[os[3]];
                for (int j = 0; j < inner; j++) {
                    int i0 = i + j, i1 = i0 + inner, i2 = i1 + inner, i3 = i2 + inner;
                    s0 += (va[oa + i0] - vb[ob + i0]) * vg[og + i0];
                    s1 += (va[oa + i1] - vb[ob + i1]) * vg[og + i1];
                    s2 += (va[oa + i2] - vb[ob + i2]) * vg[og + i2];
                    s3 += (va[oa + i3] - vb[ob + i3]) * vg[og + i3];
                }
                acc[os[0]] = s0;
                acc[os[1]] = s1;
                acc[os[2]] = s2;
                acc[os[3]] = s3;
            } else {
                for (int k = 0; k < group; k++, i += inner) {
                    for (int j = 0; j < inner; j++) {
                        float term = (va[oa + i + j] - vb[ob + i + j]) * vg[og + i + j];
                        acc[os[k] + j * innerStride] += term;
                    }
                }
            }
            row += group;
        }
        return acc;
    }

    private TransformerConfig cfg() {
        return model.config();
    }
}
