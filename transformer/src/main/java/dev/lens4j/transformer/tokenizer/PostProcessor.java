package dev.lens4j.transformer.tokenizer;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.IntPredicate;

/**
 * A {@code tokenizer.json} post-processor, for one sequence with special tokens added (Hugging
 * Face's {@code encode(text, add_special_tokens=True)}): the ids it puts before and after the text's.
 *
 * @param prefix ids put first, e.g. {@code [<s>]}
 * @param suffix ids put last
 */
record PostProcessor(int[] prefix, int[] suffix) {

    /** Adds nothing. */
    static final PostProcessor NONE = new PostProcessor(new int[0], new int[0]);

    /**
     * @param ids the text's ids {@code [pos]}
     * @return prefix + ids + suffix
     */
    int[] apply(int[] ids) {
        int[] out = new int[prefix.length + ids.length + suffix.length];
        System.arraycopy(prefix, 0, out, 0, prefix.length);
        System.arraycopy(ids, 0, out, prefix.length, ids.length);
        System.arraycopy(suffix, 0, out, prefix.length + ids.length, suffix.length);
        return out;
    }

    /**
     * Reads a post-processor: TemplateProcessing (its {@code single} template), ByteLevel (which
     * changes only offsets) or a Sequence of them.
     *
     * @param f the {@code post_processor} field
     * @param isToken whether an id is a token of the vocabulary
     * @return the post-processor; null for JSON null (transformers then builds one, see {@link HfTokenizer})
     * @throws TokenizerFileException for an unknown type, a malformed template, or an id that is not a token
     */
    static PostProcessor read(JsonField f, IntPredicate isToken) throws TokenizerFileException {
        if (f.isNull()) {
            return null;
        }
        String type = f.type();
        return switch (type) {
            case "ByteLevel" -> {
                f.onlyFields("a ByteLevel post-processor", Set.of("type", "add_prefix_space", "trim_offsets", "use_regex"));
                yield NONE;
            }
            case "TemplateProcessing" -> template(f, isToken);
            case "Sequence" -> {
                f.onlyFields("a Sequence post-processor", Set.of("type", "processors"));
                List<Integer> pre = new ArrayList<>();
                List<Integer> post = new ArrayList<>();
                for (PostProcessor p : f.sequence("processors", e -> read(e, isToken))) {
                    // Each processor wraps what the previous ones made.
                    for (int k = p.prefix.length - 1; k >= 0; k--) {
                        pre.addFirst(p.prefix[k]);
                    }
                    for (int id : p.suffix) {
                        post.add(id);
                    }
                }
                yield new PostProcessor(pre.stream().mapToInt(Integer::intValue).toArray(),
                        post.stream().mapToInt(Integer::intValue).toArray());
            }
            default -> throw f.get("type").error("is " + JsonField.quoted(type) + ", a post-processor lens4j does not "
                    + "support (supported: TemplateProcessing, ByteLevel, Sequence)");
        };
    }

    /** TemplateProcessing's single-sequence template: special tokens around exactly one {@code $A}. */
    private static PostProcessor template(JsonField f, IntPredicate isToken) throws TokenizerFileException {
        f.onlyFields("TemplateProcessing", Set.of("type", "single", "pair", "special_tokens"));
        JsonField specials = f.required("special_tokens");
        Map<String, Object> specialMap = specials.object();
        for (String name : specialMap.keySet()) {
            JsonField e = specials.get(name);
            e.onlyFields("a special_tokens entry", Set.of("id", "ids", "tokens"));
            if (!e.required("id").string().equals(name)) {
                throw e.get("id").error("is " + JsonField.quoted(e.get("id").string()) + " but the entry is "
                        + JsonField.quoted(name));
            }
            List<JsonField> tokens = e.required("tokens").list();
            for (JsonField t : tokens) {
                t.string();
            }
            if (e.required("ids").list().size() != tokens.size()) {
                throw e.error("has " + e.get("ids").list().size() + " ids but " + tokens.size() + " tokens");
            }
        }
        JsonField single = f.required("single");
        checkTemplate(single, specialMap, false);
        checkTemplate(f.required("pair"), specialMap, true);
        List<Integer> pre = new ArrayList<>();
        List<Integer> post = new ArrayList<>();
        boolean seenA = false;
        for (JsonField piece : single.list()) {
            if (piece.has("Sequence")) {
                seenA = true;
                continue;
            }
            JsonField st = piece.required("SpecialToken");
            String name = st.required("id").string();
            JsonField ids = specials.get(name).required("ids");
            for (JsonField id : ids.list()) {
                int v = id.integer(1 << 24);
                if (!isToken.test(v)) {
                    throw id.error("is " + v + ", which is not a token of the vocabulary");
                }
                (seenA ? post : pre).add(v);
            }
        }
        return new PostProcessor(pre.stream().mapToInt(Integer::intValue).toArray(),
                post.stream().mapToInt(Integer::intValue).toArray());
    }

    /** Every piece is {"SpecialToken": {id, type_id}} naming a special_tokens entry, or {"Sequence": {id, type_id}}. */
    private static void checkTemplate(JsonField template, Map<String, Object> specials, boolean pair)
            throws TokenizerFileException {
        int a = 0;
        for (JsonField piece : template.list()) {
            piece.onlyFields("a template piece", Set.of("SpecialToken", "Sequence"));
            if (piece.object().size() != 1) {
                throw piece.error("must be one of {\"SpecialToken\": ...} and {\"Sequence\": ...}");
            }
            if (piece.has("Sequence")) {
                JsonField seq = piece.required("Sequence");
                seq.onlyFields("a template sequence", Set.of("id", "type_id"));
                seq.required("type_id").integer(Integer.MAX_VALUE);
                String id = seq.required("id").string();
                if (!id.equals("A") && !(pair && id.equals("B"))) {
                    throw seq.get("id").error("is " + JsonField.quoted(id) + "; expected \"A\"" + (pair ? " or \"B\"" : ""));
                }
                if (id.equals("A")) {
                    a++;
                }
            } else {
                JsonField st = piece.required("SpecialToken");
                st.onlyFields("a template special token", Set.of("id", "type_id"));
                st.required("type_id").integer(Integer.MAX_VALUE);
                String id = st.required("id").string();
                if (!specials.containsKey(id)) {
                    throw st.get("id").error("is " + JsonField.quoted(id) + ", which special_tokens does not define");
                }
            }
        }
        if (!pair && a != 1) {
            throw template.error("must hold $A exactly once, found " + a);
        }
    }
}
