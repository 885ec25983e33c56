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

    /** What the backward pass needs: the input, the scale the rows were divided by, and the hooked output. */
    private record Saved(float[] x, float[] scale, float[] normalized, int rows, int[] scaleShape, int[] normShape) {}

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
        return present() ? forward(p, x, rows, p.shape(scale), p.shape(normalized)) : x;
    }

    /**
     * Normalises {@code heads} per-head copies of each row of the pass: {@code [B, T, heads, C]}, with
     * hook shapes {@code [B, T, heads, 1]} and {@code [B, T, heads, C]} (ln1 with split inputs: the
     * key and value inputs of grouped attention have fewer heads than the query's).
     *
     * @param p the pass
     * @param x {@code [B * T * heads, C]}
     * @param heads copies per row
     * @return the norm's output
     */
    float[] forwardHeads(Pass p, float[] x, int heads) {
        return present() ? forward(p, x, p.N * heads, new int[] {p.B, p.T, heads, 1}, new int[] {p.B, p.T, heads, width}) : x;
    }

    private float[] forward(Pass p, float[] x, int rows, int[] scaleShape, int[] normShape) {
        int C = width;
        boolean rms = type.isRms();
        float[] out = p.arrayFor(normalized, rows * C);
        float[] s = p.arrayFor(scale, rows);
        float[] lnW = rms ? null : w, lnB = rms ? null : b;
        Parallel.forRange(rows, Math.max(1, Pass.GRAIN / C), (s0, e0) -> {
            for (int r = s0; r < e0; r++) {
                s[r] = rms ? rmsRow(x, r * C, out, r * C, C, eps) : p.kk.layerNorm(x, r * C, lnW, 0, lnB, 0, eps, out, r * C, C);
            }
        });
        // Hooks that may change the scale (in place or by replacing it) get the computed one kept aside;
        // a scale that is only cached cannot change.
        float[] computed = p.hooked(scale) ? s.clone() : null;
        float[] hookedScale = p.hook(scale, s, scaleShape);
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
        float[] norm = p.hook(normalized, out, normShape);
        if (p.grad) {
            p.save(this, new Saved(x, hookedScale, norm, rows, scaleShape, normShape));
        }
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
     * The backward pass: the gradient with respect to the input from the gradient with respect to
     * the output, through {@code hook_normalized} and {@code hook_scale} (whose gradients the backward
     * hooks see and the cache records), adding to the weight's and bias's gradients. With
     * {@code u = x_c / s} ({@code x_c} centred for LayerNorm): {@code du} from the output,
     * {@code hook_scale_grad = -sum(du x_c) / s^2}, {@code dx_c = du / s + ds x_c / (C s)}, and for
     * LayerNorm {@code dx = dx_c - mean(dx_c)}.
     *
     * @param p the pass
     * @param dOut the gradient of the norm's output, {@code [rows, C]}
     * @return the gradient of its input, {@code [rows, C]} (a new array, or {@code dOut} for no norm)
     */
    float[] backward(Pass p, float[] dOut) {
        if (!present()) {
            return dOut;
        }
        Saved sv = p.saved(this);
        int C = width, rows = sv.rows();
        boolean rms = type.isRms();
        float[] x = sv.x();
        int grain = Math.max(1, Pass.GRAIN / C);
        // each row's mean (LayerNorm), computed once for the steps below
        float[] mean = new float[rows];
        if (!rms) {
            Parallel.forRange(rows, grain, (s0, e0) -> {
                for (int r = s0; r < e0; r++) {
                    mean[r] = p.kk.sum(x, r * C, C) / C;
                }
            });
        }
        float[] du;
        if (rms) {
            // out = n * w (hook_normalized is n): dn = dOut * w, dw += dOut * n
            float[] dn = dOut;
            if (w != null) {
                dn = new float[rows * C];
                float[] dnw = dn;
                Parallel.forRange(rows, grain, (s0, e0) -> {
                    for (int r = s0; r < e0; r++) {
                        for (int c = 0; c < C; c++) {
                            dnw[r * C + c] = dOut[r * C + c] * w[c];
                        }
                    }
                });
                if (p.weightGrads != null) {
                    p.weightGrads.addVector(w, columnProductSums(dOut, sv.normalized(), rows));
                }
            }
            du = p.hookGrad(normalized, dn, sv.normShape());
        } else {
            // hook_normalized is u * w + b (LN) or u (LNPre)
            float[] dNorm = p.hookGrad(normalized, dOut, sv.normShape());
            if (w == null) {
                du = dNorm;
            } else {
                float[] duw = new float[rows * C];
                float[] u = new float[rows * C];                // (x - mean) / s, as the forward pass's rows
                Parallel.forRange(rows, grain, (s0, e0) -> {
                    for (int r = s0; r < e0; r++) {
                        float m = mean[r], s = sv.scale()[r];
                        for (int c = 0; c < C; c++) {
                            duw[r * C + c] = dNorm[r * C + c] * w[c];
                            u[r * C + c] = (x[r * C + c] - m) / s;
                        }
                    }
                });
                du = duw;
                if (p.weightGrads != null) {
                    p.weightGrads.addVector(w, columnProductSums(dNorm, u, rows));
                    p.weightGrads.addVector(b, columnProductSums(dNorm, null, rows));
                }
            }
        }
        // u = x_c / s: the direct term and the scale's gradient
        float[] ds = new float[rows];
        float[] duf = du;
        Parallel.forRange(rows, grain, (s0, e0) -> {
            for (int r = s0; r < e0; r++) {
                float s = sv.scale()[r];
                double acc = 0;
                for (int c = 0; c < C; c++) {
                    acc += (double) duf[r * C + c] * (x[r * C + c] - mean[r]);
                }
                ds[r] = (float) (-acc / ((double) s * s));
            }
        });
        float[] dsHooked = p.hookGrad(scale, ds, sv.scaleShape());
        float[] dx = new float[rows * C];
        Parallel.forRange(rows, Math.max(1, Pass.GRAIN / C), (s0, e0) -> {
            for (int r = s0; r < e0; r++) {
                float s = sv.scale()[r];
                float k = dsHooked[r] / (C * s);
                double sum = 0;
                for (int c = 0; c < C; c++) {
                    float v = duf[r * C + c] / s + k * (x[r * C + c] - mean[r]);
                    dx[r * C + c] = v;
                    sum += v;
                }
                if (!rms) {
                    float m = (float) (sum / C);
                    for (int c = 0; c < C; c++) {
                        dx[r * C + c] -= m;
                    }
                }
            }
        });
        return dx;
    }

    /**
     * {@code sum_r g[r, c] y[r, c]} (or {@code sum_r g[r, c]} when {@code y} is null) for every column
     * c of {@code [rows, C]} arrays: a weight's or bias's gradient. Each column is summed over the rows
     * in order, from zero, whatever the threads, which share the columns out in fixed blocks.
     */
    private float[] columnProductSums(float[] g, float[] y, int rows) {
        int C = width;
        float[] out = new float[C];
        Parallel.forRange(C, Math.max(16, C / 4 / 16 * 16), (c0, c1) -> {
            for (int r = 0; r < rows; r++) {
                int o = r * C;
                for (int c = c0; c < c1; c++) {
                    out[c] += y == null ? g[o + c] : g[o + c] * y[o + c];
                }
            }
        });
        return out;
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
