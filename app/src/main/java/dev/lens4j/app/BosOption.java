package dev.lens4j.app;

import dev.lens4j.transformer.HookedTransformer;
import picocli.CommandLine.Option;

/**
 * The {@code --bos} / {@code --no-bos} option of the commands that tokenize a text (a picocli mixin):
 * whether the prompt starts with the beginning-of-sequence token. Without either, the model's own
 * default decides, TransformerLens's {@code default_prepend_bos}: BOS first for every family but
 * Qwen2 and Qwen3, which were trained without one.
 */
final class BosOption {

    @Option(names = "--bos", negatable = true,
            description = "put the beginning-of-sequence token first (--bos) or not (--no-bos); default: the model's, as "
                    + "TransformerLens's default_prepend_bos (BOS first for every family but Qwen2 and Qwen3)")
    Boolean bos;

    /**
     * Whether a prompt for this model starts with BOS.
     *
     * @param model the model
     * @return the option when given, else the tokenizer's default (false without a tokenizer, whose
     *     absence the tokenizing command reports)
     */
    boolean prependBos(HookedTransformer model) {
        return bos != null ? bos : model.hasTokenizer() && model.tokenizer().defaultPrependBos();
    }
}
