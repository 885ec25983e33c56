package dev.lens4j.report;

/**
 * What model the report is about.
 *
 * @param name a display name, e.g. {@code "induction-2l"} or a checkpoint folder name
 * @param tokenizer the tokenizer kind, e.g. {@code "word"} or {@code "GPT-2 byte-level BPE"}
 * @param vocabSize {@code d_vocab}
 * @param nLayers {@code n_layers}
 * @param nHeads {@code n_heads} per layer
 * @param dModel {@code d_model}
 * @param dHead {@code d_head}
 * @param parameterCount number of parameters (tied weights counted once)
 * @param attentionOnly whether the blocks have no MLPs
 */
public record ModelSummary(String name, String tokenizer, int vocabSize, int nLayers, int nHeads, int dModel,
                           int dHead, long parameterCount, boolean attentionOnly) {

    /**
     * Validates the components.
     *
     * @throws IllegalArgumentException if a name is missing or a size is not positive
     */
    public ModelSummary {
        if (name == null || tokenizer == null) {
            throw new IllegalArgumentException("model summary needs a name and a tokenizer kind");
        }
        if (vocabSize <= 0 || nLayers <= 0 || nHeads <= 0 || dModel <= 0 || dHead <= 0 || parameterCount <= 0) {
            throw new IllegalArgumentException("model summary sizes must be positive: d_vocab " + vocabSize
                    + ", n_layers " + nLayers + ", n_heads " + nHeads + ", d_model " + dModel + ", d_head " + dHead
                    + ", parameters " + parameterCount);
        }
    }

    /**
     * Returns {@code ln(d_vocab)}, the loss of a uniform guess, in nats.
     *
     * @return {@code ln(d_vocab)}, the loss of a uniform guess, in nats
     */
    public double uniformLoss() {
        return Math.log(vocabSize);
    }

    /**
     * Returns every head of the model in layer-major order.
     *
     * @return every head of the model in layer-major order
     */
    public java.util.List<HeadId> heads() {
        var out = new java.util.ArrayList<HeadId>(nLayers * nHeads);
        for (int l = 0; l < nLayers; l++) {
            for (int h = 0; h < nHeads; h++) {
                out.add(new HeadId(l, h));
            }
        }
        return out;
    }
}
