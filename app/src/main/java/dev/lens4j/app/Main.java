package dev.lens4j.app;

import dev.lens4j.analysis.heads.InductionEvals;
import dev.lens4j.report.ConsoleReport;
import dev.lens4j.report.ConsoleTable;
import dev.lens4j.report.InductionInvestigation;
import dev.lens4j.report.Plural;
import dev.lens4j.report.ReportData;
import dev.lens4j.report.ReportWriter;
import dev.lens4j.transformer.TransformerConfig;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * The {@code lens4j} command line. Without a subcommand it runs the main job: the induction-circuit
 * investigation on the built-in model (or {@code --model DIR}), printed as a console report and written
 * as an HTML report with PNGs. Each subcommand is its own class, registered in the annotation below.
 *
 * <pre>
 *   lens4j                          the investigation on induction-2l; report in ./lens4j-report
 *   lens4j inspect                  config, tokenizer, parameters, hook points and shapes
 *   lens4j tokens TEXT              how a text tokenizes
 *   lens4j cache --prompt TEXT      run with cache: hook names, shapes, norms; --save as .npy or safetensors
 *   lens4j attention --prompt TEXT  attention patterns of a prompt as an HTML viewer and PNGs
 *   lens4j train --out DIR          train a 2-layer attention-only induction model (see {@link TrainCommand})
 *   lens4j bench                    quick matmul and forward-pass timings
 *   lens4j shell                    jshell with lens4j on the class path and its packages imported
 * </pre>
 *
 * <p>Errors print one line ({@code lens4j: ...}) and exit with 2 for a command-line mistake, 1 otherwise;
 * see {@link ErrorHandler}.
 */
@Command(name = "lens4j", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = {"Mechanistic interpretability on the JVM.",
                "Without a command: find the induction circuit of the built-in model (or --model DIR) step by step "
                        + "(loss on repeated tokens, attention patterns and head detectors, direct logit attribution, "
                        + "head ablation, QK/OV and composition scores), print each claim with its verdict and evidence "
                        + "tier, and write an offline HTML report with PNG plots."},
        subcommands = {InspectCommand.class, TokensCommand.class, CacheCommand.class, AttentionCommand.class,
                TrainCommand.class, BenchCommand.class, ShellCommand.class, LessonCommand.class, CommandLine.HelpCommand.class})
public final class Main implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    ModelOptions modelOptions;

    @Option(names = "--prompt", paramLabel = "TEXT",
            description = "text to show in the report's attention viewer instead of the first repeated random sequence")
    String prompt;

    @Option(names = "--out", paramLabel = "DIR", defaultValue = "lens4j-report",
            description = "folder for report.html and the PNGs (default: ${DEFAULT-VALUE})")
    Path out;

    @Option(names = "--seed", paramLabel = "N", description = "seed of the random token sequences and the composition baseline (default: 1234)")
    Long seed;

    @Option(names = "--batch", paramLabel = "N", description = "random sequences to measure on (default: 16; 4 for models with d_model >= 512)")
    Integer batch;

    @Option(names = "--block", paramLabel = "N",
            description = "length of the random block that is repeated; a sequence is BOS + block + block (default: 24, or less to fit n_ctx)")
    Integer block;

    @Option(names = ErrorHandler.STACKTRACE, scope = ScopeType.INHERIT,
            description = "on an error, print the stack trace after the one-line message")
    boolean stacktrace;

    /**
     * The root command, for picocli (which fills in its options); {@link #commandLine()} builds the
     * configured command line around one.
     */
    public Main() {}

    /**
     * Runs the command line and exits with its status.
     *
     * @param args the arguments
     */
    public static void main(String[] args) {
        if (System.getProperty("java.awt.headless") == null) {
            System.setProperty("java.awt.headless", "true"); // charts are drawn into images, never on a screen
        }
        int status;
        try {
            status = commandLine().execute(args);
        } catch (Throwable t) { // an Error thrown outside a command (picocli wraps exceptions, not errors)
            System.err.println("lens4j: " + ErrorHandler.message(t));
            status = 1;
        }
        System.exit(status);
    }

    /**
     * Returns the configured command line, for tests and for tools that embed it.
     *
     * @return the command line with lens4j's error handling
     */
    public static CommandLine commandLine() {
        ErrorHandler errors = new ErrorHandler();
        return new CommandLine(new Main())
                .setCaseInsensitiveEnumValuesAllowed(true)
                .setParameterExceptionHandler(errors)
                .setExecutionExceptionHandler(errors)
                .setExecutionStrategy(parsed -> new CommandLine.RunLast().execute(refuseOptionsBeforeACommand(parsed)));
    }

    /**
     * Refuses the investigation's options given before a command ({@code lens4j --model DIR inspect}): the
     * command runs with its own options only, so they would be ignored and the command would run on the
     * built-in model. Options inherited by every command ({@code --stacktrace}) may go anywhere, and a
     * request for help or the version anywhere on the line is answered as picocli answers it.
     *
     * @param parsed the parsed command line
     * @return {@code parsed}
     * @throws ParameterException naming the options and the command
     */
    static ParseResult refuseOptionsBeforeACommand(ParseResult parsed) {
        if (!parsed.hasSubcommand()) {
            return parsed;
        }
        for (ParseResult p = parsed; p != null; p = p.subcommand()) {
            if (p.isUsageHelpRequested() || p.isVersionHelpRequested() || p.commandSpec().helpCommand()) {
                return parsed;
            }
        }
        List<String> names = new ArrayList<>();
        for (OptionSpec o : parsed.matchedOptionsSet()) {
            if (o.scopeType() != ScopeType.INHERIT) {
                names.add(o.longestName());
            }
        }
        if (names.isEmpty()) {
            return parsed;
        }
        CommandLine sub = parsed.subcommand().commandSpec().commandLine();
        throw new ParameterException(sub, ErrorHandler.and(names) + (names.size() == 1 ? " comes" : " come") + " before '"
                + sub.getCommandName() + "', where only the investigation (lens4j without a command) reads "
                + (names.size() == 1 ? "it" : "them") + "; give the command's options after its name");
    }

    @Override
    public Integer call() throws IOException {
        PrintWriter stdout = spec.commandLine().getOut();
        PrintWriter stderr = spec.commandLine().getErr();
        long start = System.nanoTime();
        OutputFolder.prepare("--out", out, "the report"); // before minutes of work, not after
        try (ModelOptions.LoadedModel m = modelOptions.load()) {
            InductionInvestigation.Options options = options(m);
            String bos = InductionEvals.bos(m.model()) >= 0 ? "BOS + " : ""; // a model without a tokenizer has no BOS
            stdout.printf(Locale.ROOT, "Investigating %s (%s) on %s of %s%s + the same %d again, seed %d%n%n",
                    m.name(), m.source(), Plural.of(options.batch(), "sequence"), bos, Plural.of(options.subseqLen(), "random token"),
                    options.subseqLen(), options.seed());
            stdout.flush();
            StageProgress progress = StageProgress.on(stderr);
            ReportData data;
            try {
                data = InductionInvestigation.run(m.model(), m.name(), options, progress);
            } finally {
                progress.finishLine();
            }
            stdout.print(ConsoleReport.render(data));
            stdout.println();
            List<Path> files = ReportWriter.writeAll(data, out);
            stdout.print(filesTable("Report written to " + out.toAbsolutePath().normalize(), files));
            stdout.printf(Locale.ROOT, "%nOpen %s in a browser (it works offline). Done in %.1f s.%n",
                    files.getFirst().toAbsolutePath().normalize(), (System.nanoTime() - start) / 1e9);
            stdout.flush();
        }
        return 0;
    }

    /** The investigation's options: the defaults for the model, overridden by the flags given, checked against n_ctx. */
    private InductionInvestigation.Options options(ModelOptions.LoadedModel m) {
        TransformerConfig cfg = m.model().config();
        int maxBlock = (cfg.nCtx() - 1) / 2;
        if (maxBlock < 3) {
            throw new UserError("model " + m.name() + " has a context of " + Plural.of(cfg.nCtx(), "token") + " (n_ctx); "
                    + "the investigation needs at least 7 (BOS and two copies of a block of 3 tokens)");
        }
        InductionInvestigation.Options d = InductionInvestigation.Options.defaultsFor(cfg);
        if (block != null && (block < 3 || block > maxBlock)) {
            throw new ParameterException(spec.commandLine(), "--block " + block + " must be between 3 and " + maxBlock
                    + " for " + m.name() + " (BOS + 2 blocks must fit its n_ctx of " + cfg.nCtx() + ")");
        }
        if (batch != null && batch < 1) {
            throw new ParameterException(spec.commandLine(), "--batch must be at least 1, got " + batch);
        }
        if (prompt != null) {
            // fails here with one clear line; tokenized as the investigation will (the model's default for BOS)
            boolean bos = m.model().hasTokenizer() && m.model().tokenizer().defaultPrependBos();
            TokenText.promptTokens(spec, "--prompt", m.model(), m.name(), prompt, bos, true);
        }
        return new InductionInvestigation.Options(block != null ? block : d.subseqLen(), batch != null ? batch : d.batch(),
                seed != null ? seed : d.seed(), prompt, d.maxViewerHeads());
    }

    /**
     * A table of written files and their sizes.
     *
     * @param title the table's title
     * @param files the files
     * @return the table text
     * @throws IOException if a file's size cannot be read
     */
    static String filesTable(String title, List<Path> files) throws IOException {
        ConsoleTable t = new ConsoleTable(title).text("file").number("size", "KB", 1);
        for (Path f : files) {
            t.row(f.getFileName().toString(), Files.size(f) / 1024.0);
        }
        return t.render();
    }

    /** The version shown by {@code --version}: the jar's implementation version when packaged. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = Main.class.getPackage().getImplementationVersion();
            return new String[] {"lens4j " + (v == null ? "(development build)" : v),
                    "JVM " + System.getProperty("java.vm.name") + " " + Runtime.version()};
        }
    }
}
