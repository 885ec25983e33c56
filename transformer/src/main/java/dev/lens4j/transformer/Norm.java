package dev.lens4j.transformer;

import dev.lens4j.hooks.HookPoint;
import dev.lens4j.tensor.Parallel;

/**
 * A normalisation of rows of width C with its two hook points, {@code <path>.hook_scale} and
 * {@code <path>.hook_normalized}, as TransformerLens's LayerNorm, LayerNormPre, RMSNorm and
 * RMSNormPre modules:
 * <pre>
 *   LN      scale = sqrt(mean((x - mean x)^2) + eps)   normalized = (x - mean x) / scale * w + b   out = normalized
 *   LNPre   scale as LN                                normalized = (x - mean x) / scale           out = normalized
 *   RMS     scale = sqrt(mean(x^2) + eps)              normalized = x / scale                      out = normalized * w
 *   RMSPre  scale as RMS                               normalized = x / scale                      out = normalized
 * </pre>
 * ({@code hook_normalized} is after the weight for LayerNorm but before it for RMSNorm, as in
 * TransformerLens.) As in TransformerLens, the value of {@code hook_scale} after its hooks, replaced
 * or changed in place, is what the rows are divided by. {@link Normalization#NONE} is the identity
 * with no hook points.
 */
final class Norm {

    private final Normalization type;
    private final int width;                 // C
    private final float eps;
    private final float[] w;                 // [C] or null
    private final float[] b;                 // [C] or null
    final HookPoint scale;                   // [..., 1]
    final HookPoint normalized;              // [..., C]

    /**
     * @param type the normalisation
     * @param path the TransformerLens module path, e.g. {@code "blocks.0.ln1"} or {@code "ln_final"}
     * @param w {@code [C]} weight (LN, RMS), else null
     * @param b {@code [C]} bias (LN), else null
     * @param width C
     * @param eps epsilon
     * @param points where to register the hook points
     * @param scaleShape dimensions of {@code hook_scale}, e.g. {@code [batch, pos, 1]}
     * @param normalizedShape dimensions of {@code hook_normalized}
     */
    Norm(Normalization type, String path, float[] w, float[] b, int width, float eps, HookPoints points,
         HookPoints.Dim[] scaleShape, HookPoints.Dim[] normalizedShape) {
        this.type = type;
        this.width = width;
        this.eps = eps;
        this.w = type.hasWeight() ? w : null;
        this.b = type == Normalization.LN ? b : null;
        if (type.hasWeight() && w == null) {
            throw new IllegalArgumentException(path + ".w is missing");
        }
        if (type == Normalization.LN && b == null) {
            throw new IllegalArgumentException(path + ".b is missing");
        }
        boolean present = type != Normalization.NONE;
        this.scale = points.addIf(present, path + ".hook_scale", scaleShape);
        this.normalized = points.addIf(present, path + ".hook_normalized", normalizedShape);
    }

    /** Whether this norm changes anything (false for {@link Normalization#NONE}). */
    boolean present() {
        return type != Normalization.NONE;
    }

    /**
     * Normalises {@code rows} rows of {@code x}.
     *
     * @param p the pass
     * @param x {@code [rows, C]}
     * @param rows number of rows; the hook shapes say how they split into batch, positions and heads
     * @return the norm's output {@code [rows, C]}: a new array, or {@code x} itself for no norm
     */
    float[] forward(Pass p, float[] x, int rows) {
        if (!present()) {
            return x;
        }
        int C = width;
        boolean rms = type.isRms();
        float[] out = new float[rows * C];
        float[] s = new float[rows];
        float[] lnW = rms ? null : w, lnB = rms ? null : b;
        Parallel.forRange(rows, Math.max(1, Pass.GRAIN / C), (s0, e0) -> {
            for (int r = s0; r < e0; r++) {
                s[r] = rms ? rmsRow(x, r * C, out, r * C, C, eps) : p.kk.layerNorm(x, r * C, lnW, 0, lnB, 0, eps, out, r * C, C);
            }
        });
        // Hooks that may change the scale (in place or by replacing it) get the computed one kept aside;
        // a scale that is only cached cannot change.
        float[] computed = p.hooked(scale) ? s.clone() : null;
        float[] hookedScale = p.hook(scale, s);
        if (computed != null) {
            // normalise again every row whose scale is not the one computed
            Parallel.forRange(rows, Math.max(1, Pass.GRAIN / C), (s0, e0) -> {
                for (int r = s0; r < e0; r++) {
                    if (Float.floatToRawIntBits(hookedScale[r]) == Float.floatToRawIntBits(computed[r])) {
                        continue;
                    }
                    float mean = rms ? 0f : p.kk.sum(x, r * C, C) / C;
                    for (int c = 0; c < C; c++) {
                        float y = (x[r * C + c] - mean) / hookedScale[r];
                        out[r * C + c] = lnW == null ? y : y * lnW[c] + lnB[c];
                    }
                }
            });
        }
        float[] norm = p.hook(normalized, out);
        if (!rms || w == null) {
            return norm;
        }
        // RMSNorm: hook_normalized is before the weight
        float[] weighted = new float[rows * C];
        Parallel.forRange(rows, Math.max(1, Pass.GRAIN / C), (s0, e0) -> {
            for (int r = s0; r < e0; r++) {
                p.kk.mul(norm, r * C, w, 0, weighted, r * C, C);
            }
        });
        return weighted;
    }

    /**
     * One row of RMSNorm without its weight: {@code out = x / sqrt(mean(x^2) + eps)}, summed in double
     * (the row is short and the sum of squares of float32 values loses bits at d_model in the thousands).
     *
     * @return the scale
     */
    static float rmsRow(float[] x, int xOff, float[] out, int outOff, int n, float eps) {
        double ss = 0;
        for (int i = 0; i < n; i++) {
            double v = x[xOff + i];
            ss += v * v;
        }
        float scale = (float) Math.sqrt(ss / n + eps);
        for (int i = 0; i < n; i++) {
            out[outOff + i] = x[xOff + i] / scale;
        }
        return scale;
    }
}
