package dev.lens4j.app;

import dev.lens4j.report.Plural;
import dev.lens4j.transformer.HookedTransformer;
import dev.lens4j.transformer.tokenizer.Tokenizer;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;

/** Prompts in and tokens out: tokenizing a {@code --prompt} with the checks a command line needs, and showing tokens. */
final class TokenText {

    private TokenText() {}

    /**
     * A token as a quoted, escaped string, so that leading spaces, newlines and tabs are visible:
     * {@code " apple"}, {@code "\n"}.
     *
     * @param token a token's text
     * @return the token in double quotes, with {@code \n}, {@code \t}, {@code \r}, {@code "} and
     *     {@code \} escaped and other control characters as {@code \}{@code uXXXX}
     */
    static String quoted(String token) {
        return Tokenizer.quoted(token);
    }

    /**
     * Tokenizes a prompt given on the command line, checking it fits the model.
     *
     * @param spec the command, for usage errors
     * @param option the option's name for messages, e.g. {@code "--prompt"}
     * @param model the model
     * @param modelName the model's display name
     * @param text the prompt
     * @param prependBos whether to put the BOS token first (when the tokenizer has one)
     * @param fitContext whether the tokens must fit the model's context (n_ctx), as they must to be run
     * @return token ids {@code [pos]}
     * @throws UserError if the model has no tokenizer
     * @throws ParameterException if the text cannot be tokenized, is empty, or (with {@code fitContext}) is longer than n_ctx
     */
    static int[] promptTokens(CommandSpec spec, String option, HookedTransformer model, String modelName, String text,
                              boolean prependBos, boolean fitContext) {
        if (!model.hasTokenizer()) {
            throw new UserError("model " + modelName + " has no tokenizer (its folder has no tokenizer.json, "
                    + "vocab.json and merges.txt, or words.txt), so " + option + " cannot be tokenized");
        }
        int[] ids;
        try {
            ids = model.tokenizer().toTokens(text, prependBos && model.tokenizer().bosTokenId().isPresent());
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), option + ": " + e.getMessage());
        }
        if (ids.length == 0) {
            throw new ParameterException(spec.commandLine(), option + " is empty: give at least one token of text");
        }
        int nCtx = model.config().nCtx();
        if (fitContext && ids.length > nCtx) {
            throw new ParameterException(spec.commandLine(), option + " is " + Plural.of(ids.length, "token") + " long, more than "
                    + modelName + "'s context of " + Plural.of(nCtx, "token") + " (n_ctx)");
        }
        return ids;
    }
}
