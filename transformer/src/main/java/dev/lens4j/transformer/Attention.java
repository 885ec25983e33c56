package dev.lens4j.transformer;

import dev.lens4j.hooks.ActNames;
import dev.lens4j.hooks.HookPoint;
import dev.lens4j.tensor.Parallel;
import dev.lens4j.tensor.matmul.Gemm;
import dev.lens4j.tensor.matmul.MatrixOperand;

import java.util.Arrays;

import static dev.lens4j.transformer.HookPoints.Dim.BATCH;
import static dev.lens4j.transformer.HookPoints.Dim.D_HEAD;
import static dev.lens4j.transformer.HookPoints.Dim.D_MODEL;
import static dev.lens4j.transformer.HookPoints.Dim.KEY_POS;
import static dev.lens4j.transformer.HookPoints.Dim.KEY_ROWS;
import static dev.lens4j.transformer.HookPoints.Dim.N_HEADS;
import static dev.lens4j.transformer.HookPoints.Dim.N_KV_HEADS;
import static dev.lens4j.transformer.HookPoints.Dim.ONE;
import static dev.lens4j.transformer.HookPoints.Dim.POS;
import static dev.lens4j.transformer.HookPoints.Dim.QUERY_POS;
import static dev.lens4j.transformer.HookPoints.Dim.QUERY_ROWS;

/**
 * Causal self-attention of one layer, TransformerLens's {@code Attention} and
 * {@code GroupedQueryAttention}, with its hook points {@code blocks.L.attn.hook_*}: multi-head,
 * grouped-query and multi-query (query head h reads key/value head {@code h / (H / KV)}), optional
 * biases, per-head query/key RMS norms, rotary positions, a score scale and soft cap, and local
 * (sliding-window) layers. Its input is the normalised residual stream (or per-head copies of it);
 * its output, before the block's {@code hook_attn_out}, is {@code sum_h z[h] W_O[h] + b_O}.
 *
 * <p>Dimensions as in {@link Pass}; H query heads, KV key/value heads, D head width, C d_model.
 */
final class Attention {

    /** Query rows per block of the attention GEMMs (see step 4 of {@link #forward}). */
    private static final int QUERY_BLOCK = 128;

    private final int layer;
    private final int H, KV, D, HD, C, group;
    private final PreparedWeights.Qkv qkv;
    private final MatrixOperand wO;         // [H * D, C]
    private final float[] bO;               // [C]
    private final Norm qNorm, kNorm;        // per-head RMS norms of q and k (Qwen3), or null
    private final Rotary rotary;            // or null
    private final float scale;              // what scores are multiplied by: 1 / attn_scale
    private final float softCap;            // > 0, or -1
    private final int window;               // keys a query sees in a local layer, or 0 (global)

    final HookPoint q, k, v, rotQ, rotK, attnScores, pattern, z, result;

    Attention(TransformerConfig c, int layer, PreparedWeights.Layer w, Rotary rotary, HookPoints points) {
        this.layer = layer;
        this.H = c.nHeads();
        this.KV = c.nKvHeads();
        this.D = c.dHead();
        this.HD = H * D;
        this.C = c.dModel();
        this.group = H / KV;
        this.qkv = w.qkv();
        this.wO = w.wO();
        this.bO = w.bO();
        this.rotary = rotary;
        this.scale = c.useAttnScale() ? 1f / c.attnScale() : 1f;
        this.softCap = c.attnScoresSoftCap();
        this.window = c.attnType(layer) == AttentionType.LOCAL ? c.windowSize() : 0;
        q = points.add(ActNames.of("q", layer), BATCH, POS, N_HEADS, D_HEAD);
        k = points.add(ActNames.of("k", layer), BATCH, POS, N_KV_HEADS, D_HEAD);
        v = points.add(ActNames.of("v", layer), BATCH, POS, N_KV_HEADS, D_HEAD);
        String path = "blocks." + layer + ".attn.";
        if (c.useQkNorm()) {
            qNorm = new Norm(Normalization.RMS, path + "q_norm", w.qNormW(), null, D, c.eps(), points,
                    new HookPoints.Dim[] {QUERY_ROWS, ONE}, new HookPoints.Dim[] {QUERY_ROWS, D_HEAD});
            kNorm = new Norm(Normalization.RMS, path + "k_norm", w.kNormW(), null, D, c.eps(), points,
                    new HookPoints.Dim[] {KEY_ROWS, ONE}, new HookPoints.Dim[] {KEY_ROWS, D_HEAD});
        } else {
            qNorm = kNorm = null;
        }
        rotQ = points.addIf(rotary != null, ActNames.of("rot_q", layer), BATCH, POS, N_HEADS, D_HEAD);
        rotK = points.addIf(rotary != null, ActNames.of("rot_k", layer), BATCH, POS, N_KV_HEADS, D_HEAD);
        attnScores = points.add(ActNames.of("attn_scores", layer), BATCH, N_HEADS, QUERY_POS, KEY_POS);
        pattern = points.add(ActNames.of("pattern", layer), BATCH, N_HEADS, QUERY_POS, KEY_POS);
        z = points.add(ActNames.of("z", layer), BATCH, POS, N_HEADS, D_HEAD);
        result = points.addIf(HookSwitch.ATTN_RESULT, c.useAttnResult(), ActNames.of("result", layer),
                BATCH, POS, N_HEADS, D_MODEL);
    }

    /** Heads per QKV part (0 = Q, 1 = K, 2 = V). */
    private int heads(int part) {
        return part == 0 ? H : KV;
    }

    /**
     * The input of each part: the same normalised rows for all three, or per-head copies.
     *
     * @param x {@code [N, C]} rows, or {@code [N, heads(part), C]} per-head rows (when {@code perHead[part]})
     */
    record Inputs(float[][] x, boolean perHead) {}

    /**
     * Runs attention.
     *
     * @param p the pass
     * @param in the normalised input(s)
     * @param rope this pass's rotary angles, or null
     * @param outPoint the block's hook point that will show the output ({@code hook_attn_out}), or null
     *        when another step comes between ({@link Pass#arrayFor})
     * @return {@code sum_h z[h] W_O[h] + b_O}, {@code [N, C]}
     */
    float[] forward(Pass p, Inputs in, Rotary.Table rope, HookPoint outPoint) {
        int N = p.N, B = p.B, T = p.T, P = p.P, S = p.S;
        // 1-2. q, k, v of every head: one GEMM for all of them, or one per part, or one per head with per-head inputs
        //    into the pass's scratch unless something may keep a view of it: a hook on q, k or v (a cache of
        //    them gathers its own copy, Pass#hookHeads) or a backward pass, which keeps the views
        boolean viewsKept = p.grad || p.hooked(q) || p.hooked(k) || p.hooked(v);
        float[] buf = viewsKept ? new float[N * qkv.width()] : p.scratch(Pass.Scratch.QKV, N * qkv.width());
        float[] bias = Linear.unlessZero(qkv.bias());
        if (!in.perHead()) {
            if (qkv.fused()) {
                Linear.apply(p, in.x()[0], 0, C, N, qkv.w()[0], bias, 0, buf, 0, qkv.width());
            } else {
                for (int part = 0; part < 3; part++) {
                    Linear.apply(p, in.x()[part], 0, C, N, qkv.w()[part], bias, qkv.out()[part], buf, qkv.out()[part], qkv.width());
                }
            }
        } else {
            for (int part = 0; part < 3; part++) {
                int hp = heads(part);
                for (int h = 0; h < hp; h++) {
                    int col = qkv.col()[part] + h * qkv.headCols()[part];
                    int outCol = qkv.out()[part] + h * qkv.outHeadCols()[part];
                    Linear.apply(p, in.x()[part], h * C, hp * C, N, Linear.columns(qkv.w()[part], col, D), bias, outCol,
                            buf, outCol, qkv.width());
                }
            }
        }
        Heads qh = p.hookHeads(q, part(buf, 0), H, D);
        Heads kh = p.hookHeads(k, part(buf, 1), KV, D);
        Heads vh = p.hookHeads(v, part(buf, 2), KV, D);
        //    per-head RMS norms of queries and keys (Qwen3), before rotary; their hooks see
        //    [batch * pos * heads, d_head] rows, as TransformerLens flattens them
        if (qNorm != null) {
            qh = Heads.compact(qNorm.forward(p, qh.isCompact(N, H, D) ? qh.a() : qh.gather(N, H, D), N * H), H, D);
            kh = Heads.compact(kNorm.forward(p, kh.isCompact(N, KV, D) ? kh.a() : kh.gather(N, KV, D), N * KV), KV, D);
        }
        //    rotary positions
        if (rope != null) {
            qh = Heads.compact(p.hook(rotQ, rotary.apply(qh, H, D, N, rope)), H, D);
            kh = Heads.compact(p.hook(rotK, rotary.apply(kh, KV, D, N, rope)), KV, D);
        }

        // 3. keys and values of every position: this pass's, after the cached ones
        Keys keys, values;
        if (p.kv != null) {
            keys = appendTransposed(p, p.kv.keys(layer), kh);
            values = append(p, p.kv.values(layer), vh);
        } else {
            keys = new Keys(kh.a(), kh.off(), T * kh.stride(), kh.stride(), kh.headStride(), 1);
            values = new Keys(vh.a(), vh.off(), T * vh.stride(), vh.stride(), vh.headStride(), 1);
        }
        Heads qq = qh;

        // 4. hook_attn_scores[b, h, t, s] = q[b, t, h] . k[b, s, h / group] / attn_scale, soft-capped,
        //    -inf where s is in the future of t, outside a local window, or a padding token.
        //    Queries go in blocks of QUERY_BLOCK rows, and a block multiplies only the keys its last
        //    query may see, which skips most of the masked upper triangle.
        float[] scores = p.scratchFor(attnScores, Pass.Scratch.SCORES, B * H * T * S);
        int blocks = (T + QUERY_BLOCK - 1) / QUERY_BLOCK;
        Gemm.multiplyBatched(B * H * blocks,
                i -> {
                    int bh = i / blocks, r0 = (i % blocks) * QUERY_BLOCK, rows = Math.min(QUERY_BLOCK, T - r0);
                    return new MatrixOperand(qq.a(), null, qq.at((bh / H) * T + r0, bh % H), rows, D, qq.stride(), 1);
                },
                i -> {
                    int bh = i / blocks, r0 = (i % blocks) * QUERY_BLOCK, rows = Math.min(QUERY_BLOCK, T - r0);
                    return keys.transposed(bh / H, (bh % H) / group, D, P + r0 + rows);
                },
                scores, i -> ((i / blocks) * T + (i % blocks) * QUERY_BLOCK) * S, S, false);
        int[][] mask = p.mask;
        Parallel.forRange(B * H * T, Math.max(1, Pass.GRAIN / S), (s0, e0) -> {
            for (int row = s0; row < e0; row++) {
                int b = row / (H * T), t = row % T;
                int base = row * S;
                int allowed = P + t + 1; // keys 0 .. P + t
                p.kk.mulScalar(scores, base, scale, scores, base, allowed);
                if (softCap > 0) {
                    for (int s = 0; s < allowed; s++) {
                        scores[base + s] = (float) (softCap * p.tanh(scores[base + s] / softCap));
                    }
                }
                Arrays.fill(scores, base + allowed, base + S, Float.NEGATIVE_INFINITY);
                if (window > 0 && allowed > window) {
                    Arrays.fill(scores, base, base + allowed - window, Float.NEGATIVE_INFINITY);
                }
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
        float[] hookedScores = p.hook(attnScores, scores);
        //    A hook may have put finite scores anywhere, in place or in a new array; TransformerLens
        //    takes the softmax of the whole row, so rows with a score above -inf beyond the causal
        //    limit do too (the others give the same values either way, so they keep the short softmax).
        boolean scoresHooked = p.hooked(attnScores);

        // 5. hook_pattern = softmax over keys; a row with no allowed key is all zeros (TL's NaN -> 0)
        float[] pat = p.scratchFor(pattern, Pass.Scratch.PATTERN, B * H * T * S);
        Parallel.forRange(B * H * T, Math.max(1, Pass.GRAIN / S), (s0, e0) -> {
            for (int row = s0; row < e0; row++) {
                int base = row * S;
                int n = P + row % T + 1; // keys 0 .. P + t; beyond them the scores are -inf
                if (scoresHooked && !allNegativeInfinity(hookedScores, base + n, base + S)) {
                    n = S;
                }
                p.kk.softmax(hookedScores, base, pat, base, n);
                Arrays.fill(pat, base + n, base + S, 0f);
                if (scoresHooked) {
                    zeroNaNs(pat, base, n); // TL: torch.where(isnan(pattern), 0, pattern)
                }
            }
        });
        float[] hookedPattern = p.hook(pattern, pat);

        // 6. hook_z[b, t, h] = sum_s pattern[b, h, t, s] v[b, s, h / group]
        float[] zz = p.arrayFor(z, N * HD);
        //    Each block of queries multiplies the keys up to its last query's causal limit, where the
        //    pattern ends unless the scores hook put weight beyond it or the pattern hook wrote there;
        //    a block with any nonzero weight beyond its limit multiplies every key, as TL does.
        int[] keysOfBlock = new int[B * H * blocks];
        for (int i = 0; i < keysOfBlock.length; i++) {
            keysOfBlock[i] = P + Math.min(T, (i % blocks + 1) * QUERY_BLOCK);
        }
        if (scoresHooked || p.hooked(pattern)) {
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
                    return new MatrixOperand(values.a(), null, values.at(bh / H, 0, (bh % H) / group), keysOfBlock[i], D,
                            values.stride(), 1);
                },
                zz, i -> ((i / blocks) / H * T + (i % blocks) * QUERY_BLOCK) * HD + ((i / blocks) % H) * D, HD, false);
        float[] zHooked = p.hook(z, zz);
        if (p.grad) {
            p.save(this, new Saved(in, qh, kh, vh, hookedScores, hookedPattern, zHooked, rope));
        }

        // 7. sum_h z[h] W_O[h] + b_O (through hook_result, the per-head terms, when asked for)
        float[] out = p.arrayFor(outPoint, N * C);
        if (p.active(result)) {
            float[] res = p.arrayFor(result, N * H * C); // [N, H, C], without b_O
            for (int h = 0; h < H; h++) {
                Linear.apply(p, zHooked, h * D, HD, N, Linear.rows(wO, h * D, D), null, 0, res, h * C, H * C);
            }
            float[] hookedResult = p.hook(result, res);
            Parallel.forRange(N, Math.max(1, Pass.GRAIN / (H * C)), (s0, e0) -> {
                for (int n = s0; n < e0; n++) {
                    int o = n * C;
                    System.arraycopy(hookedResult, n * H * C, out, o, C);
                    for (int h = 1; h < H; h++) {
                        p.kk.add(out, o, hookedResult, (n * H + h) * C, out, o, C);
                    }
                    p.kk.add(out, o, bO, 0, out, o, C);
                }
            });
        } else {
            Linear.apply(p, zHooked, 0, HD, N, wO, bO, 0, out, 0, C);
        }
        return out;
    }

    /**
     * What the backward pass needs: the inputs, the queries and keys as the scores used them
     * (after norms, rotary and hooks), the values, the hooked scores and pattern, z, the angles.
     */
    private record Saved(Inputs in, Heads q, Heads k, Heads v, float[] scores, float[] pattern, float[] z, Rotary.Table rope) {}

    /**
     * The backward pass: from the gradient of the attention's output to those of its inputs, through
     * every hook point in reverse ({@code hook_result}, {@code hook_z}, {@code hook_pattern},
     * {@code hook_attn_scores}, {@code hook_rot_q}/{@code hook_rot_k}, the q/k norms,
     * {@code hook_q}, {@code hook_k}, {@code hook_v}), adding to the weights' gradients. Grouped key
     * and value heads receive the sum over the query heads that read them.
     *
     * @param p the pass
     * @param dOut {@code [N, C]} the gradient of {@code sum_h z[h] W_O[h] + b_O}
     * @return the gradient of each part's input ({@code [N, C]}, or {@code [N, heads, C]} per head), in {@link Inputs} form
     */
    float[][] backward(Pass p, float[] dOut) {
        Saved sv = p.saved(this);
        int N = p.N, B = p.B, T = p.T, S = p.S;
        if (p.P != 0) {
            throw new IllegalStateException("a backward pass through a KV-cached step is not supported");
        }
        // 7. out = sum_h z[h] W_O[h] + b_O (through hook_result when the model has it)
        float[] dz = new float[N * HD];
        if (p.weightGrads != null) {
            p.weightGrads.addColumnSums(bO, 0, dOut, 0, C, N, C);
        }
        if (result != null) {
            float[] dRes = new float[N * H * C];                // [N, H, C]: every head's result gets dOut
            for (int n = 0; n < N; n++) {
                for (int h = 0; h < H; h++) {
                    System.arraycopy(dOut, n * C, dRes, (n * H + h) * C, C);
                }
            }
            float[] g = p.hookGrad(result, dRes);
            for (int h = 0; h < H; h++) {
                MatrixOperand wOh = Linear.rows(wO, h * D, D);
                Linear.backwardInput(g, h * C, H * C, N, wOh, dz, h * D, HD, false);
                if (p.weightGrads != null) {
                    p.weightGrads.addInputOuterProduct(wOh, sv.z(), h * D, HD, g, h * C, H * C, N);
                }
            }
        } else {
            Linear.backwardInput(dOut, 0, C, N, wO, dz, 0, HD, false);
            if (p.weightGrads != null) {
                p.weightGrads.addInputOuterProduct(wO, sv.z(), 0, HD, dOut, 0, C, N);
            }
        }
        float[] dzH = p.hookGrad(z, dz);

        // 6. z[b, t, h] = sum_s pattern[b, h, t, s] v[b, s, h / group]
        //    dpattern[b, h] = dz[b, :, h] v[b, :, kv]^T; dv[b, :, kv] = sum over the group of pattern^T dz
        float[] dPattern = new float[B * H * T * S];
        Heads v = sv.v();
        Gemm.multiplyBatched(B * H,
                i -> new MatrixOperand(dzH, null, (long) (i / H) * T * HD + (i % H) * D, T, D, HD, 1),
                i -> new MatrixOperand(v.a(), null, v.at((i / H) * T, (i % H) / group), D, S, 1, v.stride()),
                dPattern, i -> i * T * S, S, false);
        float[] dvPerHead = new float[B * H * S * D];           // [B, H, S, D], summed over groups below
        Gemm.multiplyBatched(B * H,
                i -> new MatrixOperand(sv.pattern(), null, (long) i * T * S, S, T, 1, S),          // pattern^T [S, T]
                i -> new MatrixOperand(dzH, null, (long) (i / H) * T * HD + (i % H) * D, T, D, HD, 1),
                dvPerHead, i -> i * S * D, D, false);
        float[] dPatternH = p.hookGrad(pattern, dPattern);

        // 5. softmax: dscores = P (dP - sum_s P dP); then the mask: no gradient reaches masked scores
        //    (in place of dpattern when no cache or backward hook has seen it: a training step's
        //    [B, H, T, S] arrays are megabytes, and fresh ones cost their zeroing and cache misses)
        float[] dScores = p.gradientPrivate(pattern) ? dPatternH : new float[B * H * T * S];
        float[] pat = sv.pattern();
        Parallel.forRange(B * H * T, Math.max(1, Pass.GRAIN / S), (s0, e0) -> {
            for (int row = s0; row < e0; row++) {
                int base = row * S;
                double dot = 0;
                for (int s = 0; s < S; s++) {
                    dot += (double) pat[base + s] * dPatternH[base + s];
                }
                for (int s = 0; s < S; s++) {
                    dScores[base + s] = (float) (pat[base + s] * (dPatternH[base + s] - dot));
                }
            }
        });
        float[] dScoresH = p.hookGrad(attnScores, dScores);
        // 4. scores = cap tanh(scale q.k / cap), masked: d(q.k) = dscores (1 - (s / cap)^2) scale where allowed
        float[] dQk = p.gradientPrivate(attnScores) ? dScoresH : new float[B * H * T * S];
        float[] sc = sv.scores();
        int[][] mask = p.mask;
        Parallel.forRange(B * H * T, Math.max(1, Pass.GRAIN / S), (s0, e0) -> {
            for (int row = s0; row < e0; row++) {
                int b = row / (H * T), t = row % T;
                int base = row * S;
                int from = window > 0 ? Math.max(0, t + 1 - window) : 0;
                Arrays.fill(dQk, base, base + from, 0f);
                Arrays.fill(dQk, base + t + 1, base + S, 0f);
                for (int s = from; s <= t; s++) {
                    if (mask != null && mask[b][s] == 0) {
                        dQk[base + s] = 0f;
                        continue;
                    }
                    float g = dScoresH[base + s];
                    if (softCap > 0) {
                        float r = sc[base + s] / softCap;
                        g *= 1 - r * r;
                    }
                    dQk[base + s] = g * scale;
                }
            }
        });
        Heads q = sv.q(), k = sv.k();
        float[] dq = new float[N * H * D];                      // compact [N, H, D]
        Gemm.multiplyBatched(B * H,
                i -> new MatrixOperand(dQk, null, (long) i * T * S, T, S, S, 1),
                i -> new MatrixOperand(k.a(), null, k.at((i / H) * T, (i % H) / group), S, D, k.stride(), 1),
                dq, i -> (i / H) * T * HD + (i % H) * D, HD, false);
        float[] dkPerHead = new float[B * H * S * D];
        Gemm.multiplyBatched(B * H,
                i -> new MatrixOperand(dQk, null, (long) i * T * S, S, T, 1, S),                  // dQk^T [S, T]
                i -> new MatrixOperand(q.a(), null, q.at((i / H) * T, i % H), T, D, q.stride(), 1),
                dkPerHead, i -> i * S * D, D, false);
        float[] dk = sumGroups(dkPerHead, B, S);
        float[] dv = sumGroups(dvPerHead, B, S);

        // rotary and the q/k norms, back to hook_q and hook_k
        if (rotary != null) {
            dq = rotary.unapply(p.hookGrad(rotQ, dq), H, D, N, sv.rope());
            dk = rotary.unapply(p.hookGrad(rotK, dk), KV, D, N, sv.rope());
        }
        if (qNorm != null) {
            dq = qNorm.backward(p, dq);
            dk = kNorm.backward(p, dk);
        }
        float[][] dParts = {p.hookGrad(this.q, dq), p.hookGrad(this.k, dk), p.hookGrad(this.v, dv)};

        // 1-2. back through the projections into the QKV layout, then to the inputs
        float[] dBuf = new float[N * qkv.width()];
        for (int part = 0; part < 3; part++) {
            int hp = heads(part);
            for (int n = 0; n < N; n++) {
                for (int h = 0; h < hp; h++) {
                    System.arraycopy(dParts[part], (n * hp + h) * D, dBuf, n * qkv.width() + qkv.out()[part] + h * qkv.outHeadCols()[part], D);
                }
            }
        }
        if (p.weightGrads != null) {
            p.weightGrads.addColumnSums(qkv.bias(), 0, dBuf, 0, qkv.width(), N, qkv.width());
        }
        float[][] dIn = new float[3][];
        if (!sv.in().perHead()) {
            if (qkv.fused()) {
                float[] dx = new float[N * C];
                Linear.backwardInput(dBuf, 0, qkv.width(), N, qkv.w()[0], dx, 0, C, false);
                if (p.weightGrads != null) {
                    p.weightGrads.addInputOuterProduct(qkv.w()[0], sv.in().x()[0], 0, C, dBuf, 0, qkv.width(), N);
                }
                return new float[][] {dx};
            }
            float[] dx = new float[N * C];
            for (int part = 0; part < 3; part++) {
                Linear.backwardInput(dBuf, qkv.out()[part], qkv.width(), N, qkv.w()[part], dx, 0, C, part > 0);
                if (p.weightGrads != null) {
                    p.weightGrads.addInputOuterProduct(qkv.w()[part], sv.in().x()[part], 0, C, dBuf, qkv.out()[part], qkv.width(), N);
                }
            }
            return new float[][] {dx};
        }
        for (int part = 0; part < 3; part++) {
            int hp = heads(part);
            float[] dx = new float[N * hp * C];
            for (int h = 0; h < hp; h++) {
                int col = qkv.col()[part] + h * qkv.headCols()[part];
                int outCol = qkv.out()[part] + h * qkv.outHeadCols()[part];
                MatrixOperand w = Linear.columns(qkv.w()[part], col, D);
                Linear.backwardInput(dBuf, outCol, qkv.width(), N, w, dx, h * C, hp * C, false);
                if (p.weightGrads != null) {
                    p.weightGrads.addInputOuterProduct(w, sv.in().x()[part], h * C, hp * C, dBuf, outCol, qkv.width(), N);
                }
            }
            dIn[part] = dx;
        }
        return dIn;
    }

    /** {@code [B, H, S, D]} summed over each group of query heads: {@code [B * S, KV, D]} compact rows. */
    private float[] sumGroups(float[] perHead, int B, int S) {
        float[] out = new float[B * S * KV * D];
        Parallel.forRange(B * S, Math.max(1, Pass.GRAIN / (H * D)), (s0, e0) -> {
            for (int bs = s0; bs < e0; bs++) {
                int b = bs / S, s = bs % S;
                for (int h = 0; h < H; h++) {
                    int o = (bs * KV + h / group) * D, in = ((b * H + h) * S + s) * D;
                    for (int d = 0; d < D; d++) {
                        out[o + d] += perHead[in + d];
                    }
                }
            }
        });
        return out;
    }

    /** Part {@code part} of the QKV buffer as per-head rows. */
    private Heads part(float[] buf, int part) {
        return new Heads(buf, qkv.out()[part], qkv.width(), qkv.outHeadCols()[part]);
    }

    /**
     * Keys or values: element (b, s, j, d) at {@code a[off + b * batchStride + s * stride + j * headStride + d * dStride]}.
     */
    private record Keys(float[] a, int off, int batchStride, int stride, int headStride, int dStride) {
        long at(int b, int s, int j) {
            return off + (long) b * batchStride + (long) s * stride + (long) j * headStride;
        }

        /** {@code k^T [d, cols]} of sequence b and key/value head j: positions 0 .. cols - 1 as columns. */
        MatrixOperand transposed(int b, int j, int d, int cols) {
            return new MatrixOperand(a, null, at(b, 0, j), d, cols, dStride, stride);
        }
    }

    /** Copies this pass's keys or values into the cache after the cached positions. */
    private Keys append(Pass p, float[] cache, Heads x) {
        int cap = p.kv.capacity();
        int W = KV * D;
        int T = p.T, P = p.P;
        Parallel.forRange(p.N, Math.max(1, Pass.GRAIN / W), (s0, e0) -> {
            for (int n = s0; n < e0; n++) {
                int b = n / T, t = n % T;
                for (int j = 0; j < KV; j++) {
                    System.arraycopy(x.a(), x.at(n, j), cache, (b * cap + P + t) * W + j * D, D);
                }
            }
        });
        return new Keys(cache, 0, cap * W, W, D, 1);
    }

    /**
     * Copies this pass's keys into the cache's transposed layout ({@link KvCache#keys}: each (sequence,
     * head, d) a row of positions) after the cached positions. A decoding step's {@code q k^T} then reads
     * a row-major {@code [d_head, positions]} matrix, where the cached keys in their own layout had to be
     * transposed 16 x 16 at every step; the products' chains, and so their bits, are the same.
     */
    private Keys appendTransposed(Pass p, float[] cache, Heads x) {
        int cap = p.kv.capacity();
        int T = p.T, P = p.P;
        Parallel.forRange(p.B * KV * D, Math.max(1, Pass.GRAIN / Math.max(1, T)), (s0, e0) -> {
            for (int row = s0; row < e0; row++) {
                int b = row / (KV * D), j = row / D % KV, d = row % D;
                int dst = row * cap + P;
                for (int t = 0; t < T; t++) {
                    cache[dst + t] = x.a()[x.at(b * T + t, j) + d];
                }
            }
        });
        return new Keys(cache, 0, KV * D * cap, 1, D * cap, cap);
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
}
