package dev.lens4j.transformer.tokenizer;

import dev.lens4j.tensor.io.Json;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;

/**
 * Reads the files of a byte-level BPE tokenizer: OpenAI's / Hugging Face's {@code vocab.json} and
 * {@code merges.txt}, or Hugging Face's {@code tokenizer.json}. Every fault is reported as a
 * {@link TokenizerFileException} naming the file.
 */
final class Gpt2TokenizerLoader {

    /** Token ids must be below this, so that a corrupt id cannot make us allocate gigabytes. */
    private static final int MAX_ID = 1 << 24;

    private Gpt2TokenizerLoader() {
    }

    // ---------------------------------------------------------------------------------------------
    // Entry points.
    // ---------------------------------------------------------------------------------------------

    static Gpt2Tokenizer fromVocabAndMerges(Path vocabJson, Path mergesTxt) throws IOException {
        String vocabName = vocabJson.toString();
        String mergesName = mergesTxt.toString();
        return fromVocabAndMerges(vocabName, readUtf8(vocabJson), mergesName, readUtf8(mergesTxt),
                vocabName + " + " + mergesName);
    }

    static Gpt2Tokenizer fromResources(String vocabResource, String mergesResource) throws IOException {
        String vocabName = "class-path resource " + resourcePath(vocabResource);
        String mergesName = "class-path resource " + resourcePath(mergesResource);
        return fromVocabAndMerges(vocabName, readResource(vocabResource, vocabName),
                mergesName, readResource(mergesResource, mergesName), "lens4j's bundled GPT-2 files");
    }

    static Gpt2Tokenizer fromTokenizerJson(Path tokenizerJson) throws IOException {
        String name = tokenizerJson.toString();
        return fromTokenizerJson(name, readUtf8(tokenizerJson));
    }

    static Gpt2Tokenizer fromDirectory(Path dir) throws IOException {
        Path tokenizerJson = dir.resolve("tokenizer.json");
        if (Files.isRegularFile(tokenizerJson)) {
            return fromTokenizerJson(tokenizerJson);
        }
        Path vocab = dir.resolve("vocab.json");
        Path merges = dir.resolve("merges.txt");
        if (Files.isRegularFile(vocab) && Files.isRegularFile(merges)) {
            return fromVocabAndMerges(vocab, merges);
        }
        if (!Files.isDirectory(dir)) {
            throw new NoSuchFileException(dir.toString(), null, "not a directory");
        }
        throw new NoSuchFileException(dir.toString(), null,
                "has neither tokenizer.json nor both vocab.json and merges.txt");
    }

    // ---------------------------------------------------------------------------------------------
    // vocab.json + merges.txt
    // ---------------------------------------------------------------------------------------------

    static Gpt2Tokenizer fromVocabAndMerges(String vocabName, String vocabText, String mergesName, String mergesText,
                                            String source) throws TokenizerFileException {
        Vocab vocab = readVocab(vocabName, parseJsonObject(vocabName, vocabText), "");
        Merges merges = readMergesTxt(mergesName, mergesText);
        Map<String, Integer> added = new LinkedHashMap<>();
        int eot = vocab.id(Gpt2Tokenizer.END_OF_TEXT);
        if (eot >= 0) {
            added.put(Gpt2Tokenizer.END_OF_TEXT, eot);
        }
        return build(vocab, merges, mergesName, added, source);
    }

    /** The lines of merges.txt: an optional {@code #version} line, then "left right" per line. */
    private static Merges readMergesTxt(String name, String text) throws TokenizerFileException {
        Merges out = new Merges(true, text.length() / 8 + 1);
        int lineNo = 0;
        for (int start = 0; start < text.length(); ) {
            int nl = text.indexOf('\n', start);
            int end = nl < 0 ? text.length() : nl;
            lineNo++;
            int stop = end > start && text.charAt(end - 1) == '\r' ? end - 1 : end;
            if (stop > start && !(lineNo == 1 && text.startsWith("#version", start))) {
                int sp = text.indexOf(' ', start);
                boolean twoTokens = sp > start && sp < stop - 1;
                if (twoTokens) {
                    int sp2 = text.indexOf(' ', sp + 1);
                    twoTokens = sp2 < 0 || sp2 >= stop;
                }
                if (!twoTokens) {
                    throw new TokenizerFileException(name, "line " + lineNo
                            + ": a merge must be two tokens separated by one space, found \""
                            + text.substring(start, stop) + "\"");
                }
                out.add(text.substring(start, sp), text.substring(sp + 1, stop), lineNo);
            }
            start = end + 1;
        }
        return out;
    }

    /** Merges in rank order, with where each came from in its file for error messages. */
    private static final class Merges {
        final boolean fromLines;
        String[] left;
        String[] right;
        int[] where;
        int size;

        Merges(boolean fromLines, int capacity) {
            this.fromLines = fromLines;
            left = new String[capacity];
            right = new String[capacity];
            where = new int[capacity];
        }

        void add(String a, String b, int at) {
            if (size == left.length) {
                int n = size * 2 + 1;
                left = Arrays.copyOf(left, n);
                right = Arrays.copyOf(right, n);
                where = Arrays.copyOf(where, n);
            }
            left[size] = a;
            right[size] = b;
            where[size++] = at;
        }

        String where(int rank) {
            return fromLines ? "line " + where[rank] : "model.merges[" + where[rank] + "]";
        }
    }

    // ---------------------------------------------------------------------------------------------
    // tokenizer.json
    // ---------------------------------------------------------------------------------------------

    static Gpt2Tokenizer fromTokenizerJson(String name, String text) throws TokenizerFileException {
        Map<String, Object> root = parseJsonObject(name, text);
        Object normalizer = root.get("normalizer");
        if (normalizer != null) {
            throw new TokenizerFileException(name, "has a normalizer (" + typeOf(normalizer)
                    + "); only GPT-2-style byte-level BPE without a normalizer is supported");
        }
        checkPreTokenizer(name, root.get("pre_tokenizer"));

        Map<String, Object> model = object(name, root.get("model"), "model");
        Object type = model.get("type");
        if (type != null && !"BPE".equals(type)) {
            throw new TokenizerFileException(name, "model.type is " + quoted(type) + ", expected \"BPE\"");
        }
        for (String flag : List.of("byte_fallback", "ignore_merges")) {
            if (Boolean.TRUE.equals(model.get(flag))) {
                throw new TokenizerFileException(name, "model." + flag + " is true, which is not supported");
            }
        }
        Object dropout = model.get("dropout");
        if (dropout instanceof Number d && d.doubleValue() != 0) {
            throw new TokenizerFileException(name, "model.dropout is " + d + "; only deterministic BPE is supported");
        }
        for (String affix : List.of("continuing_subword_prefix", "end_of_word_suffix")) {
            Object v = model.get(affix);
            if (v != null && !"".equals(v)) {
                throw new TokenizerFileException(name, "model." + affix + " is " + quoted(v) + ", which is not supported");
            }
        }

        Vocab vocab = readVocab(name, object(name, model.get("vocab"), "model.vocab"), "model.vocab");
        Merges merges = readMergesJson(name, model.get("merges"));
        Map<String, Integer> added = readAddedTokens(name, root.get("added_tokens"), vocab);
        return build(vocab, merges, name, added, name);
    }

    /** Accepts no pre-tokenizer spec other than GPT-2's: ByteLevel, regex on, no prefix space. */
    private static void checkPreTokenizer(String name, Object pre) throws TokenizerFileException {
        if (pre == null) {
            throw new TokenizerFileException(name, "has no pre_tokenizer; expected GPT-2's ByteLevel pre-tokenizer");
        }
        Map<String, Object> p = object(name, pre, "pre_tokenizer");
        if (!"ByteLevel".equals(p.get("type"))) {
            throw new TokenizerFileException(name, "pre_tokenizer.type is " + quoted(p.get("type"))
                    + "; only GPT-2's \"ByteLevel\" is supported");
        }
        if (Boolean.TRUE.equals(p.get("add_prefix_space"))) {
            throw new TokenizerFileException(name, "pre_tokenizer.add_prefix_space is true, which is not supported");
        }
        if (Boolean.FALSE.equals(p.get("use_regex"))) {
            throw new TokenizerFileException(name, "pre_tokenizer.use_regex is false, which is not supported");
        }
    }

    /** model.merges: {@code "a b"} strings (older files) or {@code ["a", "b"]} pairs (newer files). */
    private static Merges readMergesJson(String name, Object merges) throws TokenizerFileException {
        if (!(merges instanceof List<?> list)) {
            throw new TokenizerFileException(name, "model.merges must be an array, found " + typeOf(merges));
        }
        Merges out = new Merges(false, list.size());
        for (int k = 0; k < list.size(); k++) {
            Object m = list.get(k);
            String where = "model.merges[" + k + "]";
            if (m instanceof String s) {
                String[] parts = s.split(" ", -1);
                if (parts.length != 2 || parts[0].isEmpty() || parts[1].isEmpty()) {
                    throw new TokenizerFileException(name, where
                            + ": a merge must be two tokens separated by one space, found " + quoted(s));
                }
                out.add(parts[0], parts[1], k);
            } else if (m instanceof List<?> pair && pair.size() == 2
                    && pair.get(0) instanceof String a && pair.get(1) instanceof String b) {
                out.add(a, b, k);
            } else {
                throw new TokenizerFileException(name, where
                        + ": a merge must be a string \"a b\" or a pair [\"a\", \"b\"], found " + Json.write(m));
            }
        }
        return out;
    }

    /** added_tokens: objects with id and content; each is read as one token wherever it appears. */
    private static Map<String, Integer> readAddedTokens(String name, Object addedTokens, Vocab vocab)
            throws TokenizerFileException {
        Map<String, Integer> out = new LinkedHashMap<>();
        if (addedTokens == null) {
            return out;
        }
        if (!(addedTokens instanceof List<?> list)) {
            throw new TokenizerFileException(name, "added_tokens must be an array, found " + typeOf(addedTokens));
        }
        for (int k = 0; k < list.size(); k++) {
            String where = "added_tokens[" + k + "]";
            Map<String, Object> t = object(name, list.get(k), where);
            if (!(t.get("content") instanceof String content) || content.isEmpty()) {
                throw new TokenizerFileException(name, where + ".content must be a non-empty string");
            }
            int id = id(name, t.get("id"), where + ".id");
            for (String flag : List.of("lstrip", "rstrip", "single_word")) {
                if (Boolean.TRUE.equals(t.get(flag))) {
                    throw new TokenizerFileException(name, where + " (" + quoted(content) + ") sets " + flag
                            + ", which is not supported");
                }
            }
            int inVocab = vocab.id(content);
            if (inVocab >= 0 && inVocab != id) {
                throw new TokenizerFileException(name, where + " gives " + quoted(content) + " id " + id
                        + " but model.vocab gives it id " + inVocab);
            }
            Integer before = out.put(content, id);
            if (before != null && before != id) {
                throw new TokenizerFileException(name, where + " gives " + quoted(content) + " id " + id
                        + " but an earlier added token gives it id " + before);
            }
        }
        return out;
    }

    // ---------------------------------------------------------------------------------------------
    // Common to both formats.
    // ---------------------------------------------------------------------------------------------

    /** A vocabulary: token text to id (the parsed JSON object, ids as Long) and id to text. */
    private record Vocab(Map<String, Object> ids, String[] byId) {
        /** @return the token's id, or -1 if it is not in the vocabulary */
        int id(String token) {
            return ids.get(token) instanceof Long l ? (int) (long) l : -1;
        }
    }

    /** Checks a token-to-id object: ids must be distinct integers in [0, {@link #MAX_ID}). */
    private static Vocab readVocab(String name, Map<String, Object> json, String field) throws TokenizerFileException {
        if (json.isEmpty()) {
            throw new TokenizerFileException(name, (field.isEmpty() ? "the vocabulary" : field) + " is empty");
        }
        int size = 0;
        for (Map.Entry<String, Object> e : json.entrySet()) {
            Object v = e.getValue();
            if (!(v instanceof Long l) || l < 0 || l >= MAX_ID) {
                throw badId(name, v, (field.isEmpty() ? "token " : field + " entry ") + quoted(e.getKey()));
            }
            size = Math.max(size, (int) (long) l + 1);
        }
        String[] byId = new String[size];
        for (Map.Entry<String, Object> e : json.entrySet()) {
            int id = (int) (long) (Long) e.getValue();
            if (byId[id] != null) {
                throw new TokenizerFileException(name, "id " + id + " is used by both " + quoted(byId[id])
                        + " and " + quoted(e.getKey()));
            }
            byId[id] = e.getKey();
        }
        return new Vocab(json, byId);
    }

    private static int id(String name, Object v, String where) throws TokenizerFileException {
        if (!(v instanceof Long l) || l < 0 || l >= MAX_ID) {
            throw badId(name, v, where);
        }
        return (int) (long) l;
    }

    private static TokenizerFileException badId(String name, Object v, String where) {
        return new TokenizerFileException(name, where + " must have an integer id in [0, " + MAX_ID + "), found "
                + (v instanceof String s ? quoted(s) : String.valueOf(v)));
    }

    /** Builds the tokenizer: token table by id, single-byte tokens, merges on ids. */
    private static Gpt2Tokenizer build(Vocab vocab, Merges merges, String mergesName,
                                       Map<String, Integer> added, String source) throws TokenizerFileException {
        int size = vocab.byId().length;
        for (int id : added.values()) {
            size = Math.max(size, id + 1);
        }
        String[] tokens = Arrays.copyOf(vocab.byId(), size);
        for (Map.Entry<String, Integer> e : added.entrySet()) {
            String there = tokens[e.getValue()];
            if (there != null && !there.equals(e.getKey())) {
                throw new TokenizerFileException(source, "added token " + quoted(e.getKey()) + " has id "
                        + e.getValue() + ", which the vocabulary gives to " + quoted(there));
            }
            tokens[e.getValue()] = e.getKey();
        }

        int[] byteTokens = new int[256];
        for (int b = 0; b < 256; b++) {
            byteTokens[b] = vocab.id(String.valueOf(ByteLevel.byteToChar(b)));
        }

        MergeTable table = new MergeTable(merges.size);
        for (int rank = 0; rank < merges.size; rank++) {
            String a = merges.left[rank];
            String b = merges.right[rank];
            String merged = a + b;
            int left = vocab.id(a);
            int right = vocab.id(b);
            int result = vocab.id(merged);
            if (left < 0 || right < 0 || result < 0) {
                String missing = left < 0 ? a : right < 0 ? b : merged;
                throw new TokenizerFileException(mergesName, merges.where(rank) + ": merge " + quoted(a + " " + b)
                        + (left >= 0 && right >= 0 ? " produces " : " names ")
                        + quoted(missing) + ", which is not in the vocabulary");
            }
            table.put(left, right, rank, result);
        }

        String[] specialTexts = added.keySet().toArray(String[]::new);
        Arrays.sort(specialTexts, Comparator.comparingInt(String::length).reversed());
        int[] specialIds = new int[specialTexts.length];
        for (int k = 0; k < specialTexts.length; k++) {
            specialIds[k] = added.get(specialTexts[k]);
        }
        Integer eot = added.get(Gpt2Tokenizer.END_OF_TEXT);
        OptionalInt special = eot == null ? OptionalInt.empty() : OptionalInt.of(eot);
        return new Gpt2Tokenizer(tokens, byteTokens, table, specialTexts, specialIds, special, special, special, source);
    }

    // ---------------------------------------------------------------------------------------------
    // Reading.
    // ---------------------------------------------------------------------------------------------

    private static String readUtf8(Path file) throws IOException {
        return decodeUtf8(file.toString(), Files.readAllBytes(file));
    }

    private static String resourcePath(String resource) {
        return Gpt2TokenizerLoader.class.getPackageName().replace('.', '/') + "/" + resource;
    }

    private static String readResource(String resource, String name) throws IOException {
        try (InputStream in = Gpt2TokenizerLoader.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new NoSuchFileException(name);
            }
            return decodeUtf8(name, in.readAllBytes());
        }
    }

    private static String decodeUtf8(String name, byte[] bytes) throws TokenizerFileException {
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes))
                    .toString();
        } catch (CharacterCodingException e) {
            throw new TokenizerFileException(name, "is not valid UTF-8", e);
        }
    }

    private static Map<String, Object> parseJsonObject(String name, String text) throws TokenizerFileException {
        Object v;
        try {
            v = Json.parse(text);
        } catch (IllegalArgumentException e) {
            throw new TokenizerFileException(name, e.getMessage(), e);
        }
        return object(name, v, "the top level");
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> object(String name, Object v, String where) throws TokenizerFileException {
        if (!(v instanceof Map)) {
            throw new TokenizerFileException(name, where + " must be a JSON object, found " + typeOf(v));
        }
        return (Map<String, Object>) v;
    }

    private static String typeOf(Object v) {
        if (v instanceof Map<?, ?> m && m.get("type") instanceof String t) {
            return "an object of type \"" + t + "\"";
        }
        return Json.typeName(v);
    }

    private static String quoted(Object v) {
        return v instanceof String s ? "\"" + s + "\"" : String.valueOf(v);
    }
}
