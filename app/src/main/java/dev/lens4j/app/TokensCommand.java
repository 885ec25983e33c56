package dev.lens4j.app;

import dev.lens4j.report.ConsoleTable;
import dev.lens4j.report.ModelSummary;
import dev.lens4j.transformer.tokenizer.Tokenizer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.Locale;
import java.util.concurrent.Callable;

/** {@code lens4j tokens TEXT}: how the model's tokenizer splits a text, as TransformerLens's {@code to_tokens} and {@code to_str_tokens}. */
@Command(name = "tokens", mixinStandardHelpOptions = true,
        description = "Tokenize a text with the model's tokenizer: position, token id and token text "
                + "(TransformerLens's to_tokens and to_str_tokens; BOS first as the model's default_prepend_bos says, "
                + "unless --bos or --no-bos).")
final class TokensCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    ModelOptions modelOptions;

    @Parameters(index = "0", paramLabel = "TEXT", description = "the text (quote it)")
    String text;

    @Mixin
    BosOption bosOption;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        try (ModelOptions.LoadedModel m = modelOptions.load()) {
            boolean bos = bosOption.prependBos(m.model());
            int[] ids = TokenText.promptTokens(spec, "TEXT", m.model(), m.name(), text, bos, false);
            Tokenizer tok = m.model().tokenizer();
            ConsoleTable t = new ConsoleTable(null).number("pos", null, 0).number("id", null, 0).text("token");
            for (int i = 0; i < ids.length; i++) {
                // ids as plain digits: "50,256" would read as two numbers
                t.row(String.valueOf(i), String.valueOf(ids[i]), TokenText.quoted(tok.tokenString(ids[i])));
            }
            out.print(t.render());
            int nCtx = m.model().config().nCtx();
            out.printf(Locale.ROOT, "%d tokens (%s), %s, vocabulary %,d%s%n", ids.length,
                    !bos || tok.bosTokenId().isEmpty() ? "no BOS" : "BOS first", ModelSummary.tokenizerKind(tok), tok.vocabSize(),
                    ids.length > nCtx ? "; longer than " + m.name() + "'s context of " + nCtx + " tokens" : "");
            out.flush();
        }
        return 0;
    }
}
