package dev.lens4j.app;

import dev.lens4j.hooks.ActivationCache;
import dev.lens4j.report.ConsoleTable;
import dev.lens4j.tensor.Shapes;
import dev.lens4j.tensor.Tensor;
import dev.lens4j.tensor.io.DType;
import dev.lens4j.tensor.io.Npy;
import dev.lens4j.tensor.io.SafetensorsWriter;
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

    @Option(names = "--no-bos", description = "do not put the beginning-of-sequence token first")
    boolean noBos;

    @Option(names = "--names", paramLabel = "REGEX", converter = RegexConverter.class,
            description = "record only the hook points whose names contain a match, e.g. 'pattern' or 'blocks\\.1\\.attn'")
    Pattern names;

    @Option(names = "--save", paramLabel = "DIR", description = "folder to write the activations to (created if needed)")
    Path save;

    @Option(names = "--format", paramLabel = "npy|safetensors", defaultValue = "npy",
            description = "with --save: npy (one <hook name>.npy per hook point) or safetensors (one "
                    + SAFETENSORS_FILE + " whose tensors are named by hook point) (default: ${DEFAULT-VALUE})")
    Format format;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        if (save != null) {
            OutputFolder.prepare("--save", save, "");
        }
        try (ModelOptions.LoadedModel m = modelOptions.load()) {
            int[] tokens = TokenText.promptTokens(spec, "--prompt", m.model(), m.name(), prompt, !noBos, true);
            ActivationCache cache = m.model().runWithCache(new int[][] {tokens},
                    names == null ? n -> true : n -> names.matcher(n).find()).cache();
            if (cache.size() == 0) {
                throw new UserError("--names /" + names.pattern() + "/ matches none of " + m.name() + "'s "
                        + m.model().hookPointNames().size() + " hook points (see lens4j inspect)");
            }
            out.printf(Locale.ROOT, "%s on %d tokens: %s%n%n", m.name(), tokens.length, tokenList(m, tokens));
            ConsoleTable t = new ConsoleTable(null).text("hook point").text("shape").number("norm", null, 4)
                    .number("max |x|", null, 4);
            boolean masked = false;
            for (String name : cache.names()) {
                Tensor a = cache.get(name);
                Stats s = Stats.of(a);
                masked |= s.skipped() > 0;
                t.row(name + (s.skipped() > 0 ? " *" : ""), Shapes.str(a.shape()), s.norm(), s.maxAbs());
            }
            out.print(t.render());
            out.printf(Locale.ROOT, "%d hook points; norm is the L2 (Frobenius) norm of the whole activation%n", cache.size());
            if (masked) {
                out.println("* over the finite entries: attention scores hold -inf above the diagonal (the causal mask)");
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

    private List<Path> save(ActivationCache cache, ModelOptions.LoadedModel m, int[] tokens) throws IOException {
        List<Path> files = new ArrayList<>();
        if (format == Format.npy) {
            for (String name : cache.names()) {
                Path f = save.resolve(name + ".npy");
                Npy.write(f, cache.get(name));
                files.add(f);
            }
        } else {
            Map<String, String> meta = new LinkedHashMap<>();
            meta.put("model", m.name());
            meta.put("prompt", prompt);
            meta.put("tokens", Arrays.toString(tokens));
            Path f = save.resolve(SAFETENSORS_FILE);
            SafetensorsWriter.write(f, new LinkedHashMap<>(cache.asMap()), DType.F32, meta);
            files.add(f);
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
     * @param skipped how many entries were not finite (the -inf of masked attention scores)
     */
    record Stats(double norm, double maxAbs, long skipped) {
        static Stats of(Tensor t) {
            double sum = 0, max = 0;
            long skipped = 0;
            for (float v : t.toArray()) {
                if (Float.isFinite(v)) {
                    sum += (double) v * v;
                    max = Math.max(max, Math.abs(v));
                } else {
                    skipped++;
                }
            }
            return new Stats(Math.sqrt(sum), max, skipped);
        }
    }
}
