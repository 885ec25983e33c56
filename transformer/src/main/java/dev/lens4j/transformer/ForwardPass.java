package dev.lens4j.transformer;

import dev.lens4j.hooks.ForwardHooks;
import dev.lens4j.hooks.HookPoint;
import dev.lens4j.tensor.Parallel;
import dev.lens4j.tensor.Shapes;
import dev.lens4j.tensor.Tensor;
import dev.lens4j.tensor.kernel.KernelProvider;
import dev.lens4j.tensor.kernel.Kernels;
import dev.lens4j.tensor.matmul.Gemm;
import dev.lens4j.tensor.matmul.MatrixOperand;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * One forward pass of a {@link HookedTransformer}: embed, blocks (attention, MLP), unembed, with a
 * TransformerLens hook point after every named step. One object per pass holds everything the pass
 * needs (its hooks, cache, mask, scratch buffers), so passes on several threads share only the
 * read-only weights.
 *
 * <p>Dimension legend (TransformerLens names in brackets):
 * <pre>
 *   B  batch            [batch]
 *   T  positions run by this pass           [pos] / [query_pos]
 *   P  positions already in the KV cache (0 without one)
 *   S  key positions, P + T                 [key_pos]
 *   C  residual width   [d_model]
 *   H  heads            [n_heads] / [head_index]
 *   D  head width       [d_head]
 *   F  MLP width        [d_mlp]
 *   V  vocabulary       [d_vocab]
 *   N  rows of activations, B * T
 * </pre>
 * Activations are row-major {@code float[]}: {@code [B, T, C]} holds row {@code n = b * T + t} at
 * {@code n * C}. An array that has been shown to a hook is never written afterwards (every step
 * writes a new array), so hooks and the cache may keep what they are given.
 */
final class ForwardPass {

    private static final ValueLayout.OfFloat F32_LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** Query rows per block of the attention GEMMs (see step 4 of {@link #attention}). */
    private static final int QUERY_BLOCK = 128;

    /** Floats per task of elementwise work. */
    private static final int GRAIN = 16384;

    private final TransformerConfig cfg;
    private final PreparedWeights w;
    private final ModelHookPoints pts;
    private final ForwardHooks hooks;
    private final Kernels kk = KernelProvider.kernels();
    private final int B, T, P, S, C, H, D, HD, F, V, N;
    private final int[][] mask;        // [B][S], 1 = real token, or null
    private final KvCache kv;          // or null
    private float[] scoresScratch;     // [B, H, T, S] when no hook looks at the scores
    private float[] patternScratch;    // [B, H, T, S] when no hook looks at the pattern

    /** Rows of per-head vectors: element (n, h, d) at {@code a[off + n * stride + h * D + d]}. */
    private record Heads(float[] a, int off, int stride) {}

    /** Keys or values: element (b, s, h, d) at {@code a[off + b * batchStride + s * stride + h * D + d]}. */
    private record Keys(float[] a, int off, int batchStride, int stride) {}

    ForwardPass(TransformerConfig cfg, PreparedWeights w, ModelHookPoints pts, ForwardHooks hooks,
                int batch, int pos, int[][] mask, KvCache kv) {
        this.cfg = cfg;
        this.w = w;
        this.pts = pts;
        this.hooks = hooks;
        this.B = batch;
        this.T = pos;
        this.P = kv == null ? 0 : kv.length();
        this.S = P + T;
        this.C = cfg.dModel();
        this.H = cfg.nHeads();
        this.D = cfg.dHead();
        this.HD = H * D;
        this.F = cfg.attnOnly() ? 0 : cfg.dMlp();
        this.V = cfg.dVocab();
        this.N = B * T;
        this.mask = mask;
        this.kv = kv;
    }

    // ------------------------------------------------------------------ hooks

    /** Runs the hooks of {@code p} on {@code x} (shape {@code shape}); returns the array to go on with. */
    private float[] hook(HookPoint p, float[] x, int... shape) {
        if (p == null || !hooks.isActive(p)) {
            return x;
        }
        Tensor in = Tensor.of(x, shape);
        Tensor out = hooks.run(p, in);
        return out == in ? x : compact(out);
    }

    /** Runs the hooks of a {@code [B, T, H, D]} point whose rows live inside a wider buffer. */
    private Heads hookHeads(HookPoint p, Heads x) {
        if (!hooks.isActive(p)) {
            return x;
        }
        Tensor in = x.stride == HD && x.off == 0 && x.a.length == N * HD
                ? Tensor.of(x.a, B, T, H, D)
                : Tensor.of(x.a, N, x.a.length / N).slice(1, x.off, x.off + HD).reshape(B, T, H, D);
        Tensor out = hooks.run(p, in);
        return out == in ? x : new Heads(compact(out), 0, HD);
    }

    private boolean active(HookPoint p) {
        return p != null && hooks.isActive(p);
    }

    /** Whether a hook (not just the cache) runs at {@code p}, so that its value may change in place. */
    private boolean hooked(HookPoint p) {
        return p != null && hooks.hasHooks(p);
    }

    /** The elements of a tensor as an array of exactly its size (no copy when it already is one). */
    private static float[] compact(Tensor t) {
        if (t.isHeap() && t.isContiguous() && t.heapOffset() == 0 && t.heapArray().length == t.size()) {
            return t.heapArray();
        }
        return t.toArray();
    }

    // ------------------------------------------------------------------ the pass

    /**
     * Runs blocks {@code [start, stop)} on a residual stream, then the unembedding unless stopping early.
     *
     * @param resid {@code [B, T, C]} the residual stream entering block {@code start}
     * @return logits {@code [B, T, V]}, or the residual stream {@code [B, T, C]} entering block {@code stop}
     */
    Tensor run(float[] resid, int start, int stop, boolean unembed) {
        for (int l = start; l < stop; l++) {
            resid = block(l, resid);
        }
        if (!unembed) {
            return Tensor.of(resid, B, T, C);
        }
        return unembed(resid);
    }

    /**
     * Token and positional embeddings, after {@code hook_tokens} when the model has it.
     *
     * @param tokens {@code [B][T]}, validated
     * @return the residual stream entering block 0, {@code [B, T, C]}
     */
    float[] embed(int[][] tokens) {
        // 0. hook_tokens: the ids, which a hook may replace with others
        tokens = hookTokens(tokens);
        // 1. hook_embed = W_E[tokens]
        float[] embed = new float[N * C];
        for (int b = 0; b < B; b++) {
            for (int t = 0; t < T; t++) {
                copyRow(w.wE, tokens[b][t], embed, (b * T + t) * C);
            }
        }
        embed = hook(pts.embed, embed, B, T, C);
        // 2. hook_pos_embed = W_pos[position]; with an attention mask, positions count real tokens
        //    only (so left padding does not shift them) and a pad token's positional embedding is zero
        float[] pos = new float[N * C];
        for (int b = 0; b < B; b++) {
            int real = 0;
            if (mask != null) {
                for (int s = 0; s < P; s++) {
                    real += mask[b][s];
                }
            }
            for (int t = 0; t < T; t++) {
                if (mask == null) {
                    copyRow(w.wPos, P + t, pos, (b * T + t) * C);
                } else if (mask[b][P + t] != 0) {
                    real++;
                    copyRow(w.wPos, real - 1, pos, (b * T + t) * C);
                }
            }
        }
        pos = hook(pts.posEmbed, pos, B, T, C);
        // 3. the residual stream starts as their sum
        return add(embed, pos, N * C);
    }

    /**
     * Runs the hooks of {@code hook_tokens} on the ids as floats (exact: d_vocab is at most 2^24, see
     * {@link TransformerConfig}). A hook may replace them or change them in place, but only with ids
     * of the vocabulary, since they index W_E.
     *
     * @param tokens {@code [B][T]}, validated
     * @return the ids to embed: {@code tokens} unless a hook ran
     * @throws IllegalArgumentException if a hook left a value that is not an integer in {@code [0, V)},
     *     naming the hook point, the position and the value
     */
    private int[][] hookTokens(int[][] tokens) {
        HookPoint p = pts.tokens;
        if (!active(p)) {
            return tokens;
        }
        float[] ids = new float[N];
        for (int b = 0; b < B; b++) {
            for (int t = 0; t < T; t++) {
                ids[b * T + t] = tokens[b][t];
            }
        }
        float[] hooked = hook(p, ids, B, T);
        if (!hooked(p)) {
            return tokens; // only cached: nothing could change the ids
        }
        int[][] replaced = new int[B][T];
        for (int b = 0; b < B; b++) {
            for (int t = 0; t < T; t++) {
                float id = hooked[b * T + t];
                if (id != Math.rint(id)) { // NaN too
                    throw new IllegalArgumentException("hook on " + p.name() + " left " + id + " at [" + b + ", " + t
                            + "], which is not an integral token id");
                }
                if (id < 0 || id >= V) {
                    throw new IllegalArgumentException("hook on " + p.name() + " left token id " + id + " at [" + b + ", " + t
                            + "], outside the vocabulary [0, " + V + ")");
                }
                replaced[b][t] = (int) id;
            }
        }
        return replaced;
    }

    /** One transformer block: {@code resid_post = resid_pre + attn(ln1(.)) [+ mlp(ln2(.))]}. */
    private float[] block(int l, float[] residIn) {
        ModelHookPoints.Block hp = pts.blocks.get(l);
        PreparedWeights.Layer lw = w.layers.get(l);
        float[] residPre = hook(hp.residPre(), residIn, B, T, C);
        float[] attnOut = attention(l, hp, lw, residPre);
        if (cfg.attnOnly()) {
            return hook(hp.residPost(), add(residPre, attnOut, N * C), B, T, C);
        }
        float[] residMid = hook(hp.residMid(), add(residPre, attnOut, N * C), B, T, C);
        float[] mlpOut = mlp(hp, lw, residMid);
        return hook(hp.residPost(), add(residMid, mlpOut, N * C), B, T, C);
    }

    /**
     * Multi-head causal self-attention.
     *
     * @return {@code hook_attn_out} {@code [B, T, C]}
     */
    private float[] attention(int l, ModelHookPoints.Block hp, PreparedWeights.Layer lw, float[] residPre) {
        // 1. the inputs of Q, K and V: one LayerNorm of the residual stream, or per-head copies of it
        float[] qkv = new float[N * 3 * HD]; // [N, 3, H, D]: q | k | v of every head
        if (cfg.useSplitQkvInput() || cfg.useAttnIn()) {
            float[] xq, xk, xv; // [N, H, C]
            if (cfg.useAttnIn()) {
                float[] in = hook(hp.attnIn(), repeatHeads(residPre), B, T, H, C);
                xq = xk = xv = layerNorm(in, N * H, lw.ln1W(), lw.ln1B(), hp.ln1Scale(), hp.ln1Normalized(), true);
            } else {
                float[] qIn = hook(hp.qInput(), repeatHeads(residPre), B, T, H, C);
                float[] kIn = hook(hp.kInput(), repeatHeads(residPre), B, T, H, C);
                float[] vIn = hook(hp.vInput(), repeatHeads(residPre), B, T, H, C);
                xq = layerNorm(qIn, N * H, lw.ln1W(), lw.ln1B(), hp.ln1Scale(), hp.ln1Normalized(), true);
                xk = layerNorm(kIn, N * H, lw.ln1W(), lw.ln1B(), hp.ln1Scale(), hp.ln1Normalized(), true);
                xv = layerNorm(vIn, N * H, lw.ln1W(), lw.ln1B(), hp.ln1Scale(), hp.ln1Normalized(), true);
            }
            // 2. each head projects its own input: q[n, h] = x[n, h] W_Q[h] + b_Q[h]
            float[][] inputs = {xq, xk, xv};
            for (int part = 0; part < 3; part++) {
                for (int h = 0; h < H; h++) {
                    int col = part * HD + h * D;
                    Linear.apply(inputs[part], h * C, H * C, N, Linear.columns(lw.wQkv(), col, D), lw.bQkv(), col, qkv, col, 3 * HD);
                }
            }
        } else {
            float[] x = layerNorm(residPre, N, lw.ln1W(), lw.ln1B(), hp.ln1Scale(), hp.ln1Normalized(), false);
            // 2. one GEMM for every head's q, k and v: [N, C] x [C, 3 H D]
            Linear.apply(x, 0, C, N, lw.wQkv(), lw.bQkv(), 0, qkv, 0, 3 * HD);
        }
        Heads q = hookHeads(hp.q(), new Heads(qkv, 0, 3 * HD));
        Heads k = hookHeads(hp.k(), new Heads(qkv, HD, 3 * HD));
        Heads v = hookHeads(hp.v(), new Heads(qkv, 2 * HD, 3 * HD));

        // 3. keys and values of every position: this pass's, after the cached ones
        Keys keys, values;
        if (kv != null) {
            keys = append(kv.keys(l), k);
            values = append(kv.values(l), v);
        } else {
            keys = new Keys(k.a, k.off, T * k.stride, k.stride);
            values = new Keys(v.a, v.off, T * v.stride, v.stride);
        }

        // 4. hook_attn_scores[b, h, t, s] = q[b, t, h] . k[b, s, h] / sqrt(D), -inf where s is in
        //    the future of t or a padding token
        boolean scoresSeen = active(hp.attnScores());
        float[] scores = scoresSeen ? new float[B * H * T * S] : (scoresScratch != null ? scoresScratch : (scoresScratch = new float[B * H * T * S]));
        //    Queries go in blocks of QUERY_BLOCK rows, and a block multiplies only the keys its last
        //    query may see, which skips most of the masked upper triangle.
        int blocks = (T + QUERY_BLOCK - 1) / QUERY_BLOCK;
        Gemm.multiplyBatched(B * H * blocks,
                i -> {
                    int bh = i / blocks, r0 = (i % blocks) * QUERY_BLOCK, rows = Math.min(QUERY_BLOCK, T - r0);
                    return new MatrixOperand(q.a, null, q.off + (long) (bh / H) * T * q.stride + (long) r0 * q.stride + (bh % H) * D,
                            rows, D, q.stride, 1);
                },
                i -> {
                    int bh = i / blocks, r0 = (i % blocks) * QUERY_BLOCK, rows = Math.min(QUERY_BLOCK, T - r0);
                    return new MatrixOperand(keys.a, null, keys.off + (long) (bh / H) * keys.batchStride + (bh % H) * D,
                            D, P + r0 + rows, 1, keys.stride);
                },
                scores, i -> ((i / blocks) * T + (i % blocks) * QUERY_BLOCK) * S, S, false);
        float scale = (float) (1.0 / Math.sqrt(D));
        Parallel.forRange(B * H * T, Math.max(1, GRAIN / S), (s0, e0) -> {
            for (int row = s0; row < e0; row++) {
                int b = row / (H * T), t = row % T;
                int base = row * S;
                int allowed = P + t + 1; // keys 0 .. P + t
                kk.mulScalar(scores, base, scale, scores, base, allowed);
                Arrays.fill(scores, base + allowed, base + S, Float.NEGATIVE_INFINITY);
                if (mask != null) {
                    int[] m = mask[b];
                    for (int s = 0; s < allowed; s++) {
                        if (m[s] == 0) {
                            scores[base + s] = Float.NEGATIVE_INFINITY;
                        }
                    }
                }
            }
        });
        float[] hookedScores = hook(hp.attnScores(), scores, B, H, T, S);
        //    A hook may have put finite scores anywhere, in place or in a new array; TransformerLens
        //    takes the softmax of the whole row, so rows with a score above -inf beyond the causal
        //    limit do too (the others give the same values either way, so they keep the short softmax).
        boolean scoresHooked = hooked(hp.attnScores());

        // 5. hook_pattern = softmax over keys; a row with no allowed key is all zeros (TL's NaN -> 0)
        boolean patternSeen = active(hp.pattern());
        float[] pattern = patternSeen ? new float[B * H * T * S] : (patternScratch != null ? patternScratch : (patternScratch = new float[B * H * T * S]));
        Parallel.forRange(B * H * T, Math.max(1, GRAIN / S), (s0, e0) -> {
            for (int row = s0; row < e0; row++) {
                int base = row * S;
                int n = P + row % T + 1; // keys 0 .. P + t; beyond them the scores are -inf
                if (scoresHooked && !allNegativeInfinity(hookedScores, base + n, base + S)) {
                    n = S;
                }
                kk.softmax(hookedScores, base, pattern, base, n);
                Arrays.fill(pattern, base + n, base + S, 0f);
                if (scoresHooked) {
                    zeroNaNs(pattern, base, n); // TL: torch.where(isnan(pattern), 0, pattern)
                }
            }
        });
        float[] hookedPattern = hook(hp.pattern(), pattern, B, H, T, S);

        // 6. hook_z[b, t, h] = sum_s pattern[b, h, t, s] v[b, s, h]
        float[] z = new float[N * HD];
        //    Each block of queries multiplies the keys up to its last query's causal limit, where the
        //    pattern ends unless the scores hook put weight beyond it or the pattern hook wrote there;
        //    a block with any nonzero weight beyond its limit multiplies every key, as TL does.
        int[] keysOfBlock = new int[B * H * blocks];
        for (int i = 0; i < keysOfBlock.length; i++) {
            keysOfBlock[i] = P + Math.min(T, (i % blocks + 1) * QUERY_BLOCK);
        }
        if (scoresHooked || hooked(hp.pattern())) {
            Parallel.forRange(keysOfBlock.length, 1, (s0, e0) -> {
                for (int i = s0; i < e0; i++) {
                    int bh = i / blocks, r0 = (i % blocks) * QUERY_BLOCK, end = Math.min(T, r0 + QUERY_BLOCK);
                    for (int t = r0; t < end && keysOfBlock[i] < S; t++) {
                        int base = (bh * T + t) * S;
                        if (!allZero(hookedPattern, base + keysOfBlock[i], base + S)) {
                            keysOfBlock[i] = S;
                        }
                    }
                }
            });
        }
        Gemm.multiplyBatched(B * H * blocks,
                i -> {
                    int bh = i / blocks, r0 = (i % blocks) * QUERY_BLOCK, rows = Math.min(QUERY_BLOCK, T - r0);
                    return new MatrixOperand(hookedPattern, null, ((long) bh * T + r0) * S, rows, keysOfBlock[i], S, 1);
                },
                i -> {
                    int bh = i / blocks;
                    return new MatrixOperand(values.a, null, values.off + (long) (bh / H) * values.batchStride + (bh % H) * D,
                            keysOfBlock[i], D, values.stride, 1);
                },
                z, i -> ((i / blocks) / H * T + (i % blocks) * QUERY_BLOCK) * HD + ((i / blocks) % H) * D, HD, false);
        z = hook(hp.z(), z, B, T, H, D);

        // 7. hook_attn_out = sum_h z[h] W_O[h] + b_O (through hook_result, the per-head terms, when asked for)
        float[] attnOut = new float[N * C];
        if (active(hp.result())) {
            float[] result = new float[N * H * C]; // [N, H, C], without b_O
            for (int h = 0; h < H; h++) {
                Linear.apply(z, h * D, HD, N, Linear.rows(lw.wO(), h * D, D), null, 0, result, h * C, H * C);
            }
            float[] hookedResult = hook(hp.result(), result, B, T, H, C);
            Parallel.forRange(N, Math.max(1, GRAIN / (H * C)), (s0, e0) -> {
                for (int n = s0; n < e0; n++) {
                    int o = n * C;
                    System.arraycopy(hookedResult, n * H * C, attnOut, o, C);
                    for (int h = 1; h < H; h++) {
                        kk.add(attnOut, o, hookedResult, (n * H + h) * C, attnOut, o, C);
                    }
                    kk.add(attnOut, o, lw.bO(), 0, attnOut, o, C);
                }
            });
        } else {
            Linear.apply(z, 0, HD, N, lw.wO(), lw.bO(), 0, attnOut, 0, C);
        }
        return hook(hp.attnOut(), attnOut, B, T, C);
    }

    /** Copies this pass's keys or values into the cache after the cached positions. */
    private Keys append(float[] cache, Heads x) {
        int cap = kv.capacity();
        Parallel.forRange(N, Math.max(1, GRAIN / HD), (s0, e0) -> {
            for (int n = s0; n < e0; n++) {
                int b = n / T, t = n % T;
                System.arraycopy(x.a, x.off + n * x.stride, cache, (b * cap + P + t) * HD, HD);
            }
        });
        return new Keys(cache, 0, cap * HD, HD);
    }

    /**
     * The MLP: {@code hook_mlp_out = act(ln2(resid_mid) W_in + b_in) W_out + b_out}.
     *
     * @return {@code hook_mlp_out} {@code [B, T, C]}
     */
    private float[] mlp(ModelHookPoints.Block hp, PreparedWeights.Layer lw, float[] residMid) {
        // 1. hook_mlp_in gets its own copy of resid_mid (TL clones it), so changing it in place leaves resid_mid alone
        float[] in = active(hp.mlpIn()) ? hook(hp.mlpIn(), residMid.clone(), B, T, C) : residMid;
        float[] x = layerNorm(in, N, lw.ln2W(), lw.ln2B(), hp.ln2Scale(), hp.ln2Normalized(), false);
        // 2. hook_pre = x W_in + b_in
        float[] pre = new float[N * F];
        Linear.apply(x, 0, C, N, lw.wIn(), lw.bIn(), 0, pre, 0, F);
        float[] hookedPre = hook(hp.pre(), pre, B, T, F);
        // 3. hook_post = act(pre)
        float[] post = new float[N * F];
        activation(hookedPre, post, N * F);
        post = hook(hp.post(), post, B, T, F);
        // 4. hook_mlp_out = post W_out + b_out
        float[] out = new float[N * C];
        Linear.apply(post, 0, F, N, lw.wOut(), lw.bOut(), 0, out, 0, C);
        return hook(hp.mlpOut(), out, B, T, C);
    }

    /**
     * The final LayerNorm and the unembedding.
     *
     * @return logits {@code [B, T, V]}
     */
    private Tensor unembed(float[] resid) {
        float[] x = layerNorm(resid, N, w.lnFinalW, w.lnFinalB, pts.lnFinalScale, pts.lnFinalNormalized, false);
        float[] logits = new float[N * V];
        Linear.apply(x, 0, C, N, w.wU, allZero(w.bU) ? null : w.bU, 0, logits, 0, V);
        return Tensor.of(logits, B, T, V);
    }

    // ------------------------------------------------------------------ parts

    /**
     * LayerNorm over rows of width C, with its two hook points; the identity for models without
     * normalisation. As in TransformerLens, the value of {@code hook_scale} after its hooks, replaced
     * or changed in place, is what the rows are divided by.
     *
     * @param x {@code [rows, C]}
     * @param lnW {@code [C]} or null (LNPre: the weight was folded away)
     * @param lnB {@code [C]} or null
     * @param perHead whether the rows are {@code [B, T, H]} (split or per-head inputs) rather than {@code [B, T]}
     * @return {@code hook_normalized} {@code [rows, C]}
     */
    private float[] layerNorm(float[] x, int rows, float[] lnW, float[] lnB, HookPoint scaleP, HookPoint normP, boolean perHead) {
        if (!cfg.hasNorm()) {
            return x;
        }
        int[] scaleShape = perHead ? new int[] {B, T, H, 1} : new int[] {B, T, 1};
        int[] normShape = perHead ? new int[] {B, T, H, C} : new int[] {B, T, C};
        float eps = cfg.eps();
        float[] out = new float[rows * C];
        float[] scale = new float[rows];
        Parallel.forRange(rows, Math.max(1, GRAIN / C), (s, e) -> {
            for (int r = s; r < e; r++) {
                scale[r] = kk.layerNorm(x, r * C, lnW, 0, lnB, 0, eps, out, r * C, C);
            }
        });
        // Hooks that may change the scale (in place or by replacing it) get the computed one kept aside;
        // a scale that is only cached cannot change.
        float[] computed = hooked(scaleP) ? scale.clone() : null;
        float[] hookedScale = hook(scaleP, scale, scaleShape);
        if (computed != null) {
            // normalise again every row whose scale is not the one computed, as (x - mean) / scale * w + b
            Parallel.forRange(rows, Math.max(1, GRAIN / C), (s, e) -> {
                for (int r = s; r < e; r++) {
                    if (Float.floatToRawIntBits(hookedScale[r]) == Float.floatToRawIntBits(computed[r])) {
                        continue;
                    }
                    float mean = kk.sum(x, r * C, C) / C;
                    for (int c = 0; c < C; c++) {
                        float y = (x[r * C + c] - mean) / hookedScale[r];
                        out[r * C + c] = lnW == null ? y : y * lnW[c] + lnB[c];
                    }
                }
            });
        }
        return hook(normP, out, normShape);
    }

    /** The MLP activation, elementwise: gelu_new, gelu (erf) or relu. */
    private void activation(float[] x, float[] out, int n) {
        switch (cfg.actFn()) {
            case "gelu_new" -> Parallel.forRange(n, GRAIN, (s, e) -> kk.geluNew(x, s, out, s, e - s));
            case "gelu" -> Parallel.forRange(n, GRAIN, (s, e) -> {
                for (int i = s; i < e; i++) {
                    out[i] = (float) (0.5 * x[i] * (1 + Erf.erf(x[i] / Math.sqrt(2))));
                }
            });
            case "relu" -> Parallel.forRange(n, GRAIN, (s, e) -> {
                for (int i = s; i < e; i++) {
                    out[i] = Math.max(0f, x[i]);
                }
            });
            default -> throw new IllegalStateException("unsupported act_fn " + cfg.actFn());
        }
    }

    /** {@code [N, C]} rows repeated over heads: {@code [N, H, C]}. */
    private float[] repeatHeads(float[] x) {
        float[] out = new float[N * H * C];
        Parallel.forRange(N, Math.max(1, GRAIN / (H * C)), (s, e) -> {
            for (int n = s; n < e; n++) {
                for (int h = 0; h < H; h++) {
                    System.arraycopy(x, n * C, out, (n * H + h) * C, C);
                }
            }
        });
        return out;
    }

    /** {@code a + b} elementwise into a new array. */
    private float[] add(float[] a, float[] b, int n) {
        float[] out = new float[n];
        Parallel.forRange(n, GRAIN, (s, e) -> kk.add(a, s, b, s, out, s, e - s));
        return out;
    }

    private static boolean allZero(float[] x) {
        return allZero(x, 0, x.length);
    }

    /** Whether {@code x[from, to)} is all zeros (NaN is not). */
    private static boolean allZero(float[] x, int from, int to) {
        for (int i = from; i < to; i++) {
            if (x[i] != 0f) {
                return false;
            }
        }
        return true;
    }

    /** Whether {@code x[from, to)} is all {@code -inf}. */
    private static boolean allNegativeInfinity(float[] x, int from, int to) {
        for (int i = from; i < to; i++) {
            if (x[i] != Float.NEGATIVE_INFINITY) {
                return false;
            }
        }
        return true;
    }

    /** Sets the NaNs of {@code x[from, from + n)} to zero. */
    private static void zeroNaNs(float[] x, int from, int n) {
        for (int i = from; i < from + n; i++) {
            if (Float.isNaN(x[i])) {
                x[i] = 0f;
            }
        }
    }

    /** Copies row {@code row} of a {@code [rows, C]} weight (heap or mapped, any strides) into {@code dst}. */
    private void copyRow(MatrixOperand m, int row, float[] dst, int dstOff) {
        int cols = m.cols();
        long start = m.offset() + row * m.rowStride();
        if (m.colStride() == 1 && m.array() != null) {
            System.arraycopy(m.array(), (int) start, dst, dstOff, cols);
        } else if (m.colStride() == 1) {
            MemorySegment.copy(m.segment(), F32_LE, start * Float.BYTES, dst, dstOff, cols);
        } else {
            for (int c = 0; c < cols; c++) {
                dst[dstOff + c] = m.get(row, c);
            }
        }
    }

    @Override
    public String toString() {
        return "ForwardPass" + Shapes.str(B, T) + (P > 0 ? " after " + P + " cached positions" : "");
    }
}
