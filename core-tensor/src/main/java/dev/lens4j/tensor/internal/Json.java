package dev.lens4j.tensor.internal;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A small, strict JSON reader and writer for the files lens4j meets: safetensors headers,
 * {@code config.json}, {@code vocab.json}, {@code tokenizer.json}, sharded-checkpoint indexes.
 *
 * <p>Objects become {@code LinkedHashMap<String, Object>} (key order kept), arrays
 * {@code ArrayList<Object>}, strings {@code String}, numbers {@code Long} when integral and within
 * range, otherwise {@code Double}, and {@code true}, {@code false}, {@code null} as themselves.
 * Malformed input throws {@link IllegalArgumentException} with the character offset at fault.
 *
 * <p>Strict means RFC 8259 with the choices serde_json (the parser behind the reference safetensors
 * implementation) makes: duplicate keys, leading zeros, {@code 1.}, {@code .5}, {@code +1}, numbers
 * that overflow a double, unpaired UTF-16 surrogates (escaped or raw) and nesting deeper than
 * {@value #MAX_DEPTH} levels are all errors.
 *
 * <pre>{@code
 * Map<String, Object> m = Json.parseObject("{\"a\": [1, 2.5, \"\\u00e9\"]}");
 * m.get("a");           // [1, 2.5, é]   (Long, Double, String)
 * Json.write(m);        // {"a":[1,2.5,"é"]}
 * }</pre>
 */
public final class Json {

    /** Deepest nesting of arrays and objects accepted (serde_json's default limit is 128). */
    public static final int MAX_DEPTH = 512;

    private final String s;
    private int i;
    private int depth;

    private Json(String s) {
        this.s = s;
    }

    /**
     * Parses one JSON value; trailing non-space characters are an error.
     *
     * @param text the JSON text
     * @return the value
     * @throws IllegalArgumentException on malformed JSON, naming the offset
     */
    public static Object parse(String text) {
        Json p = new Json(text);
        p.skipSpace();
        Object v = p.value();
        p.skipSpace();
        if (p.i != p.s.length()) {
            throw p.error("unexpected trailing characters");
        }
        return v;
    }

    /**
     * Parses a JSON object.
     *
     * @param text the JSON text
     * @return the object's members in file order
     * @throws IllegalArgumentException if the text is not a JSON object
     */
    @SuppressWarnings("unchecked")
    public static Map<String, Object> parseObject(String text) {
        Object v = parse(text);
        if (!(v instanceof Map)) {
            throw new IllegalArgumentException("expected a JSON object, found " + typeName(v));
        }
        return (Map<String, Object>) v;
    }

    /**
     * Names the JSON type of a parsed value.
     *
     * @param v a parsed value
     * @return a short name of its JSON type, for error messages
     */
    public static String typeName(Object v) {
        if (v == null) return "null";
        if (v instanceof Map) return "object";
        if (v instanceof List) return "array";
        if (v instanceof String) return "string";
        if (v instanceof Number) return "number";
        if (v instanceof Boolean) return "boolean";
        return v.getClass().getSimpleName();
    }

    private IllegalArgumentException error(String what) {
        return new IllegalArgumentException("malformed JSON at offset " + i + ": " + what);
    }

    private void skipSpace() {
        while (i < s.length()) {
            char c = s.charAt(i);
            if (c == ' ' || c == '\n' || c == '\r' || c == '\t') {
                i++;
            } else {
                break;
            }
        }
    }

    private Object value() {
        if (i >= s.length()) {
            throw error("unexpected end of input");
        }
        char c = s.charAt(i);
        return switch (c) {
            case '{' -> object();
            case '[' -> array();
            case '"' -> string();
            case 't' -> literal("true", Boolean.TRUE);
            case 'f' -> literal("false", Boolean.FALSE);
            case 'n' -> literal("null", null);
            default -> {
                if (c == '-' || (c >= '0' && c <= '9')) {
                    yield number();
                }
                throw error("unexpected character '" + c + "'");
            }
        };
    }

    private void enter() {
        if (++depth > MAX_DEPTH) {
            throw error("nesting deeper than " + MAX_DEPTH + " levels");
        }
    }

    private Object literal(String word, Object v) {
        if (!s.startsWith(word, i)) {
            throw error("expected " + word);
        }
        i += word.length();
        return v;
    }

    private Map<String, Object> object() {
        Map<String, Object> m = new LinkedHashMap<>();
        enter();
        i++; // {
        skipSpace();
        if (i < s.length() && s.charAt(i) == '}') {
            i++;
            depth--;
            return m;
        }
        while (true) {
            skipSpace();
            if (i >= s.length() || s.charAt(i) != '"') {
                throw error("expected a string key");
            }
            int keyStart = i;
            String k = string();
            skipSpace();
            if (i >= s.length() || s.charAt(i) != ':') {
                throw error("expected ':'");
            }
            i++;
            skipSpace();
            if (m.containsKey(k)) {
                i = keyStart;
                throw error("duplicate key \"" + k + "\"");
            }
            m.put(k, value());
            skipSpace();
            if (i >= s.length()) {
                throw error("unexpected end of input in object");
            }
            char c = s.charAt(i++);
            if (c == '}') {
                depth--;
                return m;
            }
            if (c != ',') {
                i--;
                throw error("expected ',' or '}'");
            }
        }
    }

    private List<Object> array() {
        List<Object> a = new ArrayList<>();
        enter();
        i++; // [
        skipSpace();
        if (i < s.length() && s.charAt(i) == ']') {
            i++;
            depth--;
            return a;
        }
        while (true) {
            skipSpace();
            a.add(value());
            skipSpace();
            if (i >= s.length()) {
                throw error("unexpected end of input in array");
            }
            char c = s.charAt(i++);
            if (c == ']') {
                depth--;
                return a;
            }
            if (c != ',') {
                i--;
                throw error("expected ',' or ']'");
            }
        }
    }

    private String string() {
        i++; // opening quote
        StringBuilder b = null;
        int start = i;
        while (true) {
            if (i >= s.length()) {
                throw error("unterminated string");
            }
            char c = s.charAt(i);
            if (c == '"') {
                String out = b == null ? s.substring(start, i) : b.append(s, start, i).toString();
                i++;
                return out;
            }
            if (c < 0x20) {
                throw error("control character U+" + String.format("%04X", (int) c) + " in string");
            }
            if (c == '\\') {
                if (b == null) {
                    b = new StringBuilder();
                }
                b.append(s, start, i);
                i++;
                if (i >= s.length()) {
                    throw error("unterminated escape");
                }
                char e = s.charAt(i++);
                switch (e) {
                    case '"' -> b.append('"');
                    case '\\' -> b.append('\\');
                    case '/' -> b.append('/');
                    case 'b' -> b.append('\b');
                    case 'f' -> b.append('\f');
                    case 'n' -> b.append('\n');
                    case 'r' -> b.append('\r');
                    case 't' -> b.append('\t');
                    case 'u' -> {
                        int escapeStart = i - 2;
                        char u = hex4();
                        if (Character.isHighSurrogate(u)) {
                            // A character outside the BMP is escaped as a UTF-16 pair: high surrogate, then low.
                            if (!s.startsWith("\\u", i)) {
                                i = escapeStart;
                                throw error("unpaired high surrogate \\u" + hex(u));
                            }
                            i += 2;
                            char low = hex4();
                            if (!Character.isLowSurrogate(low)) {
                                i = escapeStart;
                                throw error("high surrogate \\u" + hex(u) + " followed by \\u" + hex(low)
                                        + ", not by a low surrogate");
                            }
                            b.append(u).append(low);
                        } else if (Character.isLowSurrogate(u)) {
                            i = escapeStart;
                            throw error("unpaired low surrogate \\u" + hex(u));
                        } else {
                            b.append(u);
                        }
                    }
                    default -> {
                        i -= 2;
                        throw error("bad escape \\" + e);
                    }
                }
                start = i;
            } else if (Character.isSurrogate(c)) {
                // Only reachable when the caller decoded the text leniently; keep strings valid UTF-16.
                if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                    i += 2;
                } else {
                    throw error("unpaired surrogate U+" + hex(c) + " in string");
                }
            } else {
                i++;
            }
        }
    }

    /** Reads the four hex digits of a {@code \\u} escape at {@link #i}. */
    private char hex4() {
        if (i + 4 > s.length()) {
            throw error("short \\u escape");
        }
        int v = 0;
        for (int k = 0; k < 4; k++) {
            int d = Character.digit(s.charAt(i + k), 16);
            if (d < 0 || s.charAt(i + k) > 'f') { // Character.digit also accepts non-ASCII digits
                i += k;
                throw error("bad hex digit '" + s.charAt(i) + "' in \\u escape");
            }
            v = v * 16 + d;
        }
        i += 4;
        return (char) v;
    }

    private static String hex(char c) {
        return String.format("%04X", (int) c);
    }

    /** RFC 8259 number: {@code -? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?}. */
    private Number number() {
        int start = i;
        if (s.charAt(i) == '-') {
            i++;
        }
        if (i >= s.length() || !isDigit(s.charAt(i))) {
            throw error("expected a digit");
        }
        if (s.charAt(i) == '0') {
            i++;
            if (i < s.length() && isDigit(s.charAt(i))) {
                throw error("leading zero in number");
            }
        } else {
            digits();
        }
        boolean integral = true;
        if (i < s.length() && s.charAt(i) == '.') {
            integral = false;
            i++;
            if (i >= s.length() || !isDigit(s.charAt(i))) {
                throw error("expected a digit after the decimal point");
            }
            digits();
        }
        if (i < s.length() && (s.charAt(i) == 'e' || s.charAt(i) == 'E')) {
            integral = false;
            i++;
            if (i < s.length() && (s.charAt(i) == '+' || s.charAt(i) == '-')) {
                i++;
            }
            if (i >= s.length() || !isDigit(s.charAt(i))) {
                throw error("expected a digit in the exponent");
            }
            digits();
        }
        String t = s.substring(start, i);
        if (integral) {
            try {
                return Long.parseLong(t);
            } catch (NumberFormatException tooBig) {
                // falls through to a double, as documented
            }
        }
        double d = Double.parseDouble(t); // cannot fail: the grammar was checked above
        if (Double.isInfinite(d)) {
            i = start;
            throw error("number " + t + " is out of the range of a double");
        }
        return d;
    }

    private void digits() {
        while (i < s.length() && isDigit(s.charAt(i))) {
            i++;
        }
    }

    private static boolean isDigit(char c) {
        return c >= '0' && c <= '9';
    }

    /**
     * Writes a value (maps, lists, strings, numbers, booleans, null) as compact JSON.
     *
     * @param v the value
     * @return its JSON text
     */
    public static String write(Object v) {
        StringBuilder b = new StringBuilder();
        write(v, b);
        return b.toString();
    }

    private static void write(Object v, StringBuilder b) {
        switch (v) {
            case null -> b.append("null");
            case Map<?, ?> m -> {
                b.append('{');
                boolean first = true;
                for (Map.Entry<?, ?> e : m.entrySet()) {
                    if (!first) b.append(',');
                    first = false;
                    writeString(String.valueOf(e.getKey()), b);
                    b.append(':');
                    write(e.getValue(), b);
                }
                b.append('}');
            }
            case List<?> l -> {
                b.append('[');
                for (int k = 0; k < l.size(); k++) {
                    if (k > 0) b.append(',');
                    write(l.get(k), b);
                }
                b.append(']');
            }
            case String str -> writeString(str, b);
            case Double d when d.isNaN() || d.isInfinite() -> throw new IllegalArgumentException("JSON cannot hold " + d);
            case Float f when f.isNaN() || f.isInfinite() -> throw new IllegalArgumentException("JSON cannot hold " + f);
            case Number n -> b.append(n);
            case Boolean bo -> b.append(bo);
            case int[] ia -> {
                b.append('[');
                for (int k = 0; k < ia.length; k++) {
                    if (k > 0) b.append(',');
                    b.append(ia[k]);
                }
                b.append(']');
            }
            default -> throw new IllegalArgumentException("cannot write " + v.getClass().getName() + " as JSON");
        }
    }

    private static void writeString(String str, StringBuilder b) {
        b.append('"');
        for (int k = 0; k < str.length(); k++) {
            char c = str.charAt(k);
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                case '\b' -> b.append("\\b");
                case '\f' -> b.append("\\f");
                default -> {
                    if (c < 0x20) {
                        b.append(String.format("\\u%04x", (int) c));
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        b.append('"');
    }
}
