package dev.lens4j.app;

import dev.lens4j.report.ConsoleTable;
import dev.lens4j.report.ModelSummary;
import dev.lens4j.report.Plural;
import dev.lens4j.transformer.tokenizer.Tokenizer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code lens4j tokens --prompt TEXT}: how the model's tokenizer splits a text, as TransformerLens's
 * {@code to_tokens} and {@code to_str_tokens}. The text comes with {@code --prompt}, as for {@code cache},
 * {@code attention} and the investigation; a bare text (the command's earlier form) is refused with a
 * message that shows the option.
 */
@Command(name = "tokens", mixinStandardHelpOptions = true,
        description = "Tokenize a text with the model's tokenizer: position, token id and token text "
                + "(TransformerLens's to_tokens and to_str_tokens; BOS first as the model's default_prepend_bos says, "
                + "unless --bos or --no-bos).")
final class TokensCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    ModelOptions modelOptions;

    @Option(names = "--prompt", required = true, paramLabel = "TEXT", description = "the text to tokenize (quote it)")
    String prompt;

    /**
     * Refuses a text given without {@code --prompt} while the command line is parsed, before picocli
     * reports the missing option, so that the message shows how to give it.
     *
     * @param text the bare text
     * @throws ParameterException always
     */
    @Parameters(paramLabel = "TEXT", arity = "0..1", hidden = true)
    void bareText(String text) {
        throw new ParameterException(spec.commandLine(), "give the text with --prompt, as for cache and attention: "
                + "lens4j tokens --prompt '" + text.replace("'", "'\\''") + "'");
    }

    @Mixin
    BosOption bosOption;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        try (ModelOptions.LoadedModel m = modelOptions.load()) {
            boolean bos = bosOption.prependBos(m.model());
            int[] ids = TokenText.promptTokens(spec, "--prompt", m.model(), m.name(), prompt, bos, false);
            Tokenizer tok = m.model().tokenizer();
            ConsoleTable t = new ConsoleTable(null).number("pos", null, 0).number("id", null, 0).text("token");
            for (int i = 0; i < ids.length; i++) {
                // ids as plain digits: "50,256" would read as two numbers
                t.row(String.valueOf(i), String.valueOf(ids[i]), TokenText.quoted(tok.tokenString(ids[i])));
            }
            out.print(t.render());
            int nCtx = m.model().config().nCtx();
            out.printf(Locale.ROOT, "%s (%s), %s, vocabulary %,d%s%n", Plural.of(ids.length, "token"),
                    !bos || tok.bosTokenId().isEmpty() ? "no BOS" : "BOS first", ModelSummary.tokenizerKind(tok), tok.vocabSize(),
                    ids.length > nCtx ? "; longer than " + m.name() + "'s context of " + Plural.of(nCtx, "token") : "");
            out.flush();
        }
        return 0;
    }
}
