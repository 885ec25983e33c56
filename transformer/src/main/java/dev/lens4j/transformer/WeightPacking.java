package dev.lens4j.transformer;

/**
 * Which weight matrices a forward pass may multiply from copies packed once into the GEMM's panel
 * layout ({@link ForwardOptions.Builder#packedWeights}). A model packs a matrix the first time a pass
 * of more than 4 positions allowed to needs it, and keeps the float32 copy (what the copies hold:
 * {@link HookedTransformer#packedWeightBytes()}). The results are the same bits whichever is chosen.
 */
public enum WeightPacking {
    /** None: every product packs the panels it needs as it goes (the memory of the weights alone). */
    NONE,
    /**
     * Float32 matrices on the heap or in a read-only mapping (the default). Costs a second float32 copy
     * of the matrices: for GPT-2 small 494 MB beside its 498 MB of weights.
     */
    FLOAT32,
    /**
     * Also bfloat16 and half-precision matrices in a read-only mapping, widened into the copy: faster
     * passes of many positions, but the copy is twice the file's bytes, where without it a 16-bit
     * checkpoint costs its file once.
     */
    ALL
}
