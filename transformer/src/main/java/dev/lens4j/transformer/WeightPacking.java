package dev.lens4j.transformer;

/**
 * Which weight matrices a forward pass may multiply from copies packed once into the GEMM's panel
 * layout ({@link ForwardOptions.Builder#packedWeights}). A model packs a matrix the first time a pass
 * of more than 4 positions allowed to needs it (a mapped 16-bit matrix: any pass), and keeps the copy (what the copies hold:
 * {@link HookedTransformer#packedWeightBytes()}). The results are the same bits whichever is chosen.
 */
public enum WeightPacking {
    /** None: every product packs the panels it needs as it goes (the memory of the weights alone). */
    NONE,
    /**
     * Float32 matrices on the heap or in a read-only mapping. For heap weights (a processed
     * model) this costs a second float32 copy of the matrices: for GPT-2 small 494 MB beside its 498 MB of
     * weights. For a mapped checkpoint the copy takes the mapping's place: once a matrix is packed its
     * pages are released from the process ({@link dev.lens4j.tensor.matmul.MatrixOperand#unloadMapping()}),
     * so the process holds the matrices once, on the heap (Llama-3.2-1B in float32: 5.4 GB resident after
     * its first pass instead of 9.9). A 16-bit checkpoint is multiplied in place, from its mapping.
     */
    FLOAT32,
    /**
     * {@link #FLOAT32}, and also the 16-bit matrices of a read-only mapping whose copies fit in the heap
     * with room to spare (the default): as {@link #ALL} when the copies of all of the model's 16-bit
     * matrices together take at most half of the heap's maximum ({@link Runtime#maxMemory()}); otherwise
     * those that fit in that half, taken in the order of the layers, each if it still fits beside those
     * before it, and the rest as {@link #FLOAT32}. The other half of the heap is left for activations and
     * caches; {@link #FLOAT32} leaves all of it.
     * Decided once per model, when it is built ({@link HookedTransformer#packsSixteenBitWeights()} and
     * {@link HookedTransformer#autoPackedSixteenBitBytes()} tell what). Llama-3.2-1B in bfloat16 (2.4 GB of
     * copies) is packed whole under the 6 GB default heap of a 24 GB machine and decodes about 3 times
     * faster than from its mapping, at the same resident memory; an 8B model (16 GB) is packed whole only
     * with a heap of at least 32 GB, and in part under a smaller one.
     */
    AUTO,
    /**
     * Also bfloat16 and half-precision matrices in a read-only mapping (a 16-bit checkpoint loaded
     * without processing). A bfloat16 matrix is copied as bfloat16 ({@link
     * dev.lens4j.tensor.matmul.PackedMatrix#packBfloat16}), the file's bytes: a decoding step then
     * streams its panels at 2 bytes per element, 2.5 to 3.7 times faster than the mapped {@code [out, in]}
     * layout in place (Pythia-160M, Llama-3.2-1B, one thread), and a pass of many positions widens one panel at a
     * time. The copy takes the mapping's place, as for {@link #FLOAT32}: the process still holds the
     * checkpoint about once (Llama-3.2-1B in bfloat16: 2,357 MiB of copies and 3 MiB of the mapping
     * resident after the first pass), but on the heap, which must have room for it. A half-precision
     * matrix is widened into a float32 copy, twice the file's bytes. Without it a 16-bit checkpoint costs
     * its file once, mapped.
     */
    ALL
}
