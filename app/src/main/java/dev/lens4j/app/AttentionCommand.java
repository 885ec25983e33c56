package dev.lens4j.app;

import dev.lens4j.hooks.ActivationCache;
import dev.lens4j.report.AttentionPatterns;
import dev.lens4j.report.HeadId;
import dev.lens4j.report.HtmlReport;
import dev.lens4j.report.ModelSummary;
import dev.lens4j.report.Plural;
import dev.lens4j.report.PngCharts;
import dev.lens4j.report.ReportData;
import dev.lens4j.report.ReportWriter;
import dev.lens4j.tensor.Tensor;
import dev.lens4j.transformer.HookedTransformer;
import dev.lens4j.transformer.TransformerConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;
import picocli.CommandLine.TypeConversionException;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code lens4j attention --prompt TEXT}: the attention patterns of a prompt, as the report's interactive
 * viewer on a page of its own ({@value #HTML}) and one PNG per chosen head.
 */
@Command(name = "attention", mixinStandardHelpOptions = true,
        description = "Render the attention patterns of a prompt: an offline HTML viewer (hover a token to see where it "
                + "attends and what attends to it) and a PNG heatmap per head.")
final class AttentionCommand implements Callable<Integer> {

    /** The page's file name. */
    static final String HTML = "attention.html";

    @Spec
    CommandSpec spec;

    @Mixin
    ModelOptions modelOptions;

    @Option(names = "--prompt", required = true, paramLabel = "TEXT", description = "the text whose attention to show")
    String prompt;

    @Mixin
    BosOption bosOption;

    @Option(names = "--out", paramLabel = "DIR", defaultValue = "lens4j-attention",
            description = "folder for " + HTML + " and the PNGs (default: ${DEFAULT-VALUE})")
    Path out;

    @Option(names = "--heads", paramLabel = "L1H2,...", split = ",", converter = HeadConverter.class,
            description = "the heads to show, as layer and head from 0 (default: every head)")
    List<HeadId> heads;

    @Override
    public Integer call() throws Exception {
        PrintWriter stdout = spec.commandLine().getOut();
        OutputFolder.prepare("--out", out, "");
        try (ModelOptions.LoadedModel m = modelOptions.load()) {
            HookedTransformer model = m.model();
            TransformerConfig cfg = model.config();
            List<HeadId> chosen = chosenHeads(cfg, m.name());
            boolean bos = bosOption.prependBos(model);
            int[] tokens = TokenText.promptTokens(spec, "--prompt", model, m.name(), prompt, bos, true);
            ActivationCache cache = model.runWithCache(new int[][] {tokens}, n -> n.endsWith("attn.hook_pattern")).cache();
            List<AttentionPatterns.HeadPattern> patterns = new ArrayList<>();
            for (HeadId h : chosen) {
                Tensor p = cache.get("pattern", h.layer()).select(0, 0).select(0, h.head()); // [query_pos, key_pos]
                patterns.add(new AttentionPatterns.HeadPattern(h, grid(p)));
            }
            String shown = prompt.length() <= 80 ? prompt : prompt.substring(0, 77) + "...";
            String description = String.format(Locale.ROOT, "Prompt \"%s\" (%s%s)", shown, Plural.of(tokens.length, "token"),
                    tokens.length > 0 && model.tokenizer().bosTokenId().orElse(-1) == tokens[0] && bos ? ", BOS first" : "");
            AttentionPatterns attention = new AttentionPatterns(description, model.tokenizer().toStrTokens(tokens), patterns);
            ReportData data = ReportData.builder("Attention patterns in " + m.name(), ModelSummary.of(model, m.name()))
                    .attention(attention).build();
            List<Path> files = new ArrayList<>();
            Path html = out.resolve(HTML);
            HtmlReport.write(data, html);
            files.add(html);
            for (HeadId h : chosen) {
                Path png = out.resolve(ReportWriter.patternPng(h));
                PngCharts.write(PngCharts.attentionPattern(attention, h), png);
                files.add(png);
            }
            stdout.printf(Locale.ROOT, "%s: %s on %s%n%n", m.name(), Plural.of(chosen.size(), "head"), Plural.of(tokens.length, "token"));
            stdout.print(Main.filesTable("Written to " + out.toAbsolutePath().normalize(), files));
            stdout.printf(Locale.ROOT, "%nOpen %s in a browser (it works offline).%n", html.toAbsolutePath().normalize());
            stdout.flush();
        }
        return 0;
    }

    /** The heads asked for (checked against the model, repeats dropped), or every head. */
    private List<HeadId> chosenHeads(TransformerConfig cfg, String modelName) {
        List<HeadId> out = new ArrayList<>();
        if (heads == null || heads.isEmpty()) {
            for (int l = 0; l < cfg.nLayers(); l++) {
                for (int h = 0; h < cfg.nHeads(); h++) {
                    out.add(new HeadId(l, h));
                }
            }
            return out;
        }
        for (HeadId h : new LinkedHashSet<>(heads)) {
            if (h.layer() >= cfg.nLayers() || h.head() >= cfg.nHeads()) {
                throw new ParameterException(spec.commandLine(), "--heads " + h + " is not a head of " + modelName + ", which has "
                        + Plural.of(cfg.nLayers(), "layer") + " (L0 to L" + (cfg.nLayers() - 1) + ") of " + Plural.of(cfg.nHeads(), "head")
                        + " (H0 to H" + (cfg.nHeads() - 1) + ")");
            }
            out.add(h);
        }
        return out;
    }

    private static double[][] grid(Tensor t) {
        int rows = t.dim(0), cols = t.dim(1);
        float[] f = t.toArray();
        double[][] g = new double[rows][cols];
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < cols; j++) {
                g[i][j] = f[i * cols + j];
            }
        }
        return g;
    }

    /** Parses {@code L1H2} into a head, with a message that shows the expected form. */
    static final class HeadConverter implements ITypeConverter<HeadId> {
        @Override
        public HeadId convert(String value) {
            if (!HeadId.isLabel(value.strip())) {
                throw new TypeConversionException("'" + value + "' is not a head; write layer and head from 0, e.g. L1H2");
            }
            try {
                return HeadId.parse(value.strip());
            } catch (IllegalArgumentException e) { // a number too large for an int
                throw new TypeConversionException("'" + value + "' is not a head: " + e.getMessage());
            }
        }
    }
}
