package dev.lens4j.app;

import dev.lens4j.tensor.internal.EditDistance;
import picocli.CommandLine;
import picocli.CommandLine.IExecutionExceptionHandler;
import picocli.CommandLine.IParameterExceptionHandler;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.UnmatchedArgumentException;

import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Turns every failure into one line on stderr, {@code lens4j: <what is wrong>}, and an exit status:
 * 2 for a command-line mistake (picocli's parameter errors, and {@link ParameterException}s thrown by a
 * command that found an option value the model cannot take), 1 for anything else. No stack trace
 * unless {@value #STACKTRACE} is given. A mistyped command or option is named with the closest
 * command or option when one is close ({@code did you mean inspect?}).
 */
final class ErrorHandler implements IParameterExceptionHandler, IExecutionExceptionHandler {

    /** The option that adds the stack trace after the one-line message. */
    static final String STACKTRACE = "--stacktrace";

    @Override
    public int handleParseException(ParameterException ex, String[] args) {
        CommandLine cmd = ex.getCommandLine();
        PrintWriter err = cmd.getErr();
        err.println("lens4j: " + parseMessage(ex, args) + " (see '" + cmd.getCommandSpec().qualifiedName()
                + " --help')");
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

    /**
     * The message for a command-line mistake, without the {@code --help} pointer: picocli's message, except
     * that an unknown first word is named as a command that does not exist (with the closest command, or
     * all of them), an unknown option comes with the closest option when one is close, and unknown
     * arguments come before another error they most likely caused ({@code cache --promt x} misses
     * {@code --prompt} because of the typo).
     *
     * @param ex the exception
     * @param args the whole command line
     * @return one line, starting in lower case
     */
    /** What picocli's help command says of a word that is no command. */
    private static final Pattern UNKNOWN_SUBCOMMAND = Pattern.compile("Unknown subcommand '(.+)'\\.");

    static String parseMessage(ParameterException ex, String[] args) {
        CommandLine cmd = ex.getCommandLine();
        String text = lowerFirst(oneLine(ex.getMessage()));
        // picocli's help command: "lens4j help frobnicate"
        Matcher help = UNKNOWN_SUBCOMMAND.matcher(ex.getMessage() == null ? "" : ex.getMessage());
        if (help.matches() && !cmd.getSubcommands().isEmpty()) {
            return notACommand(cmd, help.group(1));
        }
        if (ex instanceof UnmatchedArgumentException u) {
            List<String> unmatched = u.getUnmatched();
            if (!unmatched.isEmpty() && isCommandWord(cmd, unmatched.getFirst(), args)) {
                return notACommand(cmd, unmatched.getFirst());
            }
            return text + didYouMean(suggestions(cmd, unmatched));
        }
        // another error (a missing required option) after unknown arguments, here or before the command's name
        List<String> unknown = new ArrayList<>();
        List<String> suggestions = new ArrayList<>();
        for (CommandLine c = cmd; c != null; c = c.getParent()) {
            unknown.addAll(0, c.getUnmatchedArguments());
            suggestions.addAll(0, suggestions(c, c.getUnmatchedArguments()));
        }
        if (unknown.isEmpty()) {
            return text;
        }
        String unknownText = lowerFirst(oneLine(new UnmatchedArgumentException(cmd, unknown).getMessage()));
        return unknownText + didYouMean(suggestions) + "; " + text;
    }

    /**
     * Whether an unmatched argument stands where a command's name goes: the command has subcommands, and
     * the argument is not an option and is the first word of the line that is not one.
     */
    private static boolean isCommandWord(CommandLine cmd, String arg, String[] args) {
        if (cmd.getSubcommands().isEmpty() || arg.startsWith("-") || args == null) {
            return false;
        }
        for (String a : args) {
            if (!a.startsWith("-")) {
                return a.equals(arg);
            }
        }
        return false;
    }

    /** {@code 'frobnicate' is not a lens4j command; the commands are ...}, or the close ones. */
    private static String notACommand(CommandLine cmd, String word) {
        List<String> commands = new ArrayList<>();
        cmd.getSubcommands().forEach((name, sub) -> {
            if (!sub.getCommandSpec().usageMessage().hidden() && !commands.contains(name)) {
                commands.add(name);
            }
        });
        String start = "'" + word + "' is not a " + cmd.getCommandSpec().qualifiedName() + " command; ";
        List<String> close = closest(word, commands);
        return start + (close.isEmpty() ? "the commands are " + and(commands) : "did you mean " + or(close) + "?");
    }

    /** The options of a command closest to the unknown options among {@code unmatched}, each once. */
    private static List<String> suggestions(CommandLine cmd, List<String> unmatched) {
        List<String> names = new ArrayList<>();
        for (OptionSpec o : cmd.getCommandSpec().options()) {
            if (!o.hidden()) {
                names.addAll(List.of(o.names()));
            }
        }
        List<String> suggestions = new ArrayList<>();
        for (String arg : unmatched) {
            if (arg.startsWith("-") && arg.length() > 1) {
                int eq = arg.indexOf('=');
                for (String s : closest(eq > 0 ? arg.substring(0, eq) : arg, names)) {
                    if (!suggestions.contains(s)) {
                        suggestions.add(s);
                    }
                }
            }
        }
        return suggestions;
    }

    /** {@code " (did you mean --prompt?)"}, or nothing without suggestions. */
    private static String didYouMean(List<String> suggestions) {
        return suggestions.isEmpty() ? "" : " (did you mean " + or(suggestions) + "?)";
    }

    /**
     * The names closest to a mistyped one, compared without leading dashes and case: those at the smallest
     * edit distance (a transposition counts as one edit) if it is at most 1 for a word of up to 5
     * characters and 2 for a longer one (exact matches only for 1 or 2), or else the only name that
     * starts with a word of 3 characters or more.
     *
     * @param typed what was typed
     * @param names the names it may stand for
     * @return the closest names, in the order given; empty if none is close
     */
    static List<String> closest(String typed, List<String> names) {
        String t = stripDashes(typed);
        int limit = t.length() <= 2 ? 0 : t.length() <= 5 ? 1 : 2;
        List<String> best = new ArrayList<>();
        int bestDistance = Integer.MAX_VALUE;
        List<String> prefixed = new ArrayList<>();
        for (String name : names) {
            String n = stripDashes(name);
            if (n.length() < 2 && t.length() > 1) {
                continue; // a one-letter option is never the closest to a word
            }
            int d = EditDistance.of(t, n);
            if (d <= limit && d < bestDistance) {
                best.clear();
                bestDistance = d;
            }
            if (d <= limit && d == bestDistance) {
                best.add(name);
            }
            if (t.length() >= 3 && n.startsWith(t)) {
                prefixed.add(name);
            }
        }
        return !best.isEmpty() ? best : prefixed.size() == 1 ? prefixed : List.of();
    }

    private static String stripDashes(String s) {
        int i = 0;
        while (i < s.length() && s.charAt(i) == '-') {
            i++;
        }
        return s.substring(i).toLowerCase(Locale.ROOT);
    }

    /** {@code a}, {@code a and b}, {@code a, b and c}: the one way the app's messages list things. */
    static String and(List<String> words) {
        return joined(words, " and ");
    }

    /** {@code a}, {@code a or b}, {@code a, b or c}. */
    private static String or(List<String> words) {
        return joined(words, " or ");
    }

    private static String joined(List<String> words, String last) {
        return words.size() == 1 ? words.getFirst()
                : String.join(", ", words.subList(0, words.size() - 1)) + last + words.getLast();
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
