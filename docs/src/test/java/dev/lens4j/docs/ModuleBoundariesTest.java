package dev.lens4j.docs;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.tools.Diagnostic;
import javax.tools.DiagnosticCollector;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileObject;
import javax.tools.StandardJavaFileManager;
import javax.tools.ToolProvider;
import java.io.File;
import java.io.IOException;
import java.lang.module.ModuleFinder;
import java.lang.module.ModuleReference;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * lens4j's library modules as named modules, used as a modular application uses them: a module of the
 * test's own ({@code consumer}) is compiled against them on the module path and run there, so each
 * {@code module-info.java} must say everything its module needs (a missing {@code requires} fails at
 * run time, not at compile time); and what they do not export (the Vector API kernels, the JSON
 * helpers) can be neither compiled against nor reached by reflection.
 */
class ModuleBoundariesTest {

    /** The library modules and what each one exports to everybody. */
    private static final Map<String, Set<String>> EXPORTS = Map.of(
            "dev.lens4j.tensor", Set.of("dev.lens4j.tensor", "dev.lens4j.tensor.io", "dev.lens4j.tensor.kernel",
                    "dev.lens4j.tensor.matmul"),
            "dev.lens4j.hooks", Set.of("dev.lens4j.hooks"),
            "dev.lens4j.transformer", Set.of("dev.lens4j.transformer", "dev.lens4j.transformer.generation",
                    "dev.lens4j.transformer.loading", "dev.lens4j.transformer.loading.family",
                    "dev.lens4j.transformer.processing", "dev.lens4j.transformer.tokenizer", "dev.lens4j.transformer.train"),
            "dev.lens4j.analysis", Set.of("dev.lens4j.analysis.attribution", "dev.lens4j.analysis.circuits", "dev.lens4j.analysis.gradients",
                    "dev.lens4j.analysis.heads", "dev.lens4j.analysis.interventions", "dev.lens4j.analysis.prompt", "dev.lens4j.analysis.text"),
            "dev.lens4j.report", Set.of("dev.lens4j.report", "dev.lens4j.report.chart", "dev.lens4j.report.view"),
            "dev.lens4j.testing", Set.of("dev.lens4j.testing"));

    private static List<Path> modulePath;

    /** The class path entries that are lens4j's modules or the modules they require. */
    @BeforeAll
    static void findModules() {
        modulePath = new ArrayList<>();
        for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
            Path p = Path.of(entry);
            String name = p.getFileName().toString();
            boolean lens4j = name.startsWith("lens4j-") || (name.equals("classes") && p.getParent().getFileName().toString().equals("target")
                    && !p.toString().contains("/docs/"));
            if (lens4j || name.startsWith("ejml-") || name.startsWith("junit-jupiter-api") || name.startsWith("assertj-core")
                    || name.startsWith("opentest4j") || name.startsWith("junit-platform-commons") || name.startsWith("apiguardian")
                    || name.startsWith("byte-buddy")) {
                if (Files.exists(p) && !name.endsWith(".pom")) {
                    modulePath.add(p);
                }
            }
        }
    }

    @Test
    void eachLibraryModuleIsNamedAndExportsItsApiOnly() {
        Map<String, Set<String>> found = new TreeMap<>();
        for (ModuleReference ref : ModuleFinder.of(modulePath.toArray(Path[]::new)).findAll()) {
            String name = ref.descriptor().name();
            if (name.startsWith("dev.lens4j.")) {
                Set<String> unqualified = new java.util.TreeSet<>();
                ref.descriptor().exports().stream().filter(e -> !e.isQualified()).forEach(e -> unqualified.add(e.source()));
                found.put(name, unqualified);
            }
        }
        for (Map.Entry<String, Set<String>> e : EXPORTS.entrySet()) {
            assertThat(found).as("module %s on %s", e.getKey(), modulePath).containsKey(e.getKey());
            assertThat(found.get(e.getKey())).as("unqualified exports of %s", e.getKey()).containsExactlyInAnyOrderElementsOf(e.getValue());
        }
        assertThat(found.get("dev.lens4j.tensor")).doesNotContain("dev.lens4j.tensor.kernel.panama", "dev.lens4j.tensor.internal");
    }

    @Test
    void aModularApplicationCompilesAndRunsOnTheModulePath(@TempDir Path dir) throws Exception {
        Path src = dir.resolve("src");
        write(src.resolve("module-info.java"), "module consumer { requires dev.lens4j.report; }");
        write(src.resolve("consumer/Main.java"), """
                package consumer;

                import dev.lens4j.analysis.heads.InductionEvals;
                import dev.lens4j.report.view.Imshow;
                import dev.lens4j.tensor.kernel.KernelProvider;
                import dev.lens4j.transformer.HookedTransformer;
                import dev.lens4j.transformer.loading.Models;
                import java.nio.file.Path;

                public class Main {
                    public static void main(String[] args) throws Exception {
                        try (HookedTransformer model = Models.fromPretrained("induction-2l")) {   // a resource of dev.lens4j.transformer
                            float loss = InductionEvals.inductionLoss(model, 2, 8, 1L);
                            Imshow.of(model.weights().get("blocks.0.attn.W_Q").select(0, 0)).save(Path.of(args[0]));  // java.desktop
                            System.out.println("loss " + loss + " kernels " + (KernelProvider.vectorized() ? "vector" : "scalar"));
                        }
                        try {
                            Class.forName("dev.lens4j.tensor.kernel.panama.PanamaKernels").getMethod("create").invoke(null);
                            System.out.println("panama reachable");
                        } catch (IllegalAccessException e) {
                            System.out.println("panama not accessible");
                        }
                    }
                }
                """);
        Path out = dir.resolve("out");
        List<Diagnostic<? extends JavaFileObject>> errors = compile(src, out);
        assertThat(errors).as("compiling a module that uses the API").isEmpty();

        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--add-modules", "jdk.incubator.vector", "--module-path", out + File.pathSeparator + joined(modulePath),
                "-m", "consumer/consumer.Main", dir.resolve("wq.png").toString()));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(2, TimeUnit.MINUTES)).isTrue();
        assertThat(p.exitValue()).as(output).isZero();
        assertThat(output).as(output).containsPattern("loss 0\\.\\d+ kernels vector").contains("panama not accessible");
        assertThat(Files.size(dir.resolve("wq.png"))).isPositive();
    }

    @Test
    void theInternalsCannotBeCompiledAgainst(@TempDir Path dir) throws IOException {
        Path src = dir.resolve("src");
        write(src.resolve("module-info.java"), "module consumer { requires dev.lens4j.report; }");
        write(src.resolve("consumer/Internals.java"), """
                package consumer;

                public class Internals {
                    Object kernels = dev.lens4j.tensor.kernel.panama.PanamaKernels.create();
                    Object json = dev.lens4j.tensor.internal.Json.parse("{}");
                }
                """);
        List<String> messages = compile(src, dir.resolve("out")).stream().map(d -> d.getMessage(java.util.Locale.ROOT)).toList();
        assertThat(messages).anySatisfy(m -> assertThat(m).contains("package dev.lens4j.tensor.kernel.panama is not visible"));
        assertThat(messages).anySatisfy(m -> assertThat(m).contains("package dev.lens4j.tensor.internal is not visible"));
    }

    private static List<Diagnostic<? extends JavaFileObject>> compile(Path src, Path out) throws IOException {
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        DiagnosticCollector<JavaFileObject> diagnostics = new DiagnosticCollector<>();
        List<Path> files;
        try (var walk = Files.walk(src)) {
            files = walk.filter(f -> f.toString().endsWith(".java")).toList();
        }
        try (StandardJavaFileManager fm = javac.getStandardFileManager(diagnostics, java.util.Locale.ROOT, StandardCharsets.UTF_8)) {
            List<String> options = List.of("--module-path", joined(modulePath), "-d", out.toString());
            javac.getTask(null, fm, diagnostics, options, null, fm.getJavaFileObjectsFromPaths(files)).call();
        }
        return diagnostics.getDiagnostics().stream().filter(d -> d.getKind() == Diagnostic.Kind.ERROR).toList();
    }

    private static String joined(List<Path> paths) {
        return String.join(File.pathSeparator, paths.stream().map(Path::toString).toList());
    }

    private static void write(Path file, String text) throws IOException {
        Files.createDirectories(file.getParent());
        Files.writeString(file, text);
    }
}
