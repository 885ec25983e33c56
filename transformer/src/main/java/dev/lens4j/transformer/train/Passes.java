package dev.lens4j.transformer.train;

import dev.lens4j.tensor.Parallel;
import dev.lens4j.tensor.matmul.Gemm;
import dev.lens4j.tensor.matmul.MatrixOperand;

/**
 * Forward and backward passes of the layers of a small GPT-2-style transformer, on flat float arrays,
 * after llm.c's {@code train_gpt2.c}.
 *
 * <p>Dimension legend (TransformerLens names in brackets):
 * <pre>
 *   B  = batch                 T  = sequence length [pos]      C  = d_model
 *   NH = n_heads               HS = d_head                     QC = NH * HS (width of q, k, v and z)
 *   V  = d_vocab               F  = d_mlp
 * </pre>
 * Arrays are row-major; {@code [B, T, C]} means element {@code (b * T + t) * C + c}, starting at the
 * array offset passed beside the array. Weights are right-multiplying ({@code x @ W}) as in
 * TransformerLens; the fused {@code W_QKV [C, 3 QC]} holds Q, K and V column blocks, head {@code h}
 * at columns {@code h * HS .. h * HS + HS - 1} of each block.
 *
 * <p>Backward passes add ({@code +=}) into parameter gradients, which the caller zeroes once per step;
 * activation gradients are overwritten or accumulated as each method says. All work is split with
 * {@link Parallel} into tasks with disjoint outputs, every sum runs in a fixed order, and products go
 * through {@link Gemm} (one fused multiply-add chain per element): results do not depend on the number
 * of threads.
 */
final class Passes {

    private Passes() {}

    /** A row of ones, grown on demand and never shrunk, for column sums as {@code ones[1, N] @ X[N, M]}. */
    private static volatile float[] ones = new float[0];

    private static float[] ones(int n) {
        float[] o = ones;
        if (o.length < n) {
            o = new float[n];
            java.util.Arrays.fill(o, 1f);
            ones = o;
        }
        return o;
    }

    /**
     * {@code out[0, M] += sum over rows of x[N, M]}, in row order (each element is one chain of
     * {@code fma(1, x, acc)}, that is exact additions in row order), through {@link Gemm}'s few-row path.
     */
    static void columnSums(float[] x, int xOff, int N, int M, float[] out, int outOff) {
        Gemm.multiply(MatrixOperand.rowMajor(ones(N), 0, 1, N), MatrixOperand.rowMajor(x, xOff, N, M), out, outOff, M, true);
    }

    // ------------------------------------------------------------------ embeddings

    /**
     * {@code out[b, t, :] = W_E[tokens[b, t], :] + W_pos[t, :]} ({@code hook_embed + hook_pos_embed}).
     *
     * @param out {@code [B, T, C]}
     * @param tokens {@code [B, T]} token ids in {@code [0, V)}
     * @param wte {@code [V, C]} at {@code wteOff}
     * @param wpe {@code [n_ctx, C]} at {@code wpeOff}, {@code n_ctx >= T}
     */
    static void encoderForward(float[] out, int[] tokens, float[] wte, int wteOff, float[] wpe, int wpeOff,
                               int B, int T, int C) {
        for (int b = 0; b < B; b++) {
            for (int t = 0; t < T; t++) {
                int o = (b * T + t) * C;
                int e = wteOff + tokens[b * T + t] * C;
                int p = wpeOff + t * C;
                for (int c = 0; c < C; c++) {
                    out[o + c] = wte[e + c] + wpe[p + c];
                }
            }
        }
    }

    /**
     * Adds {@code dout} into the rows of the embeddings it came from, in (b, t) order.
     *
     * @param dwte {@code [V, C]} at {@code wteOff}, accumulated
     * @param dwpe {@code [n_ctx, C]} at {@code wpeOff}, accumulated
     * @param dout {@code [B, T, C]}
     * @param tokens {@code [B, T]}
     */
    static void encoderBackward(float[] dwte, int wteOff, float[] dwpe, int wpeOff, float[] dout, int[] tokens,
                                int B, int T, int C) {
        for (int b = 0; b < B; b++) {
            for (int t = 0; t < T; t++) {
                int o = (b * T + t) * C;
                int e = wteOff + tokens[b * T + t] * C;
                for (int c = 0; c < C; c++) {
                    dwte[e + c] += dout[o + c];
                }
            }
        }
        columnSums(dout, 0, B, T * C, dwpe, wpeOff); // dout as [B, T * C]: sum over the batch
    }

    // ------------------------------------------------------------------ layer norm

    /**
     * TransformerLens's LayerNorm over the last axis of {@code N} rows: {@code (x - mean) / scale * w + b}
     * with {@code scale = sqrt(mean((x - mean)^2) + eps)}.
     *
     * @param out {@code [N, C]}
     * @param mean {@code [N]} row means, kept for the backward pass
     * @param rstd {@code [N]} {@code 1 / scale} (TransformerLens's {@code hook_scale} is its inverse)
     * @param inp {@code [N, C]}
     * @param w {@code [C]} at {@code wOff}
     * @param bias {@code [C]} at {@code bOff}
     */
    static void layerNormForward(float[] out, float[] mean, float[] rstd, float[] inp, float[] w, int wOff,
                                 float[] bias, int bOff, int N, int C, float eps) {
        Parallel.forRange(N, 64, (s, e) -> {
            for (int n = s; n < e; n++) {
                int x = n * C;
                float m = ReproducibleMath.sum(inp, x, C) / C;
                for (int c = 0; c < C; c++) {
                    out[x + c] = inp[x + c] - m; // centred values, normalised in place below
                }
                float v = ReproducibleMath.dot(out, x, out, x, C);
                float r = 1f / (float) Math.sqrt(v / C + eps);
                for (int c = 0; c < C; c++) {
                    out[x + c] = Math.fma(out[x + c] * r, w[wOff + c], bias[bOff + c]);
                }
                mean[n] = m;
                rstd[n] = r;
            }
        });
    }

    /**
     * Backward pass of {@link #layerNormForward}.
     *
     * @param dinp {@code [N, C]}, accumulated
     * @param dparams parameter gradients, laid out like {@code params}; the weight's ({@code [C]} at
     *                {@code wOff}) and the bias's ({@code [C]} at {@code bOff}) are accumulated
     * @param dout {@code [N, C]}
     * @param inp {@code [N, C]} the forward input
     * @param params the parameters, with the weight {@code [C]} at {@code wOff}
     * @param mean {@code [N]} from the forward pass
     * @param rstd {@code [N]} from the forward pass
     * @param scratch {@code [N, C]} work space, overwritten
     */
    static void layerNormBackward(float[] dinp, float[] dparams, float[] dout, float[] inp, float[] params, int wOff,
                                  int bOff, float[] mean, float[] rstd, float[] scratch, int N, int C) {
        float[] w = params;
        Parallel.forRange(N, 64, (s, e) -> {
            float[] dnorm = new float[C];
            for (int n = s; n < e; n++) {
                int x = n * C;
                float m = mean[n], r = rstd[n];
                // xhat = (x - mean) r; dxhat = dout * w; dinp = r * (dxhat - mean(dxhat) - xhat * mean(dxhat * xhat))
                for (int c = 0; c < C; c++) {
                    scratch[x + c] = (inp[x + c] - m) * r;
                    dnorm[c] = w[wOff + c] * dout[x + c];
                }
                float dnormMean = ReproducibleMath.sum(dnorm, 0, C) / C;
                float dnormNormMean = ReproducibleMath.dot(dnorm, 0, scratch, x, C) / C;
                for (int c = 0; c < C; c++) {
                    float xhat = scratch[x + c];
                    dinp[x + c] += r * (dnorm[c] - dnormMean - xhat * dnormNormMean);
                    scratch[x + c] = xhat * dout[x + c]; // the weight's gradient, per row
                }
            }
        });
        // parameter gradients: sums over rows
        columnSums(scratch, 0, N, C, dparams, wOff);
        columnSums(dout, 0, N, C, dparams, bOff);
    }

    // ------------------------------------------------------------------ matmul

    /**
     * {@code out[N, OC] = inp[N, IC] @ w[IC, OC] + bias[OC]}.
     *
     * @param out {@code [N, OC]}, overwritten
     * @param inp {@code [N, IC]}
     * @param w {@code [IC, OC]} at {@code wOff}
     * @param bias {@code [OC]} at {@code bOff}
     */
    static void matmulForward(float[] out, float[] inp, float[] w, int wOff, float[] bias, int bOff, int N, int IC, int OC) {
        for (int n = 0; n < N; n++) {
            System.arraycopy(bias, bOff, out, n * OC, OC);
        }
        Gemm.multiply(MatrixOperand.rowMajor(inp, 0, N, IC), MatrixOperand.rowMajor(w, wOff, IC, OC), out, 0, OC, true);
    }

    /**
     * Backward pass of {@link #matmulForward}.
     *
     * @param dinp {@code [N, IC]}, accumulated if {@code accumulate}, else overwritten; null to skip
     * @param dparams parameter gradients, laid out like {@code params}; the weight's ({@code [IC, OC]} at
     *                {@code wOff}) and the bias's ({@code [OC]} at {@code bOff}) are accumulated
     * @param dout {@code [N, OC]}
     * @param inp {@code [N, IC]} the forward input
     * @param params the parameters, with the weight {@code [IC, OC]} at {@code wOff}
     */
    static void matmulBackward(float[] dinp, boolean accumulate, float[] dparams, float[] dout, float[] inp,
                               float[] params, int wOff, int bOff, int N, int IC, int OC) {
        float[] w = params, dw = dparams, db = dparams;
        MatrixOperand gOut = MatrixOperand.rowMajor(dout, 0, N, OC);
        if (dinp != null) {
            Gemm.multiply(gOut, MatrixOperand.rowMajor(w, wOff, IC, OC).transpose(), dinp, 0, IC, accumulate);
        }
        Gemm.multiply(MatrixOperand.rowMajor(inp, 0, N, IC).transpose(), gOut, dw, wOff, OC, true);
        columnSums(dout, 0, N, OC, db, bOff);
    }

    /**
     * {@link #matmulBackward} with the output gradient stored transposed.
     *
     * @param dinp {@code [N, IC]}, accumulated if {@code accumulate}, else overwritten
     * @param dparams parameter gradients; the weight's and bias's are accumulated
     * @param doutT {@code [OC, N]}: the output gradient, transposed
     * @param inp {@code [N, IC]} the forward input
     * @param params the parameters, with the weight {@code [IC, OC]} at {@code wOff}
     */
    static void matmulBackwardTransposed(float[] dinp, boolean accumulate, float[] dparams, float[] doutT, float[] inp,
                                         float[] params, int wOff, int bOff, int N, int IC, int OC) {
        MatrixOperand gOut = new MatrixOperand(doutT, null, 0, N, OC, 1, N); // [N, OC] view of [OC, N]
        Gemm.multiply(gOut, MatrixOperand.rowMajor(params, wOff, IC, OC).transpose(), dinp, 0, IC, accumulate);
        Gemm.multiply(MatrixOperand.rowMajor(inp, 0, N, IC).transpose(), gOut, dparams, wOff, OC, true);
        for (int j = 0; j < OC; j++) {
            dparams[bOff + j] += ReproducibleMath.sum(doutT, j * N, N);
        }
    }

    // ------------------------------------------------------------------ attention

    /**
     * Causal multi-head attention from fused q, k, v to z, one task per (batch, head):
     * <ol>
     *   <li>scores {@code q k^T / sqrt(HS)} ({@code hook_attn_scores}), computed as a full [T, T] product;</li>
     *   <li>softmax over the keys {@code t2 <= t}, zero above the diagonal ({@code hook_pattern});</li>
     *   <li>{@code z = pattern @ v} ({@code hook_z}).</li>
     * </ol>
     *
     * @param z {@code [B, T, QC]}, overwritten
     * @param att {@code [B, NH, T, T]} the pattern, overwritten
     * @param qkv {@code [B, T, 3 QC]}
     */
    static void attentionForward(float[] z, float[] att, float[] qkv, int B, int T, int NH, int HS) {
        int QC = NH * HS, C3 = 3 * QC;
        float scale = (float) (1.0 / Math.sqrt(HS));
        Parallel.forRange(B * NH, 1, (s, e) -> {
            for (int bh = s; bh < e; bh++) {
                int b = bh / NH, h = bh % NH;
                int qOff = b * T * C3 + h * HS;
                int aOff = bh * T * T;
                MatrixOperand q = new MatrixOperand(qkv, null, qOff, T, HS, C3, 1);
                MatrixOperand k = new MatrixOperand(qkv, null, qOff + QC, T, HS, C3, 1);
                MatrixOperand v = new MatrixOperand(qkv, null, qOff + 2 * QC, T, HS, C3, 1);
                // pass 1: raw scores q k^T
                Gemm.multiply(q, k.transpose(), att, aOff, T, false);
                // pass 2: scale, causal mask, softmax
                for (int t = 0; t < T; t++) {
                    softmaxRow(att, aOff + t * T, t + 1, T, scale);
                }
                // pass 3: z = pattern v
                Gemm.multiply(MatrixOperand.rowMajor(att, aOff, T, T), v, z, b * T * QC + h * HS, QC, false);
            }
        });
    }

    /**
     * In place: {@code row[0 .. n) = softmax(scale * row[0 .. n))}, {@code row[n .. len) = 0}. One pass
     * for the maximum, one for the exponentials and their sum (in index order), one to normalise.
     */
    private static void softmaxRow(float[] a, int row, int n, int len, float scale) {
        float max = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) {
            float x = a[row + i] * scale;
            a[row + i] = x;
            max = Math.max(max, x);
        }
        float sum = 0f;
        for (int i = 0; i < n; i++) {
            float ex = ReproducibleMath.exp(a[row + i] - max);
            a[row + i] = ex;
            sum += ex;
        }
        float inv = 1f / sum;
        for (int i = 0; i < n; i++) {
            a[row + i] *= inv;
        }
        for (int i = n; i < len; i++) {
            a[row + i] = 0f;
        }
    }

    /**
     * Backward pass of {@link #attentionForward}, one task per (batch, head). The gradient of q, k and v
     * is written transposed, {@code [3 QC, B T]}: each task's products then come out as [HS, T] blocks
     * (16 rows of full-width register tiles, written in place), and {@link #matmulBackwardTransposed}
     * reads the result through strides.
     *
     * @param dqkvT {@code [3 QC, B T]}: row {@code c QC + h HS + i}, column {@code b T + t} holds the
     *              gradient of {@code qkv[b, t, c QC + h HS + i]}; overwritten
     * @param dz {@code [B, T, QC]}
     * @param qkv {@code [B, T, 3 QC]} the forward input
     * @param att {@code [B, NH, T, T]} the forward pattern
     */
    static void attentionBackward(float[] dqkvT, float[] dz, float[] qkv, float[] att, int B, int T, int NH, int HS) {
        int QC = NH * HS, C3 = 3 * QC, BT = B * T;
        float scale = (float) (1.0 / Math.sqrt(HS));
        Parallel.forRange(B * NH, 1, (s, e) -> {
            float[] datt = new float[T * T]; // [T, T] scratch: d pattern, then d scores
            for (int bh = s; bh < e; bh++) {
                int b = bh / NH, h = bh % NH;
                int qOff = b * T * C3 + h * HS;
                int aOff = bh * T * T;
                int gOff = h * HS * BT + b * T; // block (row h HS, column b T) of the q part of dqkvT
                MatrixOperand q = new MatrixOperand(qkv, null, qOff, T, HS, C3, 1);
                MatrixOperand k = new MatrixOperand(qkv, null, qOff + QC, T, HS, C3, 1);
                MatrixOperand v = new MatrixOperand(qkv, null, qOff + 2 * QC, T, HS, C3, 1);
                MatrixOperand gz = new MatrixOperand(dz, null, b * T * QC + h * HS, T, HS, QC, 1);
                MatrixOperand pattern = MatrixOperand.rowMajor(att, aOff, T, T);
                // pass 1: d pattern = dz v^T; dv^T = dz^T pattern
                Gemm.multiply(gz, v.transpose(), datt, 0, T, false);
                Gemm.multiply(gz.transpose(), pattern, dqkvT, gOff + 2 * QC * BT, BT, false);
                // pass 2: softmax backward, d scores = p (dp - sum(p dp)) scale, zero above the diagonal
                for (int t = 0; t < T; t++) {
                    int row = aOff + t * T, drow = t * T;
                    float dot = ReproducibleMath.dot(att, row, datt, drow, t + 1);
                    for (int t2 = 0; t2 <= t; t2++) {
                        datt[drow + t2] = att[row + t2] * (datt[drow + t2] - dot) * scale;
                    }
                    for (int t2 = t + 1; t2 < T; t2++) {
                        datt[drow + t2] = 0f;
                    }
                }
                // pass 3: dq^T = k^T dScores^T, dk^T = q^T dScores
                MatrixOperand dScores = MatrixOperand.rowMajor(datt, 0, T, T);
                Gemm.multiply(k.transpose(), dScores.transpose(), dqkvT, gOff, BT, false);
                Gemm.multiply(q.transpose(), dScores, dqkvT, gOff + QC * BT, BT, false);
            }
        });
    }

    // ------------------------------------------------------------------ elementwise

    /**
     * {@code out = a + b}.
     *
     * @param out {@code [n]}
     * @param a {@code [n]}
     * @param b {@code [n]}
     */
    static void residualForward(float[] out, float[] a, float[] b, int n) {
        for (int i = 0; i < n; i++) {
            out[i] = a[i] + b[i];
        }
    }

    private static final float GELU_SCALE = (float) Math.sqrt(2.0 / Math.PI);

    /**
     * GPT-2's {@code gelu_new}: {@code 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))}.
     *
     * @param out {@code [n]}
     * @param inp {@code [n]}
     */
    static void geluForward(float[] out, float[] inp, int n) {
        Parallel.forRange(n, 8192, (s, e) -> {
            for (int i = s; i < e; i++) {
                float x = inp[i];
                float u = GELU_SCALE * (x + 0.044715f * x * x * x);
                out[i] = 0.5f * x * (1f + ReproducibleMath.tanh(u));
            }
        });
    }

    /**
     * Backward pass of {@link #geluForward}.
     *
     * @param dinp {@code [n]}, overwritten
     * @param inp {@code [n]} the forward input
     * @param dout {@code [n]}
     */
    static void geluBackward(float[] dinp, float[] inp, float[] dout, int n) {
        Parallel.forRange(n, 8192, (s, e) -> {
            for (int i = s; i < e; i++) {
                float x = inp[i];
                float u = GELU_SCALE * (x + 0.044715f * x * x * x);
                float th = ReproducibleMath.tanh(u);
                float sech2 = 1f - th * th;
                float local = 0.5f * (1f + th) + 0.5f * x * sech2 * GELU_SCALE * (1f + 3f * 0.044715f * x * x);
                dinp[i] = local * dout[i];
            }
        });
    }

    // ------------------------------------------------------------------ loss

    /**
     * Softmax and per-token cross-entropy of the next-token predictions.
     *
     * @param losses {@code [N]} {@code -log p[target]}, 0 where the target is negative (ignored)
     * @param probs {@code [N, V]} the softmax of the logits, overwritten
     * @param logits {@code [N, V]}
     * @param targets {@code [N]} the token to predict at each row, or -1 to ignore the row
     */
    static void crossEntropyForward(float[] losses, float[] probs, float[] logits, int[] targets, int N, int V) {
        Parallel.forRange(N, 64, (s, e) -> {
            for (int n = s; n < e; n++) {
                int o = n * V;
                float max = Float.NEGATIVE_INFINITY;
                for (int v = 0; v < V; v++) {
                    max = Math.max(max, logits[o + v]);
                }
                float sum = 0f;
                for (int v = 0; v < V; v++) {
                    float ex = ReproducibleMath.exp(logits[o + v] - max);
                    probs[o + v] = ex;
                    sum += ex;
                }
                float inv = 1f / sum;
                for (int v = 0; v < V; v++) {
                    probs[o + v] *= inv;
                }
                int target = targets[n];
                // log-sum-exp form: exact even when p[target] underflows. Reporting only, so Math.log is fine.
                losses[n] = target < 0 ? 0f : (float) (Math.log(sum) - (logits[o + target] - max));
            }
        });
    }

    /**
     * Gradient of {@code sum_n weight * losses[n]} with respect to the logits:
     * {@code (probs - onehot(target)) * weight}, zero for ignored rows.
     *
     * @param dlogits {@code [N, V]}, overwritten
     * @param probs {@code [N, V]} from {@link #crossEntropyForward}
     * @param targets {@code [N]}
     * @param weight the derivative of the total loss with respect to each token's loss, e.g. {@code 1 / count}
     */
    static void crossEntropyBackward(float[] dlogits, float[] probs, int[] targets, float weight, int N, int V) {
        Parallel.forRange(N, 64, (s, e) -> {
            for (int n = s; n < e; n++) {
                int o = n * V;
                int target = targets[n];
                if (target < 0) {
                    java.util.Arrays.fill(dlogits, o, o + V, 0f);
                    continue;
                }
                for (int v = 0; v < V; v++) {
                    dlogits[o + v] = probs[o + v] * weight;
                }
                dlogits[o + target] = (probs[o + target] - 1f) * weight;
            }
        });
    }
}
