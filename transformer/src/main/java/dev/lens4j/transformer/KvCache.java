package dev.lens4j.transformer;

/**
 * The keys and values of every layer for the positions a model has already seen, so that each
 * generated token needs one forward pass over one position (TransformerLens's
 * {@code HookedTransformerKeyValueCache}). Create one with {@link HookedTransformer#newKvCache(int)}
 * and pass it to {@link ForwardOptions.Builder#kvCache}; every pass appends its positions.
 *
 * <p>Not thread-safe: one cache belongs to one sequence batch at a time.
 */
public final class KvCache {

    private final int batch;
    private final int nLayers;
    private final int width;          // n_key_value_heads * d_head
    private final int maxPositions;   // n_ctx
    private int length;
    private int capacity;
    private float[][] keys;           // per layer [batch, n_kv_heads, d_head, capacity]: transposed
    private float[][] values;         // per layer [batch, capacity, n_kv_heads, d_head]

    KvCache(TransformerConfig cfg, int batch) {
        if (batch < 1) {
            throw new IllegalArgumentException("a KV cache needs a batch of at least 1, got " + batch);
        }
        this.batch = batch;
        this.nLayers = cfg.nLayers();
        this.width = cfg.nKvHeads() * cfg.dHead();
        this.maxPositions = cfg.nCtx();
        this.keys = new float[nLayers][0];
        this.values = new float[nLayers][0];
    }

    /**
     * Returns the number of sequences.
     *
     * @return the number of sequences
     */
    public int batch() {
        return batch;
    }

    /**
     * Returns the number of positions cached so far.
     *
     * @return the number of positions cached so far
     */
    public int length() {
        return length;
    }

    /** Forgets every cached position. */
    public void clear() {
        length = 0;
    }

    /** Makes room for {@code needed} positions (keeping the cached ones). */
    void ensureCapacity(int needed) {
        if (needed <= capacity) {
            return;
        }
        int cap = Math.min(maxPositions, Math.max(needed, Math.max(16, capacity * 2)));
        for (int l = 0; l < nLayers; l++) {
            keys[l] = grow(keys[l], cap, batch * width, 1);    // a row of positions per (sequence, head, d)
            values[l] = grow(values[l], cap, batch, width);    // a row of positions x width per sequence
        }
        capacity = cap;
    }

    /**
     * A buffer of {@code rows} rows of {@code cap} positions ({@code unit} floats each) holding the cached
     * positions of the old one, whose rows held {@code capacity}.
     */
    private float[] grow(float[] old, int cap, int rows, int unit) {
        float[] n = new float[rows * cap * unit];
        for (int r = 0; r < rows; r++) {
            System.arraycopy(old, r * capacity * unit, n, r * cap * unit, length * unit);
        }
        return n;
    }

    /**
     * Returns the number of positions each layer's buffers hold.
     *
     * @return the number of positions each layer's buffers hold
     */
    int capacity() {
        return capacity;
    }

    /**
     * Returns layer {@code l}'s keys, transposed: {@code [batch, n_kv_heads, d_head, capacity]}, so that a
     * decoding step's {@code q k^T} reads each head's keys as a row-major {@code [d_head, positions]} matrix.
     *
     * @return layer {@code l}'s keys {@code [batch, n_kv_heads, d_head, capacity]}
     */
    float[] keys(int l) {
        return keys[l];
    }

    /**
     * Returns layer {@code l}'s values {@code [batch, capacity, n_heads, d_head]}.
     *
     * @return layer {@code l}'s values {@code [batch, capacity, n_heads, d_head]}
     */
    float[] values(int l) {
        return values[l];
    }

    /** Records that a pass appended {@code n} positions to every layer. */
    void advance(int n) {
        length += n;
    }

    void checkCompatible(int batchSize, int layers, int w) {
        if (batchSize != batch || layers != nLayers || w != width) {
            throw new IllegalArgumentException("KV cache for batch " + batch + " (" + nLayers + " layers, width " + width
                    + ") does not fit a pass over batch " + batchSize + " of a model with " + layers + " layers, width " + w);
        }
    }
}
