package dev.lens4j.transformer.tokenizer;

import dev.lens4j.tensor.internal.Json;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A seeded, bounded, structure-aware fuzz of the four tokenizer files. Each case mutates one file of
 * a working set (the fixtures of tools/tokenizer/make_hf_tokenizers.py): JSON values replaced,
 * deleted, duplicated or retyped (component types, ids, flags, regexes, added tokens), merges.txt
 * lines broken, and raw bytes flipped, inserted or cut. Loading must then either succeed or throw a
 * {@link TokenizerFileException} that names one of the case's files; a tokenizer that loads must
 * encode and decode probe strings and ids without any exception but the documented
 * {@link IllegalArgumentException} (a character or an id the vocabulary lacks). Anything else (a
 * NullPointerException, an index out of bounds, a stack overflow, a regex syntax error) fails the test.
 *
 * <p>{@code -Dlens4j.fuzz.cases=N} (default 5,000 per file) and {@code -Dlens4j.fuzz.seed=S} change the
 * run; a failure names the seed and case to replay.
 */
class TokenizerFuzzTest {

    private static final int CASES = Integer.getInteger("lens4j.fuzz.cases", 5_000);
    private static final long SEED = Long.getLong("lens4j.fuzz.seed", 20_240_611L);

    /** Type names of every Hugging Face component, supported or not. */
    private static final List<String> TYPES = List.of("BPE", "WordPiece", "Unigram", "WordLevel", "NFC", "NFD", "NFKC",
            "NFKD", "Lowercase", "Prepend", "Replace", "Strip", "StripAccents", "BertNormalizer", "Precompiled", "Nmt",
            "ByteLevel", "Sequence", "Split", "Metaspace", "Digits", "Whitespace", "WhitespaceSplit", "Punctuation",
            "CharDelimiterSplit", "UnicodeScripts", "FixedLength", "ByteFallback", "Fuse", "BPEDecoder", "CTC",
            "TemplateProcessing", "RobertaProcessing", "BertProcessing", "", "bpe");
    private static final List<String> KEYS = List.of("type", "vocab", "merges", "unk_token", "byte_fallback", "fuse_unk",
            "ignore_merges", "dropout", "continuing_subword_prefix", "end_of_word_suffix", "pattern", "behavior",
            "invert", "replacement", "prepend_scheme", "split", "add_prefix_space", "use_regex", "trim_offsets",
            "content", "prepend", "normalizers", "pretokenizers", "decoders", "processors", "single", "pair",
            "special_tokens", "id", "ids", "tokens", "special", "normalized", "lstrip", "rstrip", "single_word",
            "start", "stop", "String", "Regex", "SpecialToken", "Sequence", "bos_token", "eos_token", "pad_token",
            "unk_token", "add_bos_token", "add_eos_token", "added_tokens_decoder", "additional_special_tokens",
            "individual_digits", "str_rep", "strip_left", "strip_right", "version", "x");
    private static final List<String> REGEX_BITS = List.of("\\s", "\\S", "\\p{L}", "\\p{N}", "\\p{Han}", "\\p{Foo}",
            "\\p{^L}", "\\w", "\\b", "\\h", "\\d", "\\1", "\\R", "\\K", "\\x{41}", "\\x{110000}", "\\u00", "\\", "(", ")",
            "[", "]", "[^", "[[:alpha:]]", "{", "}", "{1,3}", "{1,3}+", "{,2}", "*", "+", "?", "++", "*+", "?+", "|",
            "^", "$", ".", "(?i:", "(?i)", "(?m)", "(?s)", "(?x)", "(?>", "(?=", "(?<!", "(?<n>", "(?#c)", "(?~",
            "'s", "a", "\u2581", " ", "&&", "-", "\\p{", "(?", "(?:a|b)+", "a{2,1}");
    private static final List<String> STRINGS = List.of("", " ", "\u2581", "<s>", "</s>", "<unk>", "<|endoftext|>",
            "<0x41>", "<0xZZ>", "<0x+A>", "\u0120", "a", "ab", "A", "x y", "always", "first", "never", "Isolated",
            "Removed", "Contiguous", "MergedWithNext", "MergedWithPrevious", "1.0", "2.0", "$A", "A", "B", "\u00e9",
            "日本", "😀", "\n", "\t", "##", "</w>", "\u0000");
    /** Texts encoded with every tokenizer that loads. */
    private static final List<String> PROBES = List.of("", "Hello world", " a  b\t\tc\n\n", "I'M we'RE it'ſ",
            "café naïve 日本語 😀👍🏽", "1234567 3.14", "def f(x):\n    return x", "<s>a</s><|endoftext|>",
            "\u2581x <0x41>", "\u00a0\u3000\u0085", "e\u0301 \uFB01", "aaaaaaaaaaaaaaaaaaaaaaaaaa");

    private final Random rnd = new Random(SEED);

    private record Target(String name, Map<String, byte[]> files) {
    }

    private static byte[] fixture(String kind, String file) throws IOException {
        return Files.readAllBytes(HfFixtures.folder(kind).resolve(file));
    }

    // ---------------------------------------------------------------------------------------------
    // The four targets.
    // ---------------------------------------------------------------------------------------------

    @Test
    void vocabJson() throws IOException {
        run("vocab.json", i -> {
            Map<String, byte[]> f = new TreeMap<>();
            f.put("vocab.json", rnd.nextBoolean() ? mutateJson(fixture("gpt2", "vocab.json"))
                    : mutateVocab(fixture("gpt2", "vocab.json")));
            f.put("merges.txt", fixture("gpt2", "merges.txt"));
            return f;
        });
    }

    @Test
    void mergesTxt() throws IOException {
        run("merges.txt", i -> {
            Map<String, byte[]> f = new TreeMap<>();
            f.put("vocab.json", fixture("gpt2", "vocab.json"));
            f.put("merges.txt", mutateMerges(fixture("gpt2", "merges.txt")));
            return f;
        });
    }

    @Test
    void tokenizerJson() throws IOException {
        run("tokenizer.json", i -> {
            String kind = HfFixtures.KINDS.get(i % HfFixtures.KINDS.size());
            Map<String, byte[]> f = new TreeMap<>();
            f.put("tokenizer.json", mutateJson(fixture(kind, "tokenizer.json")));
            f.put("tokenizer_config.json", fixture(kind, "tokenizer_config.json"));
            return f;
        });
    }

    @Test
    void tokenizerConfigJson() throws IOException {
        run("tokenizer_config.json", i -> {
            String kind = HfFixtures.KINDS.get(i % HfFixtures.KINDS.size());
            Map<String, byte[]> f = new TreeMap<>();
            f.put("tokenizer.json", fixture(kind, "tokenizer.json"));
            f.put("tokenizer_config.json", mutateJson(fixture(kind, "tokenizer_config.json")));
            return f;
        });
    }

    @FunctionalInterface
    private interface CaseMaker {
        Map<String, byte[]> make(int i) throws IOException;
    }

    private void run(String target, CaseMaker maker) throws IOException {
        Map<String, Integer> outcomes = new TreeMap<>();
        for (int i = 0; i < CASES; i++) {
            Map<String, byte[]> files = maker.make(i);
            String outcome;
            try {
                outcome = runCase(files);
            } catch (Throwable t) {
                throw new AssertionError("fuzz " + target + " seed " + SEED + " case " + i + ": undocumented " + t
                        + "\nfiles: " + describe(files), t);
            }
            outcomes.merge(outcome, 1, Integer::sum);
        }
        // The mutations must reach both outcomes, or the fuzz tests nothing.
        assertThat(outcomes.getOrDefault("loaded", 0)).as("%s: %s", target, outcomes).isGreaterThan(CASES / 50);
        assertThat(outcomes.getOrDefault("refused", 0)).as("%s: %s", target, outcomes).isGreaterThan(CASES / 10);
    }

    /** Loads and uses one case's files; returns "loaded" or "refused", or throws what was not documented. */
    private String runCase(Map<String, byte[]> files) {
        Tokenizer tok;
        try {
            if (files.containsKey("tokenizer.json")) {
                tok = HfTokenizer.read("tokenizer.json", files.get("tokenizer.json"), "tokenizer_config.json",
                        files.get("tokenizer_config.json"));
            } else {
                tok = Gpt2Tokenizer.read("vocab.json", files.get("vocab.json"), "merges.txt", files.get("merges.txt"));
            }
        } catch (TokenizerFileException e) {
            if (!files.containsKey(e.file()) || !e.getMessage().startsWith(e.file() + ": ")) {
                throw new AssertionError("the message does not name one of the files: " + e.getMessage(), e);
            }
            return "refused";
        }
        for (String p : PROBES) {
            use(tok, p);
        }
        for (String s : tok.specialTokens()) {
            use(tok, "x" + s + " y");
        }
        StringBuilder random = new StringBuilder();
        for (int k = 0; k < 12; k++) {
            random.appendCodePoint(rnd.nextInt(4) == 0 ? 0x20 + rnd.nextInt(0x3000) : 0x20 + rnd.nextInt(0x60));
        }
        use(tok, random.toString());
        int[] ids = new int[8];
        for (int k = 0; k < ids.length; k++) {
            ids[k] = rnd.nextInt(Math.max(1, tok.vocabSize()) + 2) - 1;
        }
        try {
            tok.decode(ids);
        } catch (IllegalArgumentException documented) {
            // an id that is not a token
        }
        for (int id : ids) {
            try {
                tok.tokenString(id);
            } catch (IllegalArgumentException documented) {
                // an id that is not a token
            }
        }
        return "loaded";
    }

    private static void use(Tokenizer tok, String text) {
        try {
            int[] ids = tok.encode(text);
            tok.decode(ids);
            tok.toStrTokens(ids);
            if (tok instanceof HfTokenizer h) {
                h.encodeWithSpecialTokens(text);
            }
            if (tok.bosTokenId().isPresent()) {
                tok.toTokens(text, true);
            }
            tok.toTokens(text, false);
        } catch (IllegalArgumentException documented) {
            // a character with no token (and no byte fallback or unknown token)
        }
    }

    private static String describe(Map<String, byte[]> files) {
        StringBuilder b = new StringBuilder();
        for (Map.Entry<String, byte[]> e : files.entrySet()) {
            String s = new String(e.getValue(), StandardCharsets.UTF_8);
            b.append("\n--- ").append(e.getKey()).append(" (").append(e.getValue().length).append(" bytes)\n")
                    .append(s.length() > 3000 ? s.substring(0, 3000) + "..." : s);
        }
        return b.toString();
    }

    // ---------------------------------------------------------------------------------------------
    // Mutations.
    // ---------------------------------------------------------------------------------------------

    /** One to three structural mutations of a JSON file, then sometimes byte damage. */
    private byte[] mutateJson(byte[] original) {
        Object root = Json.parse(new String(original, StandardCharsets.UTF_8));
        int n = 1 + rnd.nextInt(3);
        for (int k = 0; k < n; k++) {
            mutateNode(root);
        }
        byte[] out = Json.write(root).getBytes(StandardCharsets.UTF_8);
        return rnd.nextInt(8) == 0 ? mutateBytes(out) : out;
    }

    /**
     * vocab.json changes that keep ids dense, so that more cases get past the vocabulary checks: a token
     * renamed, two tokens' ids swapped, a token added at the next id.
     */
    @SuppressWarnings("unchecked")
    private byte[] mutateVocab(byte[] original) {
        Map<String, Object> v = (Map<String, Object>) Json.parse(new String(original, StandardCharsets.UTF_8));
        List<String> keys = new ArrayList<>(v.keySet());
        String a = keys.get(rnd.nextInt(keys.size()));
        String b = keys.get(rnd.nextInt(keys.size()));
        switch (rnd.nextInt(3)) {
            case 0 -> {
                String name = STRINGS.get(rnd.nextInt(STRINGS.size())) + a;
                if (!v.containsKey(name)) {
                    v.put(name, v.remove(a));
                }
            }
            case 1 -> {
                Object t = v.get(a);
                v.put(a, v.get(b));
                v.put(b, t);
            }
            default -> v.putIfAbsent(STRINGS.get(rnd.nextInt(STRINGS.size())) + "é", (long) v.size());
        }
        return Json.write(v).getBytes(StandardCharsets.UTF_8);
    }

    /** Picks a random object or array in the tree and changes one of its members. */
    @SuppressWarnings("unchecked")
    private void mutateNode(Object root) {
        List<Object> containers = new ArrayList<>();
        collect(root, containers);
        Object c = containers.get(rnd.nextInt(containers.size()));
        if (c instanceof Map<?, ?> raw) {
            Map<String, Object> m = (Map<String, Object>) raw;
            List<String> keys = new ArrayList<>(m.keySet());
            int op = rnd.nextInt(6);
            if (keys.isEmpty() || op == 0) {
                m.put(KEYS.get(rnd.nextInt(KEYS.size())), randomValue());
                return;
            }
            String key = keys.get(rnd.nextInt(keys.size()));
            switch (op) {
                case 1 -> m.remove(key);
                case 2 -> m.put(key, key.equals("type") ? TYPES.get(rnd.nextInt(TYPES.size())) : randomValue());
                case 3 -> m.put(key, tweak(m.get(key)));
                case 4 -> {
                    Object v = m.remove(key);
                    m.put(key.isEmpty() ? "x" : key.substring(0, key.length() - 1) + "\u00e9", v); // a renamed member
                }
                default -> m.put(key, tweak(m.get(key)));
            }
        } else {
            List<Object> l = (List<Object>) c;
            int op = rnd.nextInt(5);
            if (l.isEmpty() || op == 0) {
                l.add(rnd.nextInt(Math.max(1, l.size() + 1)), l.isEmpty() ? randomValue() : copy(l.get(rnd.nextInt(l.size()))));
                return;
            }
            int i = rnd.nextInt(l.size());
            switch (op) {
                case 1 -> l.remove(i);
                case 2 -> l.set(i, randomValue());
                case 3 -> java.util.Collections.swap(l, i, rnd.nextInt(l.size()));
                default -> l.set(i, tweak(l.get(i)));
            }
        }
    }

    private static void collect(Object v, List<Object> out) {
        if (v instanceof Map<?, ?> m) {
            out.add(m);
            for (Object x : m.values()) {
                collect(x, out);
            }
        } else if (v instanceof List<?> l) {
            out.add(l);
            for (Object x : l) {
                collect(x, out);
            }
        }
    }

    private static Object copy(Object v) {
        if (v instanceof Map<?, ?> m) {
            Map<String, Object> c = new LinkedHashMap<>();
            m.forEach((k, x) -> c.put((String) k, copy(x)));
            return c;
        }
        if (v instanceof List<?> l) {
            List<Object> c = new ArrayList<>();
            l.forEach(x -> c.add(copy(x)));
            return c;
        }
        return v;
    }

    /** A small change of a value of the same kind: a nearby number, an edited string or regex, a flipped flag. */
    private Object tweak(Object v) {
        return switch (v) {
            case Long l -> switch (rnd.nextInt(5)) {
                case 0 -> l + 1;
                case 1 -> l - 1;
                case 2 -> -l;
                case 3 -> l * 1000 + 7;
                default -> (long) rnd.nextInt(600);
            };
            case Boolean b -> !b;
            case String s -> {
                if (rnd.nextInt(3) == 0) {
                    yield regexLike(s);
                }
                yield switch (rnd.nextInt(4)) {
                    case 0 -> s.isEmpty() ? "a" : s.substring(0, rnd.nextInt(s.length()));
                    case 1 -> s + STRINGS.get(rnd.nextInt(STRINGS.size()));
                    case 2 -> STRINGS.get(rnd.nextInt(STRINGS.size()));
                    default -> s.toUpperCase(java.util.Locale.ROOT);
                };
            }
            case null -> randomValue();
            default -> randomValue();
        };
    }

    /** A regex with fragments of Oniguruma syntax inserted, replaced or removed. */
    private String regexLike(String s) {
        StringBuilder b = new StringBuilder(s);
        int n = 1 + rnd.nextInt(3);
        for (int k = 0; k < n; k++) {
            int at = b.isEmpty() ? 0 : rnd.nextInt(b.length() + 1);
            String bit = REGEX_BITS.get(rnd.nextInt(REGEX_BITS.size()));
            if (rnd.nextBoolean() || b.isEmpty()) {
                b.insert(at, bit);
            } else {
                int end = Math.min(b.length(), at + 1 + rnd.nextInt(4));
                b.replace(Math.min(at, b.length() - 1), end, rnd.nextBoolean() ? bit : "");
            }
        }
        // A lone surrogate cannot be written as JSON text the parser accepts; keep the string well formed.
        return b.toString().replaceAll("[\\uD800-\\uDFFF]", "?");
    }

    private Object randomValue() {
        return switch (rnd.nextInt(12)) {
            case 0 -> null;
            case 1 -> rnd.nextBoolean();
            case 2 -> (long) rnd.nextInt(600);
            case 3 -> List.of(-1L, 0L, 1L, 511L, 512L, (long) BpeFiles.MAX_ID, 1L << 40).get(rnd.nextInt(7));
            case 4 -> 0.5;
            case 5 -> STRINGS.get(rnd.nextInt(STRINGS.size()));
            case 6 -> new ArrayList<>();
            case 7 -> new LinkedHashMap<>();
            case 8 -> {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("type", TYPES.get(rnd.nextInt(TYPES.size())));
                yield m;
            }
            case 9 -> {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put(rnd.nextBoolean() ? "String" : "Regex", regexLike(""));
                yield m;
            }
            case 10 -> new ArrayList<>(List.of(STRINGS.get(rnd.nextInt(STRINGS.size())), STRINGS.get(rnd.nextInt(STRINGS.size()))));
            default -> {
                Map<String, Object> t = new LinkedHashMap<>();
                t.put("id", (long) rnd.nextInt(600));
                t.put("content", STRINGS.get(rnd.nextInt(STRINGS.size())));
                t.put("special", rnd.nextBoolean());
                t.put("lstrip", rnd.nextBoolean());
                t.put("rstrip", rnd.nextBoolean());
                t.put("single_word", rnd.nextBoolean());
                t.put("normalized", rnd.nextBoolean());
                yield t;
            }
        };
    }

    /** merges.txt: lines dropped, duplicated, swapped, split wrongly, given unknown tokens; sometimes byte damage. */
    private byte[] mutateMerges(byte[] original) {
        List<String> lines = new ArrayList<>(Arrays.asList(new String(original, StandardCharsets.UTF_8).split("\n", -1)));
        int n = 1 + rnd.nextInt(3);
        for (int k = 0; k < n; k++) {
            int i = rnd.nextInt(lines.size());
            String line = lines.get(i);
            switch (rnd.nextInt(10)) {
                case 0 -> lines.remove(i);
                case 1 -> lines.add(i, line);
                case 2 -> lines.set(i, line.replace(" ", "  "));
                case 3 -> lines.set(i, line.replace(" ", ""));
                case 4 -> lines.set(i, line + " " + line);
                case 5 -> lines.set(i, STRINGS.get(rnd.nextInt(STRINGS.size())) + " " + STRINGS.get(rnd.nextInt(STRINGS.size())));
                case 6 -> {
                    String[] p = line.split(" ");
                    if (p.length == 2) {
                        lines.set(i, p[1] + " " + p[0]);
                    }
                }
                case 7 -> lines.set(i, line + "\r");
                case 8 -> lines.add(i, "#version: 0.2");
                default -> java.util.Collections.swap(lines, i, rnd.nextInt(lines.size()));
            }
        }
        byte[] out = String.join("\n", lines).getBytes(StandardCharsets.UTF_8);
        return rnd.nextInt(6) == 0 ? mutateBytes(out) : out;
    }

    /** Raw damage: flipped bits, inserted or removed bytes, a truncation. */
    private byte[] mutateBytes(byte[] b) {
        byte[] out = b.clone();
        switch (rnd.nextInt(4)) {
            case 0 -> {
                for (int k = 0; k < 1 + rnd.nextInt(4); k++) {
                    int i = rnd.nextInt(out.length);
                    out[i] ^= (byte) (1 << rnd.nextInt(8));
                }
            }
            case 1 -> {
                int i = rnd.nextInt(out.length + 1);
                byte[] c = new byte[out.length + 1];
                System.arraycopy(out, 0, c, 0, i);
                c[i] = (byte) rnd.nextInt(256);
                System.arraycopy(out, i, c, i + 1, out.length - i);
                out = c;
            }
            case 2 -> {
                int i = rnd.nextInt(out.length);
                byte[] c = new byte[out.length - 1];
                System.arraycopy(out, 0, c, 0, i);
                System.arraycopy(out, i + 1, c, i, out.length - i - 1);
                out = c;
            }
            default -> out = Arrays.copyOf(out, rnd.nextInt(out.length + 1));
        }
        return out;
    }

    @Test
    void theUnmutatedFilesAllLoad() throws IOException {
        for (String kind : HfFixtures.KINDS) {
            Map<String, byte[]> f = new TreeMap<>();
            f.put("tokenizer.json", fixture(kind, "tokenizer.json"));
            f.put("tokenizer_config.json", fixture(kind, "tokenizer_config.json"));
            assertThat(runCase(f)).as(kind).isEqualTo("loaded");
        }
        Map<String, byte[]> pair = new TreeMap<>();
        pair.put("vocab.json", fixture("gpt2", "vocab.json"));
        pair.put("merges.txt", fixture("gpt2", "merges.txt"));
        assertThat(runCase(pair)).isEqualTo("loaded");
    }
}
