package dev.lens4j.transformer.tokenizer;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads Hugging Face's {@code tokenizer.json} into a {@link Pipeline}. Everything that would change
 * the ids or the decoded text is either implemented as the tokenizers library does it or refused
 * with a {@link TokenizerFileException} naming the field: an unknown component type, an unknown
 * field, a BPE model with dropout, an added token whose id Hugging Face would assign differently.
 * {@code truncation} and {@code padding} are read past: they shape batches in transformers, not the
 * ids of one text.
 */
final class TokenizerJson {

    private static final Set<String> TOP_LEVEL = Set.of("version", "truncation", "padding", "added_tokens",
            "normalizer", "pre_tokenizer", "post_processor", "decoder", "model");

    private static final Set<String> BPE_FIELDS = Set.of("type", "dropout", "unk_token", "continuing_subword_prefix",
            "end_of_word_suffix", "fuse_unk", "byte_fallback", "ignore_merges", "vocab", "merges");

    private TokenizerJson() {
    }

    /**
     * @param name the file, for messages
     * @param bytes its content
     * @param configSpecials the special tokens of tokenizer_config.json (empty without one): as
     *     transformers does, each becomes an added token that is special and not normalised
     * @return the pipeline
     * @throws TokenizerFileException naming the file and the fault
     */
    static Pipeline read(String name, byte[] bytes, List<String> configSpecials) throws TokenizerFileException {
        JsonField root = JsonField.parse(name, bytes);
        root.onlyFields("tokenizer.json", TOP_LEVEL);
        JsonField version = root.get("version");
        if (!version.isNull() && !"1.0".equals(version.string())) {
            throw version.error("is " + JsonField.quoted(version.string()) + "; only format \"1.0\" is known");
        }
        Normalizer normalizer = Normalizer.read(root.get("normalizer"));
        PreTokenizer preTokenizer = PreTokenizer.read(root.get("pre_tokenizer"));
        Decoder decoder = Decoder.read(root.get("decoder"));

        JsonField model = root.required("model");
        model.object();
        JsonField type = model.get("type");
        if (type.isNull() ? !model.has("merges") : !"BPE".equals(type.string())) {
            throw (type.isNull() ? model : type).error(type.isNull() ? "has no type and is not a BPE model"
                    : "is " + JsonField.quoted(type.string()) + ", a model lens4j does not support (supported: BPE)");
        }
        model.onlyFields("a BPE model", BPE_FIELDS);
        JsonField dropout = model.get("dropout");
        if (!dropout.isNull() && !(dropout.value() instanceof Number d && d.doubleValue() == 0)) {
            throw dropout.error("is " + JsonField.describe(dropout.value())
                    + "; only deterministic BPE (dropout null or 0) is supported");
        }
        String prefix = emptyToNull(model.get("continuing_subword_prefix").stringOrNull());
        String suffix = emptyToNull(model.get("end_of_word_suffix").stringOrNull());
        BpeFiles.Vocab vocab = BpeFiles.vocab(model.required("vocab"));
        MergeTable merges = BpeFiles.mergeTable(vocab, BpeFiles.mergesJson(model.required("merges")), prefix, name);
        int unk = -1;
        JsonField unkField = model.get("unk_token");
        if (!unkField.isNull()) {
            unk = vocab.id(unkField.string());
            if (unk < 0) {
                throw unkField.error("is " + JsonField.quoted(unkField.string()) + ", which is not in model.vocab");
            }
        }
        Bpe bpe = new Bpe(vocab.byId(), vocab.ids(), merges, unk, model.get("fuse_unk").bool(false),
                model.get("byte_fallback").bool(false), model.get("ignore_merges").bool(false), prefix, suffix, name);

        List<AddedVocabulary.Token> tokens = addedTokens(root.get("added_tokens"), vocab);
        for (String special : configSpecials) {
            int at = -1;
            for (int k = 0; k < tokens.size(); k++) {
                if (tokens.get(k).content().equals(special)) {
                    at = k;
                }
            }
            int id = at >= 0 ? tokens.get(at).id() : vocab.id(special);
            if (id >= 0) {
                AddedVocabulary.Token t = new AddedVocabulary.Token(id, special, false, false, false, false, true);
                if (at >= 0) {
                    AddedVocabulary.Token old = tokens.get(at);
                    tokens.set(at, new AddedVocabulary.Token(id, special, old.singleWord(), old.lstrip(), old.rstrip(),
                            false, true));
                } else {
                    tokens.add(t);
                }
            }
        }
        AddedVocabulary added = new AddedVocabulary(tokens, normalizer);
        Set<Integer> addedIds = new java.util.HashSet<>();
        for (AddedVocabulary.Token t : added.tokens()) {
            addedIds.add(t.id());
        }
        PostProcessor post = PostProcessor.read(root.get("post_processor"),
                id -> addedIds.contains(id) || (id >= 0 && id < vocab.byId().length && vocab.byId()[id] != null));
        return new Pipeline(added, normalizer, preTokenizer, bpe, decoder, post, name);
    }

    private static String emptyToNull(String s) {
        return s == null || s.isEmpty() ? null : s;
    }

    /**
     * added_tokens, with the ids Hugging Face's tokenizers gives them: a token in model.vocab keeps
     * its id there, a repeated one its first id, and the others the next ids after model.vocab's
     * count in file order. tokenizers only warns when the file says otherwise and uses its own ids;
     * lens4j refuses the file, since its ids and the model's embedding rows would disagree.
     */
    private static List<AddedVocabulary.Token> addedTokens(JsonField f, BpeFiles.Vocab vocab)
            throws TokenizerFileException {
        List<AddedVocabulary.Token> out = new ArrayList<>();
        if (f.isNull()) {
            return out;
        }
        Map<String, Integer> seen = new HashMap<>();
        int next = vocab.ids().size();
        for (JsonField t : f.list()) {
            t.onlyFields("an added token", Set.of("id", "content", "single_word", "lstrip", "rstrip", "normalized",
                    "special"));
            JsonField contentField = t.required("content");
            String content = contentField.string();
            if (content.isEmpty()) {
                throw contentField.error("is empty");
            }
            JsonField idField = t.required("id");
            int id = idField.integer(BpeFiles.MAX_ID);
            boolean special = t.get("special").bool(false);
            int expected;
            String why;
            if (vocab.id(content) >= 0) {
                expected = vocab.id(content);
                why = "model.vocab gives it id " + expected;
            } else if (seen.containsKey(content)) {
                expected = seen.get(content);
                why = "an earlier added token gives it id " + expected;
            } else {
                expected = next++;
                why = "Hugging Face's tokenizers gives it id " + expected + " (new added tokens take the ids after "
                        + "model.vocab's " + vocab.ids().size() + " entries, in file order)";
                if (expected < vocab.byId().length && vocab.byId()[expected] != null) {
                    throw idField.error("is " + id + ", but " + why + ", which model.vocab already gives to "
                            + JsonField.quoted(vocab.byId()[expected]));
                }
            }
            if (id != expected) {
                throw idField.error("is " + id + " for " + JsonField.quoted(content) + ", but " + why);
            }
            seen.put(content, id);
            out.removeIf(earlier -> earlier.content().equals(content)); // a repeat replaces it, as in tokenizers
            out.add(new AddedVocabulary.Token(id, content, t.get("single_word").bool(false), t.get("lstrip").bool(false),
                    t.get("rstrip").bool(false), t.get("normalized").bool(!special), special));
        }
        return out;
    }
}
