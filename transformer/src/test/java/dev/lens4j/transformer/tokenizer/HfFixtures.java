package dev.lens4j.transformer.tokenizer;

import dev.lens4j.tensor.internal.Json;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPInputStream;

/**
 * Reads the fixtures written by tools/tokenizer/make_hf_tokenizers.py under
 * {@code src/test/resources/tokenizers/}: one folder per tokenizer kind with the tokenizer files and
 * {@code expected.jsonl.gz}, what Hugging Face's tokenizers 0.23 (and transformers 5.18 and
 * TransformerLens 2.18) do with them.
 */
final class HfFixtures {

    /**
     * The kinds, each a folder under tokenizers/: the model families, then two tokenizers of no real
     * model that use the remaining components.
     */
    static final List<String> KINDS = List.of("gpt2", "gpt_neox", "llama3", "qwen2", "llama2", "mistral", "gemma",
            "components_bytes", "components_pieces", "components_affixes");

    /**
     * One encoded text and what the references give for it.
     *
     * @param text the text
     * @param ids tokenizers' {@code encode(text, add_special_tokens=False)}
     * @param special tokenizers' ids with special tokens
     * @param transformers transformers' {@code tokenizer(text)["input_ids"]}
     * @param tl TransformerLens's {@code to_tokens(text)}
     * @param tlNoBos TransformerLens's {@code to_tokens(text, prepend_bos=False)}
     * @param decode tokenizers' {@code decode(ids)}
     */
    record Enc(String text, int[] ids, int[] special, int[] transformers, int[] tl, int[] tlNoBos, String decode) {
        @Override
        public String toString() {
            String t = text.length() > 40 ? text.substring(0, 40) + "..." : text;
            return JsonField.quoted(t);
        }
    }

    /**
     * A decode of an id list.
     *
     * @param ids the ids
     * @param text tokenizers' decode
     */
    record Dec(int[] ids, String text) {
    }

    /**
     * Everything for one kind.
     *
     * @param kind the folder name
     * @param enc the encoded texts
     * @param dec the decoded id lists
     * @param tokenTexts the decode of each single id, by id
     */
    record Kind(String kind, List<Enc> enc, List<Dec> dec, List<String> tokenTexts) {
    }

    private HfFixtures() {
    }

    /** The folder of a kind's files on disk (the test resources are files, not a jar). */
    static Path folder(String kind) {
        try {
            return Path.of(HfFixtures.class.getResource("/tokenizers/" + kind + "/tokenizer.json").toURI()).getParent();
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The lines of a gzipped JSON-lines resource, each parsed. */
    @SuppressWarnings("unchecked")
    static List<Map<String, Object>> lines(String resource) {
        List<Map<String, Object>> out = new ArrayList<>();
        try (InputStream raw = HfFixtures.class.getResourceAsStream(resource)) {
            if (raw == null) {
                throw new IllegalStateException("missing test resource " + resource);
            }
            BufferedReader r = new BufferedReader(new InputStreamReader(new GZIPInputStream(raw), StandardCharsets.UTF_8));
            for (String line = r.readLine(); line != null; line = r.readLine()) {
                out.add((Map<String, Object>) Json.parse(line));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out;
    }

    static Kind read(String kind) {
        List<Map<String, Object>> rows = lines("/tokenizers/" + kind + "/expected.jsonl.gz");
        Map<String, Object> meta = rows.getFirst();
        int[] prefix = ints(meta.get("special_prefix"));
        int[] suffix = ints(meta.get("special_suffix"));
        int tlBos = ((Number) meta.get("tl_bos")).intValue();
        List<Enc> enc = new ArrayList<>();
        List<Dec> dec = new ArrayList<>();
        List<String> tokenTexts = null;
        for (Map<String, Object> r : rows.subList(1, rows.size())) {
            switch ((String) r.get("t")) {
                case "enc" -> {
                    String text = (String) r.get("text");
                    int[] ids = ints(r.get("ids"));
                    int[] special = r.containsKey("special") ? ints(r.get("special")) : concat(prefix, ids, suffix);
                    int[] tf = r.containsKey("tf") ? ints(r.get("tf")) : special;
                    int[] tl = r.containsKey("tl") ? ints(r.get("tl")) : concat(new int[] {tlBos}, ids, new int[0]);
                    int[] tl0 = r.containsKey("tl0") ? ints(r.get("tl0")) : ids;
                    String decode = r.containsKey("decode") ? (String) r.get("decode") : text;
                    enc.add(new Enc(text, ids, special, tf, tl, tl0, decode));
                }
                case "dec" -> dec.add(new Dec(ints(r.get("ids")), (String) r.get("text")));
                case "tok" -> tokenTexts = ((List<?>) r.get("texts")).stream().map(String.class::cast).toList();
                default -> throw new IllegalStateException("unknown row " + r);
            }
        }
        return new Kind(kind, enc, dec, tokenTexts);
    }

    /** Code points given as inclusive [first, last] ranges (the class fixtures), as a set. */
    static java.util.BitSet bits(Object ranges) {
        java.util.BitSet b = new java.util.BitSet(0x110000);
        for (Object r : (List<?>) ranges) {
            List<?> pair = (List<?>) r;
            b.set(((Number) pair.get(0)).intValue(), ((Number) pair.get(1)).intValue() + 1);
        }
        return b;
    }

    static int[] ints(Object list) {
        List<?> l = (List<?>) list;
        int[] a = new int[l.size()];
        for (int i = 0; i < a.length; i++) {
            a[i] = ((Number) l.get(i)).intValue();
        }
        return a;
    }

    static int[] concat(int[] a, int[] b, int[] c) {
        int[] out = new int[a.length + b.length + c.length];
        System.arraycopy(a, 0, out, 0, a.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        System.arraycopy(c, 0, out, a.length + b.length, c.length);
        return out;
    }
}
