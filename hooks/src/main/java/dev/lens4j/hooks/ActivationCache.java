package dev.lens4j.hooks;

import dev.lens4j.tensor.Shapes;
import dev.lens4j.tensor.Tensor;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The activations recorded by one forward pass, by TransformerLens hook point name, in the order
 * they fired (TransformerLens's {@code ActivationCache}).
 *
 * <p>Lookups take full names or TransformerLens shorthand ({@link ActNames}):
 *
 * <pre>{@code
 * var run = model.runWithCache(tokens, name -> true);
 * ActivationCache cache = run.cache();
 * Tensor p  = cache.get("pattern", 0);            // blocks.0.attn.hook_pattern  [batch, head_index, query_pos, key_pos]
 * Tensor k  = cache.get("k", 6, "a");             // blocks.6.attn.hook_k        [batch, pos, head_index, d_head]
 * Tensor s  = cache.get("scale4ln1");             // blocks.4.ln1.hook_scale     [batch, pos, 1]
 * Tensor r  = cache.get("resid_post", -1);        // the last layer's hook_resid_post
 * Tensor all = cache.stack("resid_pre");          // [n_layers, batch, pos, d_model]
 * }</pre>
 *
 * <p>A cache holds only the activations its filter asked for, and only compact tensors (a view into
 * a larger buffer is copied when it is recorded). It is immutable once built and safe to read from
 * several threads.
 *
 * <p>Closing a cache is optional. A cache that is never closed is reclaimed by the garbage collector
 * like any object. Closing one says its activations will not be read again, so the model that made it
 * may write the next cached pass's activations into the same arrays instead of allocating new ones
 * (all that the model writes whole: the attention scores and patterns, the residual stream, queries,
 * keys and values, the norms' and the MLP's; never an array a hook supplied):
 *
 * <pre>{@code
 * for (int[][] batch : batches) {
 *     try (ActivationCache cache = model.runWithCache(batch).cache()) {
 *         scores.add(cache.get("pattern", 5).get(0, 7, 10, 9));     // read what you need inside the block
 *     }                                                             // the next pass reuses the arrays
 * }
 * }</pre>
 *
 * After {@link #close()} every lookup throws {@link IllegalStateException}, also on the caches derived
 * from this one ({@link #removeBatchDim()}, {@link #applySliceToBatchDim}, which may share its arrays),
 * and a tensor taken from it before may be overwritten by a later pass: copy what must outlive the
 * block. A cache built without a model ({@link Builder}) has nothing to give back; closing it only
 * ends its use.
 */
public final class ActivationCache implements AutoCloseable {

    private final Map<String, Tensor> acts;
    private final int nLayers;
    private final boolean hasBatchDim;
    /** Shared by this cache and every cache derived from it. */
    private final Lifetime lifetime;

    private ActivationCache(Map<String, Tensor> acts, int nLayers, boolean hasBatchDim, Lifetime lifetime) {
        this.acts = Collections.unmodifiableMap(acts);
        this.nLayers = nLayers;
        this.hasBatchDim = hasBatchDim;
        this.lifetime = lifetime;
    }

    /** Whether a cache and those derived from it were closed, and what closing gives back (once). */
    private static final class Lifetime {
        private final AtomicReference<Runnable> onClose;
        private volatile boolean closed;

        Lifetime(Runnable onClose) {
            this.onClose = new AtomicReference<>(onClose == null ? () -> { } : onClose);
        }

        void close() {
            closed = true;
            Runnable r = onClose.getAndSet(null);
            if (r != null) {
                r.run();
            }
        }
    }

    /**
     * Ends the use of this cache and of every cache derived from it, and gives the arrays of the
     * activations the model allocated for it back to that model for its next cached pass (see the
     * class comment). Idempotent.
     */
    @Override
    public void close() {
        lifetime.close();
    }

    /**
     * Returns true once this cache, or one derived from the same pass, was closed.
     *
     * @return true once this cache, or one derived from the same pass, was closed
     */
    public boolean isClosed() {
        return lifetime.closed;
    }

    private void requireOpen(String what) {
        if (lifetime.closed) {
            throw new IllegalStateException(what + " on a closed ActivationCache (" + acts.size()
                    + " activations): after close() its arrays may hold a later pass's activations; read what you need"
                    + " before closing it, or do not close it");
        }
    }

    /**
     * Returns a builder of a cache whose tensors have a leading batch dimension.
     *
     * @param nLayers the model's number of layers (for negative layer indices and {@link #stack}), or -1 if unknown
     * @return a builder of a cache whose tensors have a leading batch dimension
     */
    public static Builder builder(int nLayers) {
        return new Builder(nLayers);
    }

    /**
     * Returns an empty cache.
     *
     * @return an empty cache
     */
    public static ActivationCache empty() {
        return new ActivationCache(new LinkedHashMap<>(), -1, true, new Lifetime(null));
    }

    /**
     * The activation at a hook point.
     *
     * @param name a full TransformerLens name ({@code "blocks.0.attn.hook_pattern"}) or shorthand
     *             without a layer ({@code "embed"}, {@code "scale"}, {@code "k6"}, {@code "scale4ln1"})
     * @return the activation
     * @throws IllegalArgumentException if the cache does not hold it; the message lists close names
     */
    public Tensor get(String name) {
        requireOpen("get(\"" + name + "\")");
        Tensor exact = acts.get(name);
        return exact != null ? exact : lookup(ActNames.of(name));
    }

    /**
     * The activation at a hook point of one layer, like TransformerLens's {@code cache["pattern", 0]}.
     *
     * @param shortName e.g. {@code "pattern"}, {@code "resid_pre"}, {@code "q"}, {@code "post"}
     * @param layer the block index; negative counts from the end ({@code -1} is the last layer)
     * @return the activation
     * @throws IllegalArgumentException if the cache does not hold it
     */
    public Tensor get(String shortName, int layer) {
        return lookup(ActNames.of(shortName, layer(layer)));
    }

    /**
     * Like {@code cache["scale", 4, "ln1"]} in TransformerLens.
     *
     * @param shortName e.g. {@code "scale"}, {@code "normalized"}
     * @param layer the block index; negative counts from the end
     * @param layerType {@code "ln1"}, {@code "ln2"}, {@code "attn"}/{@code "a"}, {@code "mlp"}/{@code "m"}
     * @return the activation
     * @throws IllegalArgumentException if the cache does not hold it
     */
    public Tensor get(String shortName, int layer, String layerType) {
        return lookup(ActNames.of(shortName, layer(layer), layerType));
    }

    /**
     * Returns true when the cache holds that activation.
     *
     * @param name a full name or shorthand (as for {@link #get(String)})
     * @return true when the cache holds that activation
     */
    public boolean contains(String name) {
        return acts.containsKey(name) || acts.containsKey(ActNames.of(name));
    }

    /**
     * Returns the recorded names in firing order (unmodifiable).
     *
     * @return the recorded names in firing order (unmodifiable)
     */
    public List<String> names() {
        return List.copyOf(acts.keySet());
    }

    /**
     * Returns the recorded activations by name, in firing order (unmodifiable).
     *
     * @return the recorded activations by name, in firing order (unmodifiable)
     */
    public Map<String, Tensor> asMap() {
        requireOpen("asMap()");
        return acts;
    }

    /**
     * Returns the number of recorded activations.
     *
     * @return the number of recorded activations
     */
    public int size() {
        return acts.size();
    }

    /**
     * Returns the model's number of layers, or -1 if unknown.
     *
     * @return the model's number of layers, or -1 if unknown
     */
    public int nLayers() {
        return nLayers;
    }

    /**
     * Returns true while the activations have their leading batch dimension.
     *
     * @return true while the activations have their leading batch dimension
     */
    public boolean hasBatchDim() {
        return hasBatchDim;
    }

    /**
     * The same activations without their batch dimension, for a batch of one sequence
     * (TransformerLens's {@code remove_batch_dim}). Returns this cache if the dimension was already removed.
     *
     * @return a cache whose tensors are {@code [pos, ...]} views of these
     * @throws IllegalArgumentException if the batch has more than one sequence
     */
    public ActivationCache removeBatchDim() {
        requireOpen("removeBatchDim()");
        if (!hasBatchDim) {
            return this;
        }
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (Map.Entry<String, Tensor> e : acts.entrySet()) {
            Tensor t = e.getValue();
            if (t.rank() == 0 || t.dim(0) != 1) {
                throw new IllegalArgumentException("removeBatchDim needs a batch of one sequence, but "
                        + e.getKey() + " has shape " + Shapes.str(t.shape()));
            }
            out.put(e.getKey(), t.squeeze(0));
        }
        return new ActivationCache(out, nLayers, false, lifetime);
    }

    /**
     * The same activations for some of the sequences: TransformerLens's
     * {@code apply_slice_to_batch_dim}. A single index removes the batch dimension, as
     * {@link #removeBatchDim} does; a range or a list keeps it.
     *
     * <pre>{@code
     * ActivationCache first = cache.applySliceToBatchDim(Slice.index(0));      // [pos, ...], no batch dimension
     * ActivationCache two = cache.applySliceToBatchDim(Slice.range(1, 3));     // sequences 1 and 2, [2, pos, ...]
     * ActivationCache picked = cache.applySliceToBatchDim(Slice.list(3, 0));   // sequences 3 and 0, in that order
     * }</pre>
     *
     * @param batchSlice which sequences
     * @return a cache of the selected sequences, in firing order; compact copies, like every cache's tensors
     * @throws IllegalArgumentException if the batch dimension was already removed (TransformerLens
     *         refuses this too), or an index is outside the batch, naming the activation
     */
    public ActivationCache applySliceToBatchDim(Slice batchSlice) {
        if (batchSlice == null) {
            throw new IllegalArgumentException("applySliceToBatchDim: the slice is null; use Slice.all() for every sequence");
        }
        requireOpen("applySliceToBatchDim");
        if (!hasBatchDim) {
            throw new IllegalArgumentException("applySliceToBatchDim: this cache's batch dimension was removed; slice a cache that has it");
        }
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (Map.Entry<String, Tensor> e : acts.entrySet()) {
            try {
                out.put(e.getKey(), Builder.compact(batchSlice.apply(e.getValue(), 0)));
            } catch (IllegalArgumentException ex) {
                throw new IllegalArgumentException("applySliceToBatchDim: " + e.getKey() + " of shape "
                        + Shapes.str(e.getValue().shape()) + ": " + ex.getMessage(), ex);
            }
        }
        return new ActivationCache(out, nLayers, !batchSlice.removesDimension(), lifetime);
    }

    /**
     * One sequence's activations, without the batch dimension: {@code applySliceToBatchDim(Slice.index(index))}.
     *
     * @param index the sequence; negative counts from the end
     * @return a cache of {@code [pos, ...]} tensors
     * @throws IllegalArgumentException if the index is outside the batch or the batch dimension was removed
     */
    public ActivationCache applySliceToBatchDim(int index) {
        return applySliceToBatchDim(Slice.index(index));
    }

    /**
     * One activation of every layer, stacked: {@code stack("resid_pre")} is
     * {@code [n_layers, batch, pos, d_model]}.
     *
     * @param shortName shorthand of a per-layer activation, e.g. {@code "resid_pre"}, {@code "pattern"}
     * @return the stacked activations, a new tensor
     * @throws IllegalArgumentException if the number of layers is unknown or a layer is missing
     */
    public Tensor stack(String shortName) {
        return stack(shortName, null);
    }

    /**
     * Like {@link #stack(String)} for names that need a layer type, e.g. {@code stack("scale", "ln1")}.
     *
     * @param shortName shorthand of a per-layer activation
     * @param layerType the part of the block, or null
     * @return {@code [n_layers, ...]}
     */
    public Tensor stack(String shortName, String layerType) {
        if (nLayers <= 0) {
            throw new IllegalArgumentException("stack(\"" + shortName + "\") needs the number of layers, which this cache does not know");
        }
        Tensor[] parts = new Tensor[nLayers];
        for (int l = 0; l < nLayers; l++) {
            parts[l] = lookup(ActNames.of(shortName, l, layerType));
        }
        return Tensor.stack(0, parts);
    }

    private Integer layer(int layer) {
        if (layer >= 0) {
            return layer;
        }
        if (nLayers <= 0) {
            throw new IllegalArgumentException("negative layer " + layer + " needs the number of layers, which this cache does not know");
        }
        if (nLayers + layer < 0) {
            throw new IllegalArgumentException("layer " + layer + " is out of range for " + nLayers + " layers");
        }
        return nLayers + layer;
    }

    private Tensor lookup(String fullName) {
        requireOpen("get(\"" + fullName + "\")");
        Tensor t = acts.get(fullName);
        if (t == null) {
            throw new IllegalArgumentException("activation cache has no '" + fullName + "'"
                    + Names.closeNamesHint(fullName, acts.keySet())
                    + " (a cache holds only the names its filter accepted)");
        }
        return t;
    }

    @Override
    public String toString() {
        return "ActivationCache[" + acts.size() + " activations" + (hasBatchDim ? "" : ", batch dim removed")
                + (lifetime.closed ? ", closed" : "") + "]";
    }

    /** Collects activations during a forward pass. Not thread-safe; one builder per pass. */
    public static final class Builder {
        private final Map<String, Tensor> acts = new LinkedHashMap<>();
        private final int nLayers;

        private Builder(int nLayers) {
            this.nLayers = nLayers;
        }

        /**
         * Records an activation, replacing an earlier value of the same name (as TransformerLens does
         * when a hook point fires twice) but keeping its place in the order. A tensor that is a view into a larger buffer is copied, so the
         * cache holds no more memory than its activations need.
         *
         * @param name the full hook point name
         * @param activation the value
         * @return this builder
         */
        public Builder put(String name, Tensor activation) {
            acts.put(name, compact(activation)); // a repeated name keeps its first position, as in a Python dict
            return this;
        }

        /**
         * Returns the cache; the builder must not be used afterwards.
         *
         * @return the cache; the builder must not be used afterwards
         */
        public ActivationCache build() {
            return build(null);
        }

        /**
         * Returns the cache, with what its {@link ActivationCache#close()} gives back; the builder must
         * not be used afterwards.
         *
         * @param onClose run once, by the first close of the cache or of one derived from it, or null
         * @return the cache
         */
        public ActivationCache build(Runnable onClose) {
            return new ActivationCache(new LinkedHashMap<>(acts), nLayers, true, new Lifetime(onClose));
        }

        private static Tensor compact(Tensor t) {
            if (t.isHeap() && t.isContiguous() && t.heapOffset() == 0 && t.heapArray().length == t.size()) {
                return t;
            }
            return t.copy();
        }
    }
}
