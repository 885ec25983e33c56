package dev.lens4j.app;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Unmatched;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code lens4j shell}: jshell with lens4j on the class path, the Vector API module in both the
 * compiler and the JVM that runs the snippets, and a start-up snippet that imports lens4j's packages
 * (resource {@value #STARTUP}). The {@code lens4j} script asks for the command line
 * ({@code --print-command}) and replaces itself with jshell, so that Ctrl-C reaches jshell alone; run
 * from the jar ({@code java -jar lens4j.jar shell}), this command starts jshell as a child process on
 * the same terminal and returns its exit status.
 */
@Command(name = "shell", mixinStandardHelpOptions = true,
        description = {"Start jshell with lens4j: every lens4j module and dependency on the class path, "
                + "--add-modules jdk.incubator.vector, and lens4j's packages imported. The notebook of the JVM: "
                + "load a model, run with cache, test a prompt, save views as HTML or PNG (docs/NOTEBOOK.md).",
                "Arguments that are not lens4j's options go to jshell, e.g. a script to load (session.jsh) or -q."})
final class ShellCommand implements Callable<Integer> {

    /** The start-up snippet, a class-path resource next to this class. */
    static final String STARTUP = "lens4j-startup.jsh";

    @Spec
    CommandSpec spec;

    @Option(names = "--print-command",
            description = "print the jshell command line, each argument followed by a NUL character, instead of starting it")
    boolean printCommand;

    @Unmatched
    List<String> jshellArgs = new ArrayList<>();

    @Override
    public Integer call() throws Exception {
        List<String> cmd = command(Path.of(System.getProperty("java.home")), System.getProperty("java.class.path"), jshellArgs);
        if (printCommand) {
            PrintWriter out = spec.commandLine().getOut();
            for (String a : cmd) {
                out.print(a);
                out.print('\0');
            }
            out.flush();
            return 0;
        }
        return new ProcessBuilder(cmd).inheritIO().start().waitFor();
    }

    /**
     * The jshell command line.
     *
     * @param javaHome the JDK whose jshell runs (this JVM's)
     * @param classPath lens4j and its dependencies (this JVM's class path: the shaded jar, or a test's class path)
     * @param extra more jshell arguments, after lens4j's
     * @return the command and its arguments
     * @throws UserError if the JDK has no jshell (a JRE)
     */
    static List<String> command(Path javaHome, String classPath, List<String> extra) {
        Path jshell = javaHome.resolve("bin").resolve(isWindows() ? "jshell.exe" : "jshell");
        if (!Files.isExecutable(jshell)) {
            throw new UserError("no jshell at " + jshell + ": lens4j shell needs a JDK 25 (not a JRE); point LENS4J_JAVA_HOME at one");
        }
        List<String> cmd = new ArrayList<>(List.of(jshell.toString(),
                "--class-path", classPath,
                // the compiler and the JVM that runs snippets (-R) both need the incubator module
                "--add-modules", "jdk.incubator.vector",
                "-R--add-modules=jdk.incubator.vector",
                "-R--enable-native-access=ALL-UNNAMED",
                "-R-Djava.awt.headless=true",          // views draw PNGs without a display
                "--startup", "DEFAULT",
                "--startup", startupFile().toString()));
        cmd.addAll(extra);
        return cmd;
    }

    private static boolean isWindows() {
        return System.getProperty("os.name", "").startsWith("Windows");
    }

    /**
     * The start-up snippet as a file jshell can read, in the temporary folder under a name that holds a
     * hash of its content: written once, left for later sessions (the {@code lens4j} script's jshell
     * reads it after this JVM has exited).
     */
    static Path startupFile() {
        byte[] content;
        try (InputStream in = ShellCommand.class.getResourceAsStream(STARTUP)) {
            if (in == null) {
                throw new IllegalStateException("resource " + STARTUP + " is missing from the lens4j jar");
            }
            content = in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read resource " + STARTUP, e);
        }
        String hash;
        try {
            hash = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(content)).substring(0, 16);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JDK", e);
        }
        // per user: another account's copy in a shared temporary folder may not be readable
        String user = System.getProperty("user.name", "user").replaceAll("[^A-Za-z0-9._-]", "_");
        Path file = Path.of(System.getProperty("java.io.tmpdir"), "lens4j-startup-" + user + "-" + hash + ".jsh");
        try {
            if (!Files.isRegularFile(file) || !new String(Files.readAllBytes(file), StandardCharsets.UTF_8)
                    .equals(new String(content, StandardCharsets.UTF_8))) {
                Path tmp = Files.createTempFile(file.getParent(), "lens4j-startup-", ".tmp");
                Files.write(tmp, content);
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            throw new UserError("cannot write jshell's start-up file " + file + ": " + e.getMessage());
        }
        return file;
    }
}
