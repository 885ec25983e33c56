package dev.lens4j.transformer;

import dev.lens4j.hooks.ForwardHooks;
import dev.lens4j.hooks.HookPoint;
import dev.lens4j.tensor.Parallel;
import dev.lens4j.tensor.Shapes;
import dev.lens4j.tensor.Tensor;
import dev.lens4j.tensor.kernel.KernelProvider;
import dev.lens4j.tensor.kernel.Kernels;

/**
 * The state of one forward pass, shared by the components it runs through: the batch's sizes, the
 * attention mask and position ids, the KV cache, the hooks and the cache of this call. Components
 * hold only the model's read-only weights, so passes on several threads share nothing else.
 *
 * <p>Dimension legend (TransformerLens names in brackets):
 * <pre>
 *   B  batch                                   [batch]
 *   T  positions run by this pass              [pos] / [query_pos]
 *   P  positions already in the KV cache (0 without one)
 *   S  key positions, P + T                    [key_pos]
 *   N  rows of activations, B * T
 * </pre>
 * Activations are row-major {@code float[]}: {@code [B, T, C]} holds row {@code n = b * T + t} at
 * {@code n * C}. An array that has been shown to a hook is never written afterwards (every step
 * writes a new array), so hooks and the cache may keep what they are given.
 */
final class Pass {

    /** Floats per task of elementwise work. */
    static final int GRAIN = 16384;

    final TransformerConfig cfg;
    final HookPoints points;
    final ForwardHooks hooks;
    final Kernels kk = KernelProvider.kernels();
    final int B, T, P, S, N;
    /** {@code [B][S]}, 1 = real token, or null. */
    final int[][] mask;
    /** The KV cache this pass appends to, or null. */
    final KvCache kv;
    /**
     * {@code [B][T]} the position of each new token: {@code P + t} without a mask; with one, the
     * number of real tokens before it (TransformerLens's {@code cumsum(mask) - 1}, at least 0), so
     * left padding does not shift positions.
     */
    final int[][] positions;
    /** Scratch for attention scores and patterns that no hook sees, reused across layers. */
    float[] scoresScratch, patternScratch;

    Pass(TransformerConfig cfg, HookPoints points, ForwardHooks hooks, int batch, int pos, int[][] mask, KvCache kv) {
        this.cfg = cfg;
        this.points = points;
        this.hooks = hooks;
        this.B = batch;
        this.T = pos;
        this.P = kv == null ? 0 : kv.length();
        this.S = P + T;
        this.N = B * T;
        this.mask = mask;
        this.kv = kv;
        this.positions = new int[B][T];
        for (int b = 0; b < B; b++) {
            int real = 0;
            if (mask != null) {
                for (int s = 0; s < P; s++) {
                    real += mask[b][s];
                }
            }
            for (int t = 0; t < T; t++) {
                if (mask == null) {
                    positions[b][t] = P + t;
                } else {
                    real += mask[b][P + t];
                    positions[b][t] = Math.max(0, real - 1);
                }
            }
        }
    }

    /** Whether position {@code t} of sequence {@code b} is a real token (not padding). */
    boolean real(int b, int t) {
        return mask == null || mask[b][P + t] != 0;
    }

    // ------------------------------------------------------------------ hooks

    /** Whether a hook or the cache wants the value of {@code p} (false for absent points). */
    boolean active(HookPoint p) {
        return p != null && hooks.isActive(p);
    }

    /** Whether a hook (not just the cache) runs at {@code p}, so that its value may change in place. */
    boolean hooked(HookPoint p) {
        return p != null && hooks.hasHooks(p);
    }

    /** The shape of {@code p}'s value in this pass. */
    int[] shape(HookPoint p) {
        return points.shape(p, B, T, S);
    }

    /** Runs the hooks of {@code p} on {@code x}; returns the array to go on with. */
    float[] hook(HookPoint p, float[] x) {
        if (!active(p)) {
            return x;
        }
        Tensor in = Tensor.of(x, shape(p));
        Tensor out = hooks.run(p, in);
        return out == in ? x : compact(out);
    }

    /**
     * Runs the hooks of a {@code [B, T, heads, D]} point whose rows may live inside a wider buffer.
     *
     * @param p the point
     * @param x the heads
     * @param heads heads of the point
     * @param d head width
     * @return {@code x}, or a compact array of the hooks' result
     */
    Heads hookHeads(HookPoint p, Heads x, int heads, int d) {
        if (!active(p)) {
            return x;
        }
        Tensor in;
        if (x.isCompact(N, heads, d)) {
            in = Tensor.of(x.a(), B, T, heads, d);
        } else if (x.headStride() == d) {
            // a view of the heads inside rows of x.stride floats
            in = Tensor.of(x.a(), N, x.a().length / N).slice(1, x.off(), x.off() + heads * d).reshape(B, T, heads, d);
        } else {
            in = Tensor.of(x.gather(N, heads, d), B, T, heads, d); // heads interleaved with others: a copy
        }
        Tensor out = hooks.run(p, in);
        if (out == in && x.isCompact(N, heads, d)) {
            return x;
        }
        if (out == in && !hooked(p)) {
            return x; // only cached: the view (or the copy of it) holds the same values
        }
        return Heads.compact(compact(out), heads, d);
    }

    /** The elements of a tensor as an array of exactly its size (no copy when it already is one). */
    static float[] compact(Tensor t) {
        if (t.isHeap() && t.isContiguous() && t.heapOffset() == 0 && t.heapArray().length == t.size()) {
            return t.heapArray();
        }
        return t.toArray();
    }

    // ------------------------------------------------------------------ elementwise helpers

    /** {@code a + b} elementwise into a new array. */
    float[] add(float[] a, float[] b, int n) {
        float[] out = new float[n];
        Parallel.forRange(n, GRAIN, (s, e) -> kk.add(a, s, b, s, out, s, e - s));
        return out;
    }

    /** {@code a + b + c} elementwise into a new array. */
    float[] add(float[] a, float[] b, float[] c, int n) {
        float[] out = new float[n];
        Parallel.forRange(n, GRAIN, (s, e) -> {
            kk.add(a, s, b, s, out, s, e - s);
            kk.add(out, s, c, s, out, s, e - s);
        });
        return out;
    }

    @Override
    public String toString() {
        return "Pass" + Shapes.str(B, T) + (P > 0 ? " after " + P + " cached positions" : "");
    }
}
