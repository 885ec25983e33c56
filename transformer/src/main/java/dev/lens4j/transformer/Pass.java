package dev.lens4j.transformer;

import dev.lens4j.hooks.ForwardHooks;
import dev.lens4j.hooks.HookPoint;
import dev.lens4j.tensor.Parallel;
import dev.lens4j.tensor.Shapes;
import dev.lens4j.tensor.Tensor;
import dev.lens4j.tensor.kernel.KernelProvider;
import dev.lens4j.tensor.kernel.Kernels;
import dev.lens4j.tensor.kernel.ReproducibleKernels;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

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
 * writes a new array), so hooks and the cache may keep what they are given, until the cache that
 * holds it is closed: then a later pass may write into it ({@link #arrayFor}).
 */
final class Pass {

    /** Floats per task of elementwise work. */
    static final int GRAIN = 16384;

    final TransformerConfig cfg;
    final HookPoints points;
    final ForwardHooks hooks;
    /** The kernels: the SIMD ones, or {@link KernelProvider#reproducible()}'s for a reproducible pass. */
    final Kernels kk;
    /** Whether every result must be the same bits on every platform ({@link ForwardOptions#reproducible()}). */
    final boolean reproducible;
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
    /** The pass's scratch arrays, by slot ({@link #scratch}). */
    private final float[][] scratch = new float[Scratch.values().length][];

    /**
     * The pass's scratch arrays: each holds a value that no hook or cache sees and no backward pass
     * keeps, from one layer's step to the next's. Values alive at the same time take different slots.
     */
    enum Scratch {
        /** The fused q | k | v projection when no hook sees q, k or v. */
        QKV,
        /** Attention scores. */
        SCORES,
        /** Attention pattern. */
        PATTERN,
        /** The MLP's post activation. */
        MLP_POST,
        /** The MLP's pre activation (the gate of a gated MLP). */
        MLP_PRE,
        /** A gated MLP's linear part. */
        MLP_PRE_LINEAR
    }

    /**
     * The pass's scratch array of a slot, {@code length} long; its contents are left from its last use.
     *
     * @param slot the slot
     * @param length its length (a new array when it differs from the slot's)
     * @return the array
     */
    float[] scratch(Scratch slot, int length) {
        float[] a = scratch[slot.ordinal()];
        if (a == null || a.length != length) {
            a = scratch[slot.ordinal()] = new float[length];
        }
        return a;
    }
    /**
     * The model's arrays of a closed cache, which this pass may write the values its own cache records
     * into ({@link #arrayFor}), or null; set before the pass runs, only when it caches.
     */
    ReusableArrays reusable;
    /** What {@link #arrayFor} handed out for values the cache records; those the cache holds go back when it is closed. */
    final List<float[]> forCache = new ArrayList<>();
    /** Whether a backward pass follows: components keep what it needs ({@link #save}) and hooks record what they changed. */
    final boolean grad;
    /** Where the backward pass accumulates weight gradients, or null for activation gradients only. */
    final WeightGradients weightGrads;
    /** The model's packed weight matrices, or null when this pass multiplies the weights as they are. */
    final PackedWeights packed;
    /** Which matrices {@link #packed} may pack for this pass. */
    final WeightPacking packing;
    /**
     * The rows ({@code b * T + t}, increasing, no repeats) whose logits the pass computes, or null for
     * every row ({@link ForwardOptions#logitPositions}); set before the pass runs.
     */
    int[] logitRows;
    /** What each component kept for the backward pass, one entry per call (ln1 runs three times with split inputs). */
    private final Map<Object, ArrayDeque<Object>> saved = new IdentityHashMap<>();
    /** Per hook point, which elements the forward hooks changed (their gradient stops there), or null. */
    private final boolean[][] changed;

    Pass(TransformerConfig cfg, HookPoints points, ForwardHooks hooks, int batch, int pos, int[][] mask, KvCache kv) {
        this(cfg, points, hooks, batch, pos, mask, kv, false, null, false, null, WeightPacking.NONE);
    }

    Pass(TransformerConfig cfg, HookPoints points, ForwardHooks hooks, int batch, int pos, int[][] mask, KvCache kv,
         boolean grad, WeightGradients weightGrads, boolean reproducible, PackedWeights packed, WeightPacking packing) {
        this.cfg = cfg;
        this.packed = packed;
        this.packing = packing;
        this.reproducible = reproducible;
        this.kk = reproducible ? KernelProvider.reproducible() : KernelProvider.kernels();
        this.points = points;
        this.hooks = hooks;
        this.B = batch;
        this.T = pos;
        this.P = kv == null ? 0 : kv.length();
        this.S = P + T;
        this.N = B * T;
        this.mask = mask;
        this.kv = kv;
        this.grad = grad;
        this.weightGrads = weightGrads;
        this.changed = grad ? new boolean[points.all.size()][] : null;
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

    /**
     * A new array of {@code length} zeros for a value that will be shown at {@code target} (and is
     * therefore never written again in this pass). When this pass's cache records {@code target}, it
     * is one of a closed cache's arrays of that length if the model has one, zeroed, and the cache
     * gives it back when it is closed in turn; otherwise {@code new float[length]}.
     */
    float[] arrayFor(HookPoint target, int length) {
        return arrayFor(target, length, true);
    }

    /**
     * Like {@link #arrayFor(HookPoint, int)}, for a caller that writes every element itself (the
     * attention scores and pattern, the MLP's activations, q, k and v): a reused array keeps a closed
     * cache's values until then.
     */
    float[] overwrittenArrayFor(HookPoint target, int length) {
        return arrayFor(target, length, false);
    }

    private float[] arrayFor(HookPoint target, int length, boolean zeroed) {
        if (target == null || reusable == null || !hooks.isCached(target)) {
            return new float[length];
        }
        float[] a = reusable.take(length);
        if (a == null) {
            a = new float[length];
        } else if (zeroed) {
            Arrays.fill(a, 0f);
        }
        forCache.add(a);
        return a;
    }

    /**
     * An array for a value that its caller overwrites whole: when no hook or cache sees {@code target}
     * and no backward pass keeps it (it lives only inside one component's step), the pass's scratch
     * array of that slot, shared by every layer ({@link #scratch}); otherwise
     * {@link #overwrittenArrayFor(HookPoint, int)}.
     *
     * @param target the value's hook point (null: none)
     * @param slot which scratch array
     * @param length its length
     * @return the array
     */
    float[] scratchFor(HookPoint target, Scratch slot, int length) {
        return grad || active(target) ? overwrittenArrayFor(target, length) : scratch(slot, length);
    }

    /** {@code exp(x)}: the reproducible kernels' (in float) in a reproducible pass, else {@link Math}'s. */
    double exp(double x) {
        return reproducible ? ReproducibleKernels.exp((float) x) : Math.exp(x);
    }

    /** {@code tanh(x)}: the reproducible kernels' (in float) in a reproducible pass, else {@link Math}'s. */
    double tanh(double x) {
        return reproducible ? ReproducibleKernels.tanh((float) x) : Math.tanh(x);
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
        return p == null ? x : hook(p, x, shape(p));
    }

    /**
     * Runs the hooks of {@code p} on {@code x} of the given shape (for a point whose shape differs
     * between its firings: ln1 with split inputs and grouped key/value heads).
     */
    float[] hook(HookPoint p, float[] x, int[] shape) {
        if (!active(p)) {
            return x;
        }
        float[] before = grad && hooked(p) ? x.clone() : null;
        Tensor in = Tensor.of(x, shape);
        Tensor out = hooks.run(p, in);
        float[] after = out == in ? x : compact(out);
        if (before != null) {
            recordChanges(p, before, after);
        }
        return after;
    }

    /** Remembers which elements the forward hooks of {@code p} changed: the gradient does not flow back through them. */
    private void recordChanges(HookPoint p, float[] before, float[] after) {
        boolean[] c = null;
        for (int i = 0; i < before.length; i++) {
            if (Float.floatToRawIntBits(before[i]) != Float.floatToRawIntBits(after[i])) {
                if (c == null) {
                    c = new boolean[before.length];
                }
                c[i] = true;
            }
        }
        changed[p.index()] = c;
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
        if (grad && hooked(p)) {
            // a backward pass compares what the hooks leave with what they got: hand them a compact copy
            float[] compact = x.isCompact(N, heads, d) ? x.a() : x.gather(N, heads, d);
            return Heads.compact(hook(p, compact), heads, d);
        }
        if (!x.isCompact(N, heads, d) && hooks.isCached(p)) {
            // the cache would keep a compact copy of the view: make it here, in an array a closed cache
            // gives back, and go on with it (nothing writes q, k or v in place)
            x = Heads.compact(x.gather(N, heads, d, overwrittenArrayFor(p, N * heads * d)), heads, d);
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

    // ------------------------------------------------------------------ backward

    /**
     * Keeps what a component's backward pass needs.
     *
     * @param component the component (one entry per component per pass)
     * @param context what it keeps
     */
    void save(Object component, Object context) {
        saved.computeIfAbsent(component, c -> new ArrayDeque<>()).push(context);
    }

    /**
     * What a component kept in the forward pass, most recent call first (the backward pass runs the
     * calls in reverse).
     *
     * @param component the component
     * @param <T> the context's type
     * @return its context
     */
    @SuppressWarnings("unchecked")
    <T> T saved(Object component) {
        ArrayDeque<Object> c = saved.get(component);
        if (c == null || c.isEmpty()) {
            throw new IllegalStateException(component + " kept nothing for the backward pass");
        }
        return (T) c.pop();
    }

    /**
     * The gradient at a hook point: runs its backward hooks on {@code g} (the gradient with respect to
     * the point's value after its forward hooks), records it in the cache as {@code <name>_grad}, then
     * returns the gradient with respect to the value before the forward hooks: the same, except zero
     * where a forward hook changed the value (a replacement such as an ablation or a patch does not
     * depend on what it replaced). {@code g} is never written; the result may be {@code g}.
     *
     * @param p the point, or null for a point the model does not have
     * @param g the gradient, in the point's shape
     * @return the gradient to propagate upstream
     */
    float[] hookGrad(HookPoint p, float[] g) {
        return p == null ? g : hookGrad(p, g, shape(p));
    }

    /**
     * Whether the gradient {@link #hookGrad} returns for {@code p} is this pass's alone: no cache entry
     * and no backward hook has seen it, so the backward pass may overwrite it with what it computes next.
     *
     * @param p the point, or null for a point the model does not have
     * @return true unless a cache or backward hook takes {@code p}'s gradient
     */
    boolean gradientPrivate(HookPoint p) {
        return p == null || !hooks.isGradientActive(p);
    }

    /** {@link #hookGrad(HookPoint, float[])} for a value of the given shape. */
    float[] hookGrad(HookPoint p, float[] g, int[] shape) {
        if (p == null) {
            return g;
        }
        if (hooks.isGradientActive(p)) {
            Tensor in = Tensor.of(g, shape);
            Tensor out = hooks.runBackward(p, in);
            g = out == in && !hooks.hasBackwardHooks(p) ? g : compact(out);
        }
        boolean[] c = changed[p.index()];
        if (c == null) {
            return g;
        }
        float[] masked = g.clone();
        for (int i = 0; i < masked.length; i++) {
            if (c[i]) {
                masked[i] = 0f;
            }
        }
        return masked;
    }

    // ------------------------------------------------------------------ elementwise helpers

    /** {@code a + b} elementwise into a new array. */
    float[] add(float[] a, float[] b, int n) {
        return add((HookPoint) null, a, b, n);
    }

    /** {@code a + b} elementwise into a new array that will be shown at {@code target} ({@link #arrayFor}). */
    float[] add(HookPoint target, float[] a, float[] b, int n) {
        float[] out = arrayFor(target, n);
        Parallel.forRange(n, GRAIN, (s, e) -> kk.add(a, s, b, s, out, s, e - s));
        return out;
    }

    /** {@code a + b + c} elementwise into a new array. */
    float[] add(float[] a, float[] b, float[] c, int n) {
        return add((HookPoint) null, a, b, c, n);
    }

    /** {@code a + b + c} elementwise into a new array that will be shown at {@code target} ({@link #arrayFor}). */
    float[] add(HookPoint target, float[] a, float[] b, float[] c, int n) {
        float[] out = arrayFor(target, n);
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
