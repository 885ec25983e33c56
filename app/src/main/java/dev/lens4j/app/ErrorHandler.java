package dev.lens4j.app;

import picocli.CommandLine;
import picocli.CommandLine.IExecutionExceptionHandler;
import picocli.CommandLine.IParameterExceptionHandler;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;

import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;

/**
 * Turns every failure into one line on stderr, {@code lens4j: <what is wrong>}, and an exit status:
 * 2 for a command-line mistake (picocli's parameter errors, and {@link ParameterException}s thrown by a
 * command that found an option value the model cannot take), 1 for anything else. No stack trace
 * unless {@value #STACKTRACE} is given.
 */
final class ErrorHandler implements IParameterExceptionHandler, IExecutionExceptionHandler {

    /** The option that adds the stack trace after the one-line message. */
    static final String STACKTRACE = "--stacktrace";

    @Override
    public int handleParseException(ParameterException ex, String[] args) {
        CommandLine cmd = ex.getCommandLine();
        PrintWriter err = cmd.getErr();
        err.println("lens4j: " + lowerFirst(oneLine(ex.getMessage())) + " (see '" + cmd.getCommandSpec().qualifiedName() + " --help')");
        if (contains(args, STACKTRACE)) {
            ex.printStackTrace(err);
        }
        err.flush();
        return cmd.getCommandSpec().exitCodeOnInvalidInput();
    }

    @Override
    public int handleExecutionException(Exception ex, CommandLine cmd, ParseResult parseResult) {
        PrintWriter err = cmd.getErr();
        err.println("lens4j: " + message(ex));
        if (stacktraceRequested(parseResult)) {
            ex.printStackTrace(err);
        }
        err.flush();
        return cmd.getCommandSpec().exitCodeOnExecutionException();
    }

    /**
     * The one-line message for a failure: the library's own message for the exceptions it documents
     * (they name the file, tensor or value at fault), a short description for file-system errors, and
     * the exception type for anything unexpected.
     */
    static String message(Throwable ex) {
        Throwable e = ex instanceof UncheckedIOException u && u.getCause() != null ? u.getCause() : ex;
        String msg = e.getMessage();
        String text = switch (e) {
            case UserError u -> msg;
            case NoSuchFileException f -> f.getReason() == null ? f.getFile() + ": no such file or directory"
                    : f.getFile() + ": " + f.getReason();
            case AccessDeniedException f -> f.getFile() + ": permission denied";
            case NotDirectoryException f -> f.getFile() + ": not a directory";
            case FileAlreadyExistsException f -> f.getFile() + ": already exists";
            case java.io.IOException io when msg != null -> msg;
            case IllegalArgumentException iae when msg != null -> msg;
            case IllegalStateException ise when msg != null -> msg;
            case OutOfMemoryError oom when msg != null && msg.contains("native thread") ->
                    "the system refused to start another thread (" + msg + "); use fewer --threads";
            case OutOfMemoryError oom -> "out of memory; give the JVM more heap (e.g. LENS4J_JAVA_OPTS=-Xmx8g)";
            default -> "internal error: " + e.getClass().getName() + (msg == null ? "" : ": " + msg)
                    + " (run again with " + STACKTRACE + " to see where)";
        };
        return oneLine(text);
    }

    /** Collapses line breaks, so that a message is exactly one line. */
    static String oneLine(String s) {
        if (s == null || s.isBlank()) {
            return "unknown error";
        }
        return s.strip().replaceAll("\\s*\\R\\s*", " ");
    }

    /** picocli's messages start with a capital ("Unknown option: ..."); after "lens4j: " lower case reads better. */
    private static String lowerFirst(String t) {
        if (t.length() > 1 && Character.isUpperCase(t.charAt(0)) && Character.isLowerCase(t.charAt(1))) {
            return Character.toLowerCase(t.charAt(0)) + t.substring(1);
        }
        return t;
    }

    private static boolean stacktraceRequested(ParseResult parseResult) {
        for (ParseResult p = parseResult; p != null; p = p.subcommand()) {
            if (p.hasMatchedOption(STACKTRACE)) {
                return true;
            }
        }
        return false;
    }

    private static boolean contains(String[] args, String option) {
        if (args != null) {
            for (String a : args) {
                if (option.equals(a)) {
                    return true;
                }
            }
        }
        return false;
    }
}
