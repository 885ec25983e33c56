package dev.lens4j.app;

import dev.lens4j.hooks.ActivationCache;
import dev.lens4j.report.ConsoleTable;
import dev.lens4j.report.Plural;
import dev.lens4j.tensor.Shapes;
import dev.lens4j.tensor.Tensor;
import dev.lens4j.tensor.io.DType;
import dev.lens4j.tensor.io.Npy;
import dev.lens4j.tensor.io.SafetensorsWriter;
import dev.lens4j.tensor.io.StagedFolder;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.regex.Pattern;

/**
 * {@code lens4j cache --prompt TEXT}: TransformerLens's {@code run_with_cache} from the command line:
 * every recorded activation with its shape and norm, optionally saved for numpy or PyTorch.
 */
@Command(name = "cache", mixinStandardHelpOptions = true,
        description = {"Run a prompt with the activation cache (TransformerLens's run_with_cache) and list every recorded "
                + "hook point with its shape and norm; --save writes the activations, one .npy file per hook point "
                + "(numpy.load) or one safetensors file (safetensors.torch.load_file)."})
final class CacheCommand implements Callable<Integer> {

    /** How {@code --save} writes the activations. */
    enum Format { npy, safetensors }

    /** The file {@code --format safetensors} writes into the {@code --save} folder. */
    static final String SAFETENSORS_FILE = "activations.safetensors";

    @Spec
    CommandSpec spec;

    @Mixin
    ModelOptions modelOptions;

    @Option(names = "--prompt", required = true, paramLabel = "TEXT", description = "the text to run")
    String prompt;

    @Mixin
    BosOption bosOption;

    @Option(names = "--names", paramLabel = "REGEX", converter = RegexConverter.class,
            description = "record only the hook points whose names contain a match, e.g. 'pattern' or 'blocks\\.1\\.attn'")
    Pattern names;

    @Option(names = "--save", paramLabel = "DIR", description = "folder to write the activations to (created if needed; "
            + "all files are written or none, and other files in it are kept)")
    Path save;

    @Option(names = "--format", paramLabel = "npy|safetensors", defaultValue = "npy",
            description = "with --save: npy (one <hook name>.npy per hook point) or safetensors (one "
                    + SAFETENSORS_FILE + " whose tensors are named by hook point) (default: ${DEFAULT-VALUE})")
    Format format;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        if (save != null) {
            OutputFolder.prepareWhole("--save", save, "");
        }
        try (ModelOptions.LoadedModel m = modelOptions.load()) {
            boolean bos = bosOption.prependBos(m.model());
            int[] tokens = TokenText.promptTokens(spec, "--prompt", m.model(), m.name(), prompt, bos, true);
            ActivationCache cache = m.model().runWithCache(new int[][] {tokens},
                    names == null ? n -> true : n -> names.matcher(n).find()).cache();
            if (cache.size() == 0) {
                throw new UserError("--names /" + names.pattern() + "/ matches none of " + m.name() + "'s "
                        + Plural.of(m.model().hookPointNames().size(), "hook point") + " (see lens4j inspect)");
            }
            out.printf(Locale.ROOT, "%s on %s: %s%n%n", m.name(), Plural.of(tokens.length, "token"), tokenList(m, tokens));
            ConsoleTable t = new ConsoleTable(null).text("hook point").text("shape").number("norm", null, 4)
                    .number("max |x|", null, 4).text("not finite");
            boolean anyNonFinite = false;
            List<String> withNan = new ArrayList<>();
            for (String name : cache.names()) {
                Tensor a = cache.get(name);
                Stats s = Stats.of(a);
                anyNonFinite |= s.nonFinite() > 0;
                if (s.nan() > 0) {
                    withNan.add(name);
                }
                t.row(name + (s.nonFinite() > 0 ? " *" : ""), Shapes.str(a.shape()), s.norm(), s.maxAbs(), s.nonFiniteText());
            }
            out.print(t.render());
            out.printf(Locale.ROOT, "%s; norm is the L2 (Frobenius) norm of the whole activation%n", Plural.of(cache.size(), "hook point"));
            if (anyNonFinite) {
                out.println("* norm and max |x| over the finite entries only; 'not finite' counts the others "
                        + "(attention scores hold -inf where masked: above the diagonal, the causal mask"
                        + (m.model().config().useLocalAttn() ? ", and outside a local layer's window" : "") + ")");
            }
            if (!withNan.isEmpty()) {
                out.printf(Locale.ROOT, "NaN in %s, first %s: the forward pass produced NaN%n", Plural.of(withNan.size(), "hook point"),
                        withNan.getFirst());
            }
            if (save != null) {
                List<Path> files = save(cache, m, tokens);
                out.println();
                out.print(Main.filesTable("Activations written to " + save.toAbsolutePath().normalize(), files));
            }
            out.flush();
        }
        return 0;
    }

    /**
     * Writes the activations into the {@code --save} folder, all files or none ({@link StagedFolder}):
     * a failure part-way (a full disk) leaves the folder as it was.
     */
    private List<Path> save(ActivationCache cache, ModelOptions.LoadedModel m, int[] tokens) throws IOException {
        List<String> names = new ArrayList<>();
        try (StagedFolder staged = StagedFolder.begin(save)) {
            Path dir = staged.dir();
            try {
                if (format == Format.npy) {
                    for (String name : cache.names()) {
                        names.add(name + ".npy");
                        Npy.write(dir.resolve(names.getLast()), cache.get(name));
                    }
                } else {
                    Map<String, String> meta = new LinkedHashMap<>();
                    meta.put("model", m.name());
                    meta.put("prompt", prompt);
                    meta.put("tokens", Arrays.toString(tokens));
                    names.add(SAFETENSORS_FILE);
                    SafetensorsWriter.write(dir.resolve(SAFETENSORS_FILE), new LinkedHashMap<>(cache.asMap()), DType.F32, meta);
                }
            } catch (IOException e) {
                // named by the file in the --save folder, not by its staged copy in a hidden folder
                String reason = e instanceof java.nio.file.FileSystemException f && f.getReason() != null ? f.getReason()
                        : e.getMessage();
                throw new IOException("--save " + save + ": writing " + names.getLast() + " failed (" + reason
                        + "); no file was written", e);
            }
            staged.commit();
        }
        List<Path> files = new ArrayList<>();
        for (String n : names) {
            files.add(save.resolve(n));
        }
        return files;
    }

    private static String tokenList(ModelOptions.LoadedModel m, int[] tokens) {
        List<String> s = new ArrayList<>();
        for (int id : tokens) {
            s.add(TokenText.quoted(m.model().tokenizer().tokenString(id)));
        }
        String joined = String.join(" ", s);
        return joined.length() <= 200 ? joined : joined.substring(0, 197) + "...";
    }

    /**
     * Summary numbers of one activation.
     *
     * @param norm L2 norm of the finite entries
     * @param maxAbs largest absolute finite entry
     * @param nan how many entries are NaN
     * @param posInf how many are +inf
     * @param negInf how many are -inf (the masked attention scores)
     */
    record Stats(double norm, double maxAbs, long nan, long posInf, long negInf) {
        static Stats of(Tensor t) {
            double sum = 0, max = 0;
            long nan = 0, posInf = 0, negInf = 0;
            for (float v : t.toArray()) {
                if (Float.isFinite(v)) {
                    sum += (double) v * v;
                    max = Math.max(max, Math.abs(v));
                } else if (Float.isNaN(v)) {
                    nan++;
                } else if (v > 0) {
                    posInf++;
                } else {
                    negInf++;
                }
            }
            return new Stats(Math.sqrt(sum), max, nan, posInf, negInf);
        }

        /** @return how many entries are not finite */
        long nonFinite() {
            return nan + posInf + negInf;
        }

        /** @return the counts of the entries that are not finite, e.g. {@code "3 NaN, 15 -inf"}, or empty */
        String nonFiniteText() {
            List<String> parts = new ArrayList<>();
            if (nan > 0) {
                parts.add(nan + " NaN");
            }
            if (posInf > 0) {
                parts.add(posInf + " +inf");
            }
            if (negInf > 0) {
                parts.add(negInf + " -inf");
            }
            return String.join(", ", parts);
        }
    }
}
