package dev.lens4j.app;

import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.util.concurrent.Callable;

/**
 * The {@code lens4j} command line. Without a subcommand it describes the model lens4j ships; each
 * subcommand is its own class registered in {@link #subcommands()} below.
 *
 * <pre>
 *   lens4j                       summary of the built-in induction-2l model
 *   lens4j train --out DIR       train a 2-layer attention-only induction model (see {@link TrainCommand})
 * </pre>
 */
@Command(name = "lens4j", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "Mechanistic interpretability on the JVM.",
        subcommands = {TrainCommand.class, CommandLine.HelpCommand.class})
public final class Main implements Callable<Integer> {

    /** Runs the command line and exits with its status. */
    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    /** @return the configured command line, for tests and for tools that embed it */
    public static CommandLine commandLine() {
        return new CommandLine(new Main());
    }

    @Override
    public Integer call() throws Exception {
        return ModelSummary.print(ModelSummary.DEFAULT_MODEL, System.out);
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
