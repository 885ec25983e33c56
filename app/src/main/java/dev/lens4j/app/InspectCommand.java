package dev.lens4j.app;

import dev.lens4j.report.ConsoleTable;
import dev.lens4j.report.ModelSummary;
import dev.lens4j.report.Plural;
import dev.lens4j.tensor.Shapes;
import dev.lens4j.transformer.HookShape;
import dev.lens4j.transformer.HookedTransformer;
import dev.lens4j.transformer.Normalization;
import dev.lens4j.transformer.TransformerConfig;
import dev.lens4j.transformer.tokenizer.Tokenizer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalInt;
import java.util.regex.Pattern;

/** {@code lens4j inspect}: what a model is: its config, tokenizer, parameter count, and every hook point with its shape. */
@Command(name = "inspect", mixinStandardHelpOptions = true,
        description = "Show a model's config, tokenizer, parameter count, and every hook point with the shape of its "
                + "activation (TransformerLens names, e.g. blocks.0.attn.hook_pattern).")
final class InspectCommand implements java.util.concurrent.Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    ModelOptions modelOptions;

    @Option(names = "--pos", paramLabel = "N", description = "sequence length for the shapes (default: the model's n_ctx)")
    Integer pos;

    @Option(names = "--batch", paramLabel = "N", defaultValue = "1", description = "batch size for the shapes (default: ${DEFAULT-VALUE})")
    int batch;

    @Option(names = "--names", paramLabel = "REGEX", converter = RegexConverter.class, description = "list only the hook points whose names contain a match")
    Pattern names;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        try (ModelOptions.LoadedModel m = modelOptions.load()) {
            HookedTransformer model = m.model();
            TransformerConfig cfg = model.config();
            int p = pos == null ? cfg.nCtx() : pos;
            if (p < 1 || p > cfg.nCtx()) {
                throw new ParameterException(spec.commandLine(), "--pos " + p + " must be between 1 and " + m.name()
                        + "'s n_ctx of " + cfg.nCtx());
            }
            if (batch < 1) {
                throw new ParameterException(spec.commandLine(), "--batch must be at least 1, got " + batch);
            }
            Map<String, Object> config = cfg.toJsonMap();
            Kv kv = new Kv(out, config.keySet());
            out.println("Model " + m.name());
            kv.line("source", m.source());
            kv.line("weights", modelOptions.noProcessing ? "as stored (from_pretrained_no_processing)"
                    : processing(cfg));
            if (model.sixteenBitCopyBytes() > 0) {
                kv.line("16-bit weights", sixteenBit(model.sixteenBitCopyBytes(), model.autoPackedSixteenBitBytes(),
                        Runtime.getRuntime().maxMemory()));
            }
            // the checkpoint's count, as the reports and lens4j train give it, whatever the processing
            kv.line("parameters", model.parameterCount().describe());
            out.println();
            out.println("Config (TransformerLens HookedTransformerConfig keys)");
            for (Map.Entry<String, Object> e : config.entrySet()) {
                // eps is a float held as a double: 1.0E-5 reads better than 9.999999747378752E-6
                kv.line(e.getKey(), e.getValue() instanceof Double d ? Float.toString(d.floatValue())
                        : String.valueOf(e.getValue()));
            }
            out.println();
            out.println("Tokenizer");
            if (model.hasTokenizer()) {
                Tokenizer tok = model.tokenizer();
                kv.line("kind", ModelSummary.tokenizerKind(tok));
                kv.line("vocab size", String.format(Locale.ROOT, "%,d", tok.vocabSize()));
                kv.line("BOS", special(tok, tok.bosTokenId()));
                kv.line("EOS", special(tok, tok.eosTokenId()));
                kv.line("PAD", special(tok, tok.padTokenId()));
                kv.line("prompts start", tok.defaultPrependBos() ? "with BOS (default_prepend_bos)"
                        : "without BOS (default_prepend_bos false, as TransformerLens for this family)");
            } else {
                kv.line("kind", "none (no tokenizer.json, vocab.json and merges.txt, or words.txt in the folder: "
                        + "--prompt cannot be tokenized; the Java API takes token ids)");
            }
            out.println();
            List<HookShape> hooks = model.hookPoints(batch, p);
            ConsoleTable t = new ConsoleTable(String.format(Locale.ROOT, "Hook points, shapes for batch %d and pos %d", batch, p))
                    .text("hook point").text("shape");
            for (HookShape h : hooks) {
                if (names == null || names.matcher(h.name()).find()) {
                    t.row(h.name(), Shapes.str(h.shape()));
                }
            }
            out.print(t.render());
            out.printf(Locale.ROOT, "%d of %s%s%n", t.rowCount(), Plural.of(hooks.size(), "hook point"),
                    names == null ? "" : " match /" + names.pattern() + "/");
            out.flush();
        }
        return 0;
    }

    /**
     * Which of TransformerLens's from_pretrained steps a processed model got, by WeightProcessing's rules
     * (read off the loaded config, whose norms fold_ln turned into LNPre / RMSPre).
     */
    static String processing(TransformerConfig cfg) {
        List<String> done = new java.util.ArrayList<>();
        List<String> skipped = new java.util.ArrayList<>();
        if (cfg.normalization() == Normalization.NONE) {
            skipped.add("fold_ln and center_writing_weights: no normalisation");
        } else {
            done.add("fold_ln");
            if (cfg.normalization().centers()) {
                done.add("center_writing_weights");
            } else {
                skipped.add("center_writing_weights: RMSNorm does not centre");
            }
        }
        if (cfg.outputLogitsSoftCap() > 0) {
            skipped.add("center_unembed: the logits are soft-capped");
        } else {
            done.add("center_unembed");
        }
        done.add("fold_value_biases");
        return "processed as TransformerLens's from_pretrained (" + String.join(", ", done) + ")"
                + (skipped.isEmpty() ? "" : "; not " + String.join("; not ", skipped));
    }

    /**
     * Where a 16-bit checkpoint's matrices are multiplied from by default ({@code WeightPacking.AUTO}).
     *
     * @param copies the bytes of all of their packed copies
     * @param packed the bytes of the copies the default makes (all, those of the matrices that fit in half the
     *     heap, or none)
     * @param maxHeap the heap's maximum
     * @return one line
     */
    static String sixteenBit(long copies, long packed, long maxHeap) {
        String sizes = mib(copies) + " of copies, " + mib(maxHeap) + " heap maximum";
        String larger = "give a larger -Xmx, or pass WeightPacking.ALL";
        if (packed == copies) {
            return "packed by the first pass, the copies in place of the mapped pages (" + sizes + ")";
        }
        if (packed > 0) {
            // 1 to 99: some, not all, whatever the rounding
            long percent = Math.max(1, Math.min(99, Math.round(100.0 * packed / copies)));
            return String.format(Locale.ROOT, "%d%% packed by the first pass, the rest multiplied from the mapping "
                    + "(decoding that part about 3x slower than from copies): %s of the copies fit in half the heap "
                    + "(%s; %s)", percent, mib(packed), sizes, larger);
        }
        return "multiplied from the mapping (decoding about 3x slower than from copies): the copies would take more "
                + "than half the heap (" + sizes + "; " + larger + ")";
    }

    private static String mib(long bytes) {
        return String.format(Locale.ROOT, "%,.1f MiB", bytes / (1024.0 * 1024.0));
    }

    private static String special(Tokenizer tok, OptionalInt id) {
        return id.isPresent() ? id.getAsInt() + " " + TokenText.quoted(tok.tokenString(id.getAsInt())) : "none";
    }

    /**
     * Prints {@code key  value} lines with every value in one column: as wide as the longest config key
     * (26 characters at least, which the keys of most families fit) and two spaces.
     */
    private static final class Kv {
        private final PrintWriter out;
        private final int width;

        Kv(PrintWriter out, Iterable<String> configKeys) {
            int w = 26;
            for (String k : configKeys) {
                w = Math.max(w, k.length());
            }
            this.out = out;
            this.width = w;
        }

        void line(String key, String value) {
            out.println("  " + key + " ".repeat(Math.max(2, width + 2 - key.length())) + value);
        }
    }
}
