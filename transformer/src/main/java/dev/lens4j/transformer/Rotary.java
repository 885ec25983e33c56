package dev.lens4j.transformer;

/**
 * Rotary positional embeddings (RoPE), as TransformerLens's {@code apply_rotary} and Hugging Face's
 * {@code apply_rotary_pos_emb}: the first {@code rotary_dim} dimensions of each query and key head
 * are rotated in pairs by angles {@code position * inv_freq}; the rest pass through.
 * <pre>
 *   inv_freq[i] = rotary_base^(-2i / rotary_dim)            i &lt; rotary_dim / 2 (Llama 3 scaling below)
 *   halves (GPT-NeoX, Llama):  pair (j, j + R/2), frequency i = j
 *   adjacent (GPT-J):          pair (2i, 2i + 1)
 *   out = x cos(angle) + rotate(x) sin(angle),   rotate(a, b) = (-b, a)
 * </pre>
 * Angles are computed in double and rounded once, so they do not depend on the position's size in
 * float32 arithmetic (Hugging Face computes them in float32; the difference is below 1e-6 up to a
 * few thousand positions).
 */
final class Rotary {

    private final int dims;             // R, rotary_dim
    private final boolean adjacent;
    private final double[] invFreq;     // [R / 2]

    Rotary(TransformerConfig c) {
        this.dims = c.rotaryDim();
        this.adjacent = c.rotaryAdjacentPairs();
        int half = dims / 2;
        invFreq = new double[half];
        for (int i = 0; i < half; i++) {
            invFreq[i] = 1.0 / StrictMath.pow(c.rotaryBase(), (2.0 * i) / dims);
        }
        if (c.useNtkByPartsRope()) {
            llama3Scaling(invFreq, c.ntkByPartsFactor(), c.ntkByPartsLowFreqFactor(), c.ntkByPartsHighFreqFactor(),
                    c.ntkOriginalCtxLen());
        }
    }

    /**
     * Llama 3's "NTK by parts" frequency scaling (Hugging Face's {@code _compute_llama3_parameters},
     * TransformerLens's {@code use_NTK_by_parts_rope}): long wavelengths are divided by {@code factor},
     * short ones kept, and those in between interpolated.
     */
    private static void llama3Scaling(double[] invFreq, double factor, double lowFreqFactor, double highFreqFactor, int oldContextLen) {
        double lowFreqWavelen = oldContextLen / lowFreqFactor;
        double highFreqWavelen = oldContextLen / highFreqFactor;
        for (int i = 0; i < invFreq.length; i++) {
            double f = invFreq[i];
            double wavelen = 2 * Math.PI / f;
            double scaled = wavelen > lowFreqWavelen ? f / factor : f;
            boolean medium = !(wavelen < highFreqWavelen) && !(wavelen > lowFreqWavelen);
            if (medium) {
                double smooth = (oldContextLen / wavelen - lowFreqFactor) / (highFreqFactor - lowFreqFactor);
                scaled = (1 - smooth) * scaled / factor + smooth * scaled;
            }
            invFreq[i] = scaled;
        }
    }

    /** Cosines and sines of one pass's positions, {@code [B * T, R / 2]} each. */
    record Table(float[] cos, float[] sin, int half) {}

    /** The angles of a pass's positions (computed once per pass, shared by every layer). */
    Table table(Pass p) {
        int half = dims / 2;
        float[] cos = new float[p.N * half];
        float[] sin = new float[p.N * half];
        for (int b = 0; b < p.B; b++) {
            for (int t = 0; t < p.T; t++) {
                int pos = p.positions[b][t];
                int o = (b * p.T + t) * half;
                for (int i = 0; i < half; i++) {
                    double a = pos * invFreq[i];
                    cos[o + i] = (float) StrictMath.cos(a);
                    sin[o + i] = (float) StrictMath.sin(a);
                }
            }
        }
        return new Table(cos, sin, half);
    }

    /**
     * Rotates every head of every row.
     *
     * @param x the heads, read
     * @param heads heads per row
     * @param d head width
     * @param rows B * T
     * @param table this pass's angles
     * @return the rotated heads, a compact new {@code [rows, heads, d]} array
     */
    float[] apply(Heads x, int heads, int d, int rows, Table table) {
        float[] out = new float[rows * heads * d];
        int half = table.half();
        for (int n = 0; n < rows; n++) {
            int a = n * half;
            for (int h = 0; h < heads; h++) {
                int in = x.at(n, h);
                int o = (n * heads + h) * d;
                if (adjacent) {
                    for (int i = 0; i < half; i++) {
                        float x0 = x.a()[in + 2 * i], x1 = x.a()[in + 2 * i + 1];
                        float c = table.cos()[a + i], s = table.sin()[a + i];
                        out[o + 2 * i] = x0 * c - x1 * s;
                        out[o + 2 * i + 1] = x1 * c + x0 * s;
                    }
                } else {
                    for (int i = 0; i < half; i++) {
                        float x0 = x.a()[in + i], x1 = x.a()[in + i + half];
                        float c = table.cos()[a + i], s = table.sin()[a + i];
                        out[o + i] = x0 * c - x1 * s;
                        out[o + i + half] = x1 * c + x0 * s;
                    }
                }
                System.arraycopy(x.a(), in + dims, out, o + dims, d - dims);
            }
        }
        return out;
    }

    /**
     * The backward pass of {@link #apply}: each pair is rotated back by its angle (the rotation's
     * transpose), the dimensions beyond {@code rotary_dim} pass through.
     *
     * @param g the gradient with respect to the rotated heads, compact {@code [rows, heads, d]}
     * @param heads heads per row
     * @param d head width
     * @param rows B * T
     * @param table the pass's angles
     * @return the gradient with respect to the heads before rotation, compact {@code [rows, heads, d]}
     */
    float[] unapply(float[] g, int heads, int d, int rows, Table table) {
        float[] out = new float[rows * heads * d];
        int half = table.half();
        for (int n = 0; n < rows; n++) {
            int a = n * half;
            for (int h = 0; h < heads; h++) {
                int o = (n * heads + h) * d;
                for (int i = 0; i < half; i++) {
                    int i0 = adjacent ? 2 * i : i, i1 = adjacent ? 2 * i + 1 : i + half;
                    float g0 = g[o + i0], g1 = g[o + i1];
                    float c = table.cos()[a + i], s = table.sin()[a + i];
                    out[o + i0] = g0 * c + g1 * s;
                    out[o + i1] = g1 * c - g0 * s;
                }
                System.arraycopy(g, o + dims, out, o + dims, d - dims);
            }
        }
        return out;
    }
}
