package dev.lens4j.app;

import dev.lens4j.transformer.HookedTransformer;
import dev.lens4j.transformer.TransformerConfig;
import dev.lens4j.transformer.loading.Models;
import dev.lens4j.transformer.tokenizer.Tokenizer;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;

/** Prints what a model is: its name, shape, parameter count and a few tokens of its vocabulary. */
final class ModelSummary {

    /** The model lens4j ships and uses when none is named. */
    static final String DEFAULT_MODEL = "induction-2l";

    private ModelSummary() {}

    static int print(String name, PrintStream out) throws Exception {
        try (HookedTransformer model = Models.fromPretrainedNoProcessing(name)) {
            TransformerConfig c = model.config();
            out.printf("%s: %d layers, %d heads of width %d, d_model %d, %s, normalization %s, context %d, vocabulary %d, %,d parameters%n",
                    name, c.nLayers(), c.nHeads(), c.dHead(), c.dModel(),
                    c.attnOnly() ? "attention-only" : "MLP width " + c.dMlp(), c.normalization(), c.nCtx(), c.dVocab(),
                    c.parameterCount());
            if (model.hasTokenizer()) {
                Tokenizer tok = model.tokenizer();
                List<String> sample = new ArrayList<>();
                for (int i = 0; i < Math.min(8, tok.vocabSize()); i++) {
                    sample.add("\"" + tok.tokenString(i) + "\"");
                }
                out.println("vocabulary starts " + String.join(", ", sample) + ", ...");
            }
            out.println("Run 'lens4j help' for the commands.");
        }
        return 0;
    }
}
