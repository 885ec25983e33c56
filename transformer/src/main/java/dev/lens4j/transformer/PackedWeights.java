package dev.lens4j.transformer;

import dev.lens4j.tensor.internal.StorageWatch;
import dev.lens4j.tensor.matmul.MatrixOperand;
import dev.lens4j.tensor.matmul.PackedMatrix;
import dev.lens4j.tensor.matmul.StorageType;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A model's weight matrices packed once into the GEMM's panel layout ({@link PackedMatrix}), so that
 * a forward pass of many positions does not pack every weight again (a fifth to a third of a product
 * with 128 rows). The weights stay mutable: a packed copy is used only while the matrix's storage has
 * not been written since it was packed, which {@link StorageWatch} tells, and is never trusted again
 * once the storage was handed out as a raw array.
 *
 * <p>Which matrices: those the forward pass multiplies whole ({@code [d_model, 3 H D]} QKV or its parts,
 * {@code W_O}, {@code W_in}, {@code W_gate}, {@code W_out}, {@code W_U}), when they are heap arrays or
 * read-only memory segments (a checkpoint's mapping, which nothing can write); of those, the
 * {@link WeightPacking} of the pass says which types (by default float32, and of the 16-bit ones those whose
 * copies fit in {@value #AUTO_HEAP_SHARE_PERCENT}% of the heap's maximum, taken in the order of the layers,
 * each if it still fits beside those before it, since the copies are on the heap). A writable segment is never packed: its
 * writes cannot be seen. A matrix is packed the first time a pass of many positions needs it (so a model
 * used only for decoding or analysis never pays; except a mapped 16-bit matrix, which a decoding step
 * packs too, {@link #forStep}), on the calling thread, and costs a copy of it: float32,
 * or bfloat16 for a bfloat16 matrix ({@link PackedMatrix#packBfloat16}). For a mapped matrix the copy
 * takes the place of the mapping: once it is made, the matrix's pages are released from the process
 * ({@link MatrixOperand#unloadMapping()}), so that the process holds the copy instead of the file's pages,
 * not both (they come back from the file only if something reads the mapping itself again: analysis of the
 * weights, or a pass that does not allow the copy).
 *
 * <p>Thread-safe: passes on several threads may pack the same matrix at once; one copy is kept.
 */
final class PackedWeights {

    /** A packed copy and the write count of the storage when packing began. */
    private record Entry(long writes, PackedMatrix packed) {}

    /** The matrices that may be packed, each with its storage's watch; equal operands are the same matrix. */
    private final Map<MatrixOperand, StorageWatch.Watch> watches = new LinkedHashMap<>();
    private final Map<MatrixOperand, Entry> packed = new ConcurrentHashMap<>();
    /** Matrices whose copy did not fit in the heap. */
    private final java.util.Set<MatrixOperand> tooBig = ConcurrentHashMap.newKeySet();
    /** Makes a packed copy: {@link #copyOf}, or a test's. */
    private final java.util.function.Function<MatrixOperand, PackedMatrix> packer;
    /**
     * The share of the heap's maximum, in percent, that the copies of a model's 16-bit matrices may take
     * together for {@link WeightPacking#AUTO} to pack them: the rest is for the activations.
     */
    static final int AUTO_HEAP_SHARE_PERCENT = 50;
    /** The bytes the copies of every registered 16-bit matrix would take together. */
    private final long sixteenBitCopyBytes;
    /** The 16-bit matrices {@link WeightPacking#AUTO} packs: each, in order, whose copy still fit in its share. */
    private final java.util.Set<MatrixOperand> autoSixteenBit = new java.util.HashSet<>();
    /** The bytes of their copies. */
    private final long autoSixteenBitBytes;

    /**
     * Registers the packable matrices of a model; called when the model is built, before its weights
     * are handed out, so that every later write or escape is seen.
     *
     * @param w the prepared weights
     */
    PackedWeights(PreparedWeights w) {
        this(w, PackedWeights::copyOf, Runtime.getRuntime().maxMemory());
    }

    /**
     * The copy a model packs of a matrix: bfloat16 kept bfloat16 (the file's bytes again), anything else as
     * float32.
     */
    static PackedMatrix copyOf(MatrixOperand m) {
        return m.type() == StorageType.BF16 ? PackedMatrix.packBfloat16(m) : PackedMatrix.pack(m);
    }

    /**
     * The same, with the packing and the heap's maximum given (tests make packing run out of memory, or
     * give a small heap).
     */
    PackedWeights(PreparedWeights w, java.util.function.Function<MatrixOperand, PackedMatrix> packer, long maxHeap) {
        this.packer = packer;
        for (PreparedWeights.Layer l : w.layers) {
            for (MatrixOperand q : l.qkv().w()) {
                register(q);
            }
            register(l.wO());
            register(l.wIn());
            register(l.wGate());
            register(l.wOut());
        }
        register(w.wU);
        // AUTO: the 16-bit matrices in the order of the layers (the unembedding last), each packed if its copy
        // still fits in the heap's share beside those before it, so that a model a little too large for the
        // heap decodes faster in proportion to what fits rather than not at all
        long budget = (long) (maxHeap * (AUTO_HEAP_SHARE_PERCENT / 100.0));
        long sixteen = 0, auto = 0;
        for (MatrixOperand m : watches.keySet()) {
            if (m.type() != StorageType.F32) {
                long bytes = copyBytes(m);
                sixteen += bytes;
                if (auto + bytes <= budget) {
                    auto += bytes;
                    autoSixteenBit.add(m);
                }
            }
        }
        sixteenBitCopyBytes = sixteen;
        autoSixteenBitBytes = auto;
    }

    /**
     * The bytes of a 16-bit matrix's packed copy, padding included: bfloat16 stays 2 bytes per element, half
     * precision 4.
     */
    private static long copyBytes(MatrixOperand m) {
        return PackedMatrix.packedBytes(m.rows(), m.cols(), m.type());
    }

    /**
     * Whether {@link WeightPacking#AUTO} packs every one of this model's 16-bit matrices.
     *
     * @return true when the model has 16-bit matrices in a read-only mapping and their copies together fit
     *     in {@value #AUTO_HEAP_SHARE_PERCENT}% of the heap's maximum
     */
    boolean autoPacksSixteenBit() {
        return sixteenBitCopyBytes > 0 && autoSixteenBitBytes == sixteenBitCopyBytes;
    }

    /**
     * The bytes of the copies {@link WeightPacking#AUTO} makes of this model's 16-bit matrices: all of
     * {@link #sixteenBitCopyBytes()} when they fit in {@value #AUTO_HEAP_SHARE_PERCENT}% of the heap's
     * maximum, else those of the matrices that fit, taken in the order of the layers.
     *
     * @return bytes, 0 when none fits or the model has no 16-bit matrices in a read-only mapping
     */
    long autoSixteenBitBytes() {
        return autoSixteenBitBytes;
    }

    /**
     * The bytes the copies of the model's 16-bit matrices would take together.
     *
     * @return 0 for a model without 16-bit matrices in a read-only mapping
     */
    long sixteenBitCopyBytes() {
        return sixteenBitCopyBytes;
    }

    private void register(MatrixOperand m) {
        if (m == null) {
            return;
        }
        if (m.array() != null && m.type() == StorageType.F32) {
            watches.computeIfAbsent(m, o -> StorageWatch.watch(o.array()));
        } else if (m.segment() != null && m.segment().isReadOnly()) {
            watches.putIfAbsent(m, READ_ONLY);
        }
    }

    /** The watch of read-only memory: never written, never handed out writable. */
    private static final StorageWatch.Watch READ_ONLY = StorageWatch.neverWritten();

    /**
     * The packed copy of a matrix, packing it now if it has none or its storage was written since.
     *
     * @param w a matrix the pass multiplies by
     * @param packing which matrices the pass allows packed
     * @return its packed copy, or null to multiply {@code w} as it is (not packable or not allowed, or its
     *     raw array was handed out, or it was written while being packed)
     */
    PackedMatrix get(MatrixOperand w, WeightPacking packing) {
        StorageWatch.Watch watch = allowed(w, packing);
        if (watch == null) {
            return null;
        }
        if (watch.escaped()) {
            packed.remove(w);   // free the copy: it can never be trusted again
            return null;
        }
        long writes = watch.writes();
        Entry e = packed.get(w);
        if (e != null && e.writes() == writes) {
            return e.packed();
        }
        if (tooBig.contains(w)) {
            return null;
        }
        PackedMatrix p;
        try {
            p = packer.apply(w);
        } catch (OutOfMemoryError tooLarge) {
            // one large array that the heap cannot give: nothing else was allocated or changed, and the
            // product packs what it needs per call as it did before packed weights (a heap sized for the
            // weights and activations alone keeps working); not tried again for this matrix
            tooBig.add(w);
            return null;
        }
        if (watch.writes() != writes || watch.escaped()) {
            return null;   // written meanwhile: the copy may mix old and new values
        }
        packed.put(w, new Entry(writes, p));
        // the copy replaces a mapped matrix: its pages leave the resident set (read again only if a
        // product ever multiplies the mapping itself), so a mapped checkpoint costs about its file once
        w.unloadMapping();
        return p;
    }

    /**
     * The packed copy of a matrix if it has a current one, without packing it: for a decoding step,
     * which streams the weights once and would not pay for packing them, but reads a copy made by an
     * earlier pass (the prompt's) as fast as the weights themselves, in one contiguous run per panel.
     *
     * @param w a matrix the pass multiplies by
     * @param packing which matrices the pass allows packed
     * @return its packed copy, or null when it has no current one
     */
    PackedMatrix existing(MatrixOperand w, WeightPacking packing) {
        StorageWatch.Watch watch = allowed(w, packing);
        if (watch == null || watch.escaped()) {
            return null;
        }
        Entry e = packed.get(w);
        return e != null && e.writes() == watch.writes() ? e.packed() : null;
    }

    /**
     * The packed copy a decoding step (a few rows) multiplies by: the copy an earlier pass made (the
     * prompt's), and otherwise none, since streaming the weights once costs less than packing them; except
     * a 16-bit matrix of a read-only mapping that {@code packing} allows, which is packed now: its mapped
     * {@code [out, in]} layout decodes 2.5 to 3.3 times slower than its copy, and the copy takes the mapping's
     * place, so a model decoded after a prompt of 4 tokens or fewer is as fast as after a longer one.
     *
     * @param w a matrix the step multiplies by
     * @param packing which matrices the pass allows packed
     * @return its packed copy, or null to multiply {@code w} as it is
     */
    PackedMatrix forStep(MatrixOperand w, WeightPacking packing) {
        PackedMatrix copy = existing(w, packing);
        if (copy != null || w.type() == StorageType.F32 || w.segment() == null) {
            return copy;
        }
        return get(w, packing);
    }

    /** The watch of a registered matrix that {@code packing} allows packed, or null. */
    private StorageWatch.Watch allowed(MatrixOperand w, WeightPacking packing) {
        StorageWatch.Watch watch = watches.get(w);
        if (watch == null) {
            return null;
        }
        boolean ok = switch (packing) {
            case NONE -> false;
            case FLOAT32 -> w.type() == StorageType.F32;
            case AUTO -> w.type() == StorageType.F32 || autoSixteenBit.contains(w);
            case ALL -> true;
        };
        return ok ? watch : null;
    }

    /** Drops every packed copy (the model is closed). */
    void clear() {
        packed.clear();
    }

    /**
     * The memory the packed copies hold now.
     *
     * @return bytes of the panels, padding included
     */
    long bytes() {
        long b = 0;
        for (Entry e : packed.values()) {
            b += e.packed().bytes();
        }
        return b;
    }
}
