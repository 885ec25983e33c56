package dev.lens4j.report;

import dev.lens4j.transformer.HookedTransformer;
import dev.lens4j.transformer.ParameterCount;
import dev.lens4j.transformer.TransformerConfig;
import dev.lens4j.transformer.tokenizer.Tokenizer;
import dev.lens4j.transformer.train.WordTokenizer;

/**
 * What model the report is about. {@link #of(HookedTransformer, String)} builds it from a loaded
 * model; every command and report that summarises a model goes through it, so they all name the
 * tokenizer and count the parameters the same way.
 *
 * @param name a display name, e.g. {@code "induction-2l"} or a checkpoint folder name
 * @param tokenizer the tokenizer kind, e.g. {@code "word-level"} or {@code "GPT-2 byte-level BPE"}
 * @param vocabSize {@code d_vocab}
 * @param nLayers {@code n_layers}
 * @param nHeads {@code n_heads} per layer
 * @param dModel {@code d_model}
 * @param dHead {@code d_head}
 * @param parameters the model's parameter count ({@link HookedTransformer#parameterCount()})
 * @param attentionOnly whether the blocks have no MLPs
 */
public record ModelSummary(String name, String tokenizer, int vocabSize, int nLayers, int nHeads, int dModel,
                           int dHead, ParameterCount parameters, boolean attentionOnly) {

    /**
     * Validates the components.
     *
     * @throws IllegalArgumentException if a name is missing or a size is not positive
     */
    public ModelSummary {
        if (name == null || tokenizer == null || parameters == null) {
            throw new IllegalArgumentException("model summary needs a name, a tokenizer kind and a parameter count");
        }
        if (vocabSize <= 0 || nLayers <= 0 || nHeads <= 0 || dModel <= 0 || dHead <= 0 || parameters.count() <= 0) {
            throw new IllegalArgumentException("model summary sizes must be positive: d_vocab " + vocabSize
                    + ", n_layers " + nLayers + ", n_heads " + nHeads + ", d_model " + dModel + ", d_head " + dHead
                    + ", parameters " + parameters.count());
        }
    }

    /** The tokenizer kind of a model without a tokenizer. */
    public static final String NO_TOKENIZER = "none";

    /**
     * Summarises a loaded model: its config's sizes, {@link #tokenizerKind(Tokenizer)} and
     * {@link HookedTransformer#parameterCount()}.
     *
     * <pre>{@code
     * ModelSummary s = ModelSummary.of(Models.fromPretrained("induction-2l"), "induction-2l");
     * s.tokenizer();   // "word-level"
     * s.parameters();  // 44,992 parameters (W_U untied)
     * }</pre>
     *
     * @param model the model
     * @param name its display name
     * @return the summary
     */
    public static ModelSummary of(HookedTransformer model, String name) {
        TransformerConfig c = model.config();
        String tok = model.hasTokenizer() ? tokenizerKind(model.tokenizer()) : NO_TOKENIZER;
        return new ModelSummary(name, tok, c.dVocab(), c.nLayers(), c.nHeads(), c.dModel(), c.dHead(),
                model.parameterCount(), c.attnOnly());
    }

    /**
     * Names a tokenizer's kind for people.
     *
     * @param tok the tokenizer
     * @return {@code "word-level"} (lens4j's toy-model tokenizer, one token per word of
     *     {@code words.txt}), or the tokenizer's own {@link Tokenizer#kind()}: {@code "GPT-2 byte-level BPE"},
     *     {@code "SentencePiece-style BPE (tokenizer.json)"}, ...
     */
    public static String tokenizerKind(Tokenizer tok) {
        return tok instanceof WordTokenizer ? "word-level" : tok.kind();
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
