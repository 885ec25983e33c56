package dev.lens4j.app;

import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;

/**
 * One in-process run of the lens4j command line, with what it printed.
 *
 * @param status the exit status
 * @param out standard output
 * @param err standard error
 */
record CommandRun(int status, String out, String err) {

    /** Runs {@code lens4j args...} through {@link Main#commandLine()} with captured output. */
    static CommandRun of(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cmd = Main.commandLine();
        cmd.setOut(new PrintWriter(out, true));
        cmd.setErr(new PrintWriter(err, true));
        int status = cmd.execute(args);
        return new CommandRun(status, out.toString(), err.toString());
    }

    /** @return the lines of standard output */
    List<String> outLines() {
        return out.lines().toList();
    }

    /** @return the lines of standard error */
    List<String> errLines() {
        return err.lines().toList();
    }

    @Override
    public String toString() {
        return "exit " + status + "\n--- stdout\n" + out + "--- stderr\n" + err;
    }
}
