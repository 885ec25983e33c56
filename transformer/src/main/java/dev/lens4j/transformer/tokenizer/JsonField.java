package dev.lens4j.transformer.tokenizer;

import dev.lens4j.tensor.internal.Json;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A value of a parsed tokenizer file with its place in the file ({@code pre_tokenizer.pretokenizers[1].behavior}),
 * so that every complaint names the file and the field: {@code tokenizer.json: pre_tokenizer.type is
 * "Punctuation", which lens4j does not support (...)}.
 *
 * @param file the file, as named in messages
 * @param path where the value is in the file; empty for the top level
 * @param value the parsed JSON value (see {@link Json})
 */
record JsonField(String file, String path, Object value) {

    /** Parses a whole file: UTF-8, then JSON. */
    static JsonField parse(String file, byte[] bytes) throws TokenizerFileException {
        String text = utf8(file, bytes);
        try {
            return new JsonField(file, "", Json.parse(text));
        } catch (IllegalArgumentException e) {
            throw new TokenizerFileException(file, e.getMessage(), e);
        }
    }

    /** Decodes strict UTF-8, naming the file when it is not. */
    static String utf8(String file, byte[] bytes) throws TokenizerFileException {
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes))
                    .toString();
        } catch (CharacterCodingException e) {
            throw new TokenizerFileException(file, "is not valid UTF-8", e);
        }
    }

    /** The field's name for messages. */
    String where() {
        return path.isEmpty() ? "the top level" : path;
    }

    boolean isNull() {
        return value == null;
    }

    /** A complaint about this field. */
    TokenizerFileException error(String problem) {
        return new TokenizerFileException(file, where() + " " + problem);
    }

    /** A member of this object (null value when absent); this field must be an object. */
    JsonField get(String key) throws TokenizerFileException {
        return new JsonField(file, path.isEmpty() ? key : path + "." + key, object().get(key));
    }

    boolean has(String key) throws TokenizerFileException {
        return object().containsKey(key);
    }

    @SuppressWarnings("unchecked")
    Map<String, Object> object() throws TokenizerFileException {
        if (!(value instanceof Map)) {
            throw error("must be a JSON object, found " + describe(value));
        }
        return (Map<String, Object>) value;
    }

    /** The elements of this array. */
    List<JsonField> list() throws TokenizerFileException {
        if (!(value instanceof List<?> l)) {
            throw error("must be an array, found " + describe(value));
        }
        List<JsonField> out = new ArrayList<>(l.size());
        for (int i = 0; i < l.size(); i++) {
            out.add(new JsonField(file, path + "[" + i + "]", l.get(i)));
        }
        return out;
    }

    String string() throws TokenizerFileException {
        if (!(value instanceof String s)) {
            throw error("must be a string, found " + describe(value));
        }
        return s;
    }

    /** A string, or null for JSON null or an absent member. */
    String stringOrNull() throws TokenizerFileException {
        return value == null ? null : string();
    }

    /** A string that is exactly one Unicode character (Rust's {@code char}). */
    int character() throws TokenizerFileException {
        String s = string();
        if (s.isEmpty() || s.codePointCount(0, s.length()) != 1) {
            throw error("must be exactly one character, found " + quoted(s));
        }
        return s.codePointAt(0);
    }

    boolean bool() throws TokenizerFileException {
        if (!(value instanceof Boolean b)) {
            throw error("must be true or false, found " + describe(value));
        }
        return b;
    }

    /** A boolean, or the default when the member is absent or null. */
    boolean bool(boolean absent) throws TokenizerFileException {
        return value == null ? absent : bool();
    }

    /** An integer in [0, max). */
    int integer(int max) throws TokenizerFileException {
        if (!(value instanceof Long l) || l < 0 || l >= max) {
            throw error("must be an integer in [0, " + max + "), found " + describe(value));
        }
        return (int) (long) l;
    }

    /** The required member {@code type}. */
    String type() throws TokenizerFileException {
        JsonField t = get("type");
        if (t.isNull()) {
            throw error("has no \"type\"");
        }
        return t.string();
    }

    /**
     * Refuses members this object should not have: a field lens4j does not know could change what
     * the component does, so it is named rather than ignored.
     *
     * @param what the component, for the message ({@code "a Metaspace pre-tokenizer"})
     * @param known the members it may have
     */
    void onlyFields(String what, Set<String> known) throws TokenizerFileException {
        for (String k : object().keySet()) {
            if (!known.contains(k)) {
                throw error("has the field \"" + k + "\", which lens4j does not know for " + what
                        + " (known: " + String.join(", ", known.stream().sorted().toList()) + ")");
            }
        }
    }

    /** Reads one component from its field; null for JSON null. */
    @FunctionalInterface
    interface Reader<T> {
        T read(JsonField f) throws TokenizerFileException;
    }

    /**
     * The components of a Sequence: its array member {@code key}, each element read and none null.
     *
     * @param key the member holding the array ({@code "normalizers"}, {@code "pretokenizers"}, ...)
     * @param reader reads one element
     * @return the components in order
     */
    <T> List<T> sequence(String key, Reader<T> reader) throws TokenizerFileException {
        List<T> out = new ArrayList<>();
        for (JsonField e : required(key).list()) {
            T t = e.isNull() ? null : reader.read(e);
            if (t == null) {
                throw e.error("is null; a Sequence holds " + key);
            }
            out.add(t);
        }
        return List.copyOf(out);
    }

    /** Refuses a missing or null member. */
    JsonField required(String key) throws TokenizerFileException {
        JsonField f = get(key);
        if (f.isNull()) {
            throw f.error("is missing");
        }
        return f;
    }

    /** A short description of a value for messages: its type, and the value when it is short. */
    static String describe(Object v) {
        if (v instanceof String s) {
            return "the string " + quoted(s.length() > 60 ? s.substring(0, 60) + "..." : s);
        }
        if (v instanceof Map<?, ?> m && m.get("type") instanceof String t) {
            return "an object of type " + quoted(t);
        }
        if (v instanceof Number || v instanceof Boolean) {
            return Json.typeName(v) + " " + v;
        }
        return Json.typeName(v);
    }

    /** Quotes a string for a message (see {@link Tokenizer#quoted(String)}). */
    static String quoted(String s) {
        return Tokenizer.quoted(s);
    }
}
