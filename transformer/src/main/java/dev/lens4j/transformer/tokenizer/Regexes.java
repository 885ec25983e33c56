package dev.lens4j.transformer.tokenizer;

import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * The regular expressions of {@code tokenizer.json} ({@code Split} and {@code Replace} patterns),
 * which Hugging Face's tokenizers runs with Oniguruma in its Ruby syntax, translated to
 * {@code java.util.regex}.
 *
 * <p>Where the two engines read the same text differently, the translation writes what Oniguruma
 * means: {@code \s} is Unicode White_Space, {@code \d} Unicode decimal digits, {@code \h} a
 * hexadecimal digit; {@code ^} and
 * {@code $} match at every line (only {@code \n} ends a line, also for {@code .}); {@code (?m)} makes
 * {@code .} match newlines; {@code \v} is the vertical tab; {@code {,n}} is {@code {0,n}}; and
 * {@code X{n,m}+} is a greedy repetition of {@code X{n,m}}, not a possessive one. Possessive
 * quantifiers ({@code ++ *+ ?+}), atomic groups, look-around, {@code (?i:...)} and general-category and
 * script properties mean the same in both. Constructs whose meaning differs and that no known
 * tokenizer uses (back-references, {@code \R \X \K}, {@code \w} and {@code \b} (Oniguruma's word
 * characters are not a union of general categories), absent and conditional groups, POSIX brackets,
 * extended mode, other property names) are refused by name.
 *
 * <p>A known difference that cannot be translated: Oniguruma's case-insensitive matching folds
 * some characters to several ({@code (?i)ss} matches "ß"), Java's only one to one. The contraction
 * groups of GPT-NeoX, Llama 3 and Qwen2 ({@code (?i:'s|'t|'re|'ve|'m|'ll|'d)}) are not affected.
 */
final class Regexes {

    private static final Set<String> CATEGORIES = Set.of("L", "Lu", "Ll", "Lt", "Lm", "Lo", "M", "Mn", "Mc", "Me",
            "N", "Nd", "Nl", "No", "P", "Pc", "Pd", "Ps", "Pe", "Pi", "Pf", "Po", "S", "Sm", "Sc", "Sk", "So",
            "Z", "Zs", "Zl", "Zp", "C", "Cc", "Cf", "Co", "Cn");

    private static final int FLAGS = Pattern.MULTILINE | Pattern.UNIX_LINES | Pattern.UNICODE_CASE
            | Pattern.UNICODE_CHARACTER_CLASS;

    private Regexes() {
    }

    /**
     * Translates and compiles an Oniguruma pattern.
     *
     * @param onig the pattern as tokenizer.json has it
     * @return the Java pattern
     * @throws IllegalArgumentException naming the construct that is not supported, or Java's complaint
     */
    static Pattern compile(String onig) {
        String java = new Translator(onig).translate();
        try {
            return Pattern.compile(java, FLAGS);
        } catch (PatternSyntaxException e) {
            throw new IllegalArgumentException("is not a regular expression lens4j can run: " + e.getDescription()
                    + " (as Java reads it: " + java + ")", e);
        }
    }

    /** A literal string pattern (tokenizer.json's {@code {"String": ...}}). */
    static Pattern literal(String s) {
        return Pattern.compile(s, Pattern.LITERAL);
    }

    /**
     * {@link Matcher#find()}, with a deep recursion in the regex engine (an alternation repeated over a
     * very long piece) reported as an exception naming the pattern instead of a {@link StackOverflowError}.
     */
    static boolean find(Matcher m, Pattern p) {
        try {
            return m.find();
        } catch (StackOverflowError e) {
            throw new IllegalArgumentException("the tokenizer's regular expression " + JsonField.quoted(p.pattern())
                    + " recursed too deeply on a piece of " + m.regionEnd() + " chars; split the text into shorter parts");
        }
    }

    /** Unicode White_Space: Oniguruma's and Rust's {@code \s}, Rust's {@code char::is_whitespace}. */
    static boolean isWhiteSpace(int cp) {
        return switch (cp) {
            case 0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x20, 0x85, 0xA0, 0x1680, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000 -> true;
            default -> cp >= 0x2000 && cp <= 0x200A;
        };
    }

    /** Rust regex's Unicode {@code \w}: Alphabetic, marks, decimal digits, connector punctuation, join controls. */
    static boolean isWordChar(int cp) {
        int t = Character.getType(cp);
        return Character.isAlphabetic(cp) || t == Character.NON_SPACING_MARK || t == Character.COMBINING_SPACING_MARK
                || t == Character.ENCLOSING_MARK || t == Character.DECIMAL_DIGIT_NUMBER
                || t == Character.CONNECTOR_PUNCTUATION || cp == 0x200C || cp == 0x200D;
    }

    /** One pass over the Oniguruma pattern, writing the Java one. */
    private static final class Translator {
        private final String s;
        private final StringBuilder out = new StringBuilder();
        private int i;
        /** Where in {@link #out} the last quantifiable atom begins, -1 if none. */
        private int atom = -1;
        /** Where in {@link #out} each open group begins. */
        private final java.util.ArrayDeque<Integer> groups = new java.util.ArrayDeque<>();

        Translator(String s) {
            this.s = s;
        }

        String translate() {
            while (i < s.length()) {
                char c = s.charAt(i);
                int before = out.length();
                switch (c) {
                    case '\\' -> {
                        escape(false);
                        atom = before;
                    }
                    case '[' -> {
                        charClass();
                        atom = before;
                    }
                    case '(' -> {
                        group();
                        atom = -1;
                    }
                    case ')' -> {
                        out.append(')');
                        i++;
                        atom = groups.isEmpty() ? -1 : groups.pop();
                    }
                    case '{' -> brace();
                    case '}' -> {
                        out.append("\\}");
                        i++;
                        atom = before;
                    }
                    case '*', '+', '?' -> {
                        out.append(c);
                        i++;
                        if (i < s.length() && (s.charAt(i) == '?' || s.charAt(i) == '+')) {
                            out.append(s.charAt(i++));
                        }
                        atom = -1;
                    }
                    case '|', '^', '$' -> {
                        out.append(c);
                        i++;
                        atom = -1;
                    }
                    default -> {
                        out.appendCodePoint(s.codePointAt(i));
                        i += Character.charCount(s.codePointAt(i));
                        atom = before;
                    }
                }
            }
            return out.toString();
        }

        private IllegalArgumentException unsupported(String what) {
            return new IllegalArgumentException("is a regular expression using " + what + " (at offset " + i + " of "
                    + JsonField.quoted(s) + "), which lens4j does not translate from Oniguruma to Java");
        }

        /** A quantifier {n}, {n,}, {n,m}, {,m}, or a literal '{'. */
        private void brace() {
            int close = s.indexOf('}', i);
            String body = close < 0 ? null : s.substring(i + 1, close);
            if (body == null || !body.matches("\\d+(,\\d*)?|,\\d+")) {
                out.append("\\{");
                i++;
                atom = out.length() - 2;
                return;
            }
            if (atom < 0) {
                throw unsupported("a repetition {" + body + "} with nothing to repeat");
            }
            String q = "{" + (body.startsWith(",") ? "0" + body : body) + "}";
            i = close + 1;
            if (i < s.length() && s.charAt(i) == '+') {
                // Ruby syntax: X{n,m}+ repeats X{n,m}; Java would read it as possessive.
                out.insert(atom, "(?:").append(q).append(')');
                atom = -1;
                return;
            }
            out.append(q);
            if (i < s.length() && s.charAt(i) == '?') {
                out.append('?');
                i++;
            }
            atom = -1;
        }

        private void group() {
            if (!s.startsWith("(?#", i)) {
                groups.push(out.length());
            }
            if (!s.startsWith("(?", i)) {
                out.append('(');
                i++;
                return;
            }
            for (String keep : new String[] {"(?:", "(?=", "(?!", "(?<=", "(?<!", "(?>"}) {
                if (s.startsWith(keep, i)) {
                    out.append(keep);
                    i += keep.length();
                    return;
                }
            }
            if (s.startsWith("(?#", i)) {
                int close = s.indexOf(')', i);
                if (close < 0) {
                    throw unsupported("an unclosed comment");
                }
                out.append("(?:)");
                i = close + 1;
                atom = -1;
                return;
            }
            if (s.startsWith("(?<", i) || s.startsWith("(?'", i) || s.startsWith("(?P<", i)) {
                char end = s.charAt(i + 2) == '\'' ? '\'' : '>';
                int close = s.indexOf(end, i + 3);
                if (close < 0) {
                    throw unsupported("an unclosed group name");
                }
                out.append("(?:"); // names only serve back-references, which are refused
                i = close + 1;
                return;
            }
            // Options: (?imx-imx) or (?imx-imx:...)
            int j = i + 2;
            StringBuilder flags = new StringBuilder("(?");
            while (j < s.length() && s.charAt(j) != ')' && s.charAt(j) != ':') {
                char f = s.charAt(j);
                switch (f) {
                    case 'i', '-' -> flags.append(f);
                    case 'm' -> flags.append('s'); // Ruby's (?m) is dot-all
                    default -> throw unsupported("the group option '" + f + "'");
                }
                j++;
            }
            if (j >= s.length()) {
                throw unsupported("an unclosed group");
            }
            out.append(flags).append(s.charAt(j));
            if (s.charAt(j) == ')') {
                groups.pop(); // (?i) sets options; it opens no group
            }
            i = j + 1;
        }

        /** A backslash escape, outside or inside a character class. */
        private void escape(boolean inClass) {
            if (i + 1 >= s.length()) {
                throw unsupported("a trailing backslash");
            }
            char e = s.charAt(i + 1);
            i += 2;
            switch (e) {
                case 's' -> out.append("\\p{IsWhite_Space}");
                case 'S' -> out.append("\\P{IsWhite_Space}");
                case 'd' -> out.append("\\p{Nd}");
                case 'D' -> out.append("\\P{Nd}");
                case 'w', 'W', 'b', 'B' -> {
                    if (e == 'b' && inClass) {
                        out.append("\\x08");
                    } else {
                        // Oniguruma's word characters are not a set of general categories Java can name
                        // (they include U+00B2 but not U+09F4), and word boundaries depend on them.
                        throw unsupported("\\" + e + " (Oniguruma's word characters)");
                    }
                }
                case 'h' -> out.append(inClass ? "0-9a-fA-F" : "[0-9a-fA-F]");
                case 'H' -> out.append("[^0-9a-fA-F]");
                case 'v' -> out.append("\\x0B");
                case 'p', 'P' -> property(e == 'P');
                case 'x' -> hex();
                case 'u' -> {
                    String h = i + 4 <= s.length() ? s.substring(i, i + 4) : "";
                    if (!h.matches("[0-9a-fA-F]{4}")) {
                        throw unsupported("\\u without four hex digits");
                    }
                    out.append("\\u").append(h);
                    i += 4;
                }
                case 't', 'n', 'r', 'f', 'e', 'a' -> out.append('\\').append(e);
                case 'A', 'z', 'Z', 'G' -> {
                    if (inClass) {
                        throw unsupported("\\" + e + " inside a character class");
                    }
                    out.append('\\').append(e);
                }
                case 'c' -> {
                    if (i >= s.length()) {
                        throw unsupported("\\c without a letter");
                    }
                    out.append("\\c").append(s.charAt(i++));
                }
                default -> {
                    if (Character.isLetterOrDigit(e)) {
                        throw unsupported("the escape \\" + e);
                    }
                    out.append('\\').append(e);
                }
            }
        }

        /** \x41 or \x{41}. */
        private void hex() {
            if (i < s.length() && s.charAt(i) == '{') {
                int close = s.indexOf('}', i);
                String h = close < 0 ? "" : s.substring(i + 1, close);
                if (!h.matches("[0-9a-fA-F]{1,6}") || Integer.parseInt(h, 16) > Character.MAX_CODE_POINT) {
                    throw unsupported("a malformed \\x{...}");
                }
                out.append("\\x{").append(h).append('}');
                i = close + 1;
                return;
            }
            int n = 0;
            while (n < 2 && i + n < s.length() && Character.digit(s.charAt(i + n), 16) >= 0) {
                n++;
            }
            if (n == 0) {
                throw unsupported("\\x without hex digits");
            }
            out.append("\\x").append(n == 1 ? "0" : "").append(s, i, i + n);
            i += n;
        }

        /** \p{Lu}, \p{^Lu}, \pL, \P{Han}: general categories and scripts only. */
        private void property(boolean negated) {
            String name;
            if (i < s.length() && s.charAt(i) == '{') {
                int close = s.indexOf('}', i);
                if (close < 0) {
                    throw unsupported("an unclosed \\p{");
                }
                name = s.substring(i + 1, close);
                i = close + 1;
            } else if (i < s.length()) {
                name = String.valueOf(s.charAt(i++));
            } else {
                throw unsupported("\\p without a name");
            }
            if (name.startsWith("^")) {
                negated = !negated;
                name = name.substring(1);
            }
            String p = negated ? "\\P" : "\\p";
            if (CATEGORIES.contains(name)) {
                out.append(p).append('{').append(name).append('}');
                return;
            }
            try {
                Character.UnicodeScript script = Character.UnicodeScript.forName(name);
                out.append(p).append("{Is").append(script.name()).append('}');
            } catch (IllegalArgumentException e) {
                throw unsupported("the property \\p{" + name + "} (general categories and scripts are supported)");
            }
        }

        /** [...], possibly nested, with &&. */
        private void charClass() {
            out.append('[');
            i++;
            if (i < s.length() && s.charAt(i) == '^') {
                out.append('^');
                i++;
            }
            if (i < s.length() && s.charAt(i) == ']') {
                out.append("\\]"); // a ']' first is literal in Ruby syntax
                i++;
            }
            while (i < s.length()) {
                char c = s.charAt(i);
                if (c == ']') {
                    out.append(']');
                    i++;
                    return;
                }
                if (c == '[') {
                    if (s.startsWith("[:", i)) {
                        throw unsupported("a POSIX bracket [:...:]");
                    }
                    charClass();
                } else if (c == '\\') {
                    escape(true);
                } else {
                    out.appendCodePoint(s.codePointAt(i));
                    i += Character.charCount(s.codePointAt(i));
                }
            }
            throw unsupported("an unclosed character class");
        }
    }
}
