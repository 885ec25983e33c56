package dev.lens4j.transformer.tokenizer;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What lens4j reads from transformers' {@code tokenizer_config.json}: the names of the special
 * tokens and whether transformers adds BOS / EOS around every text. Other keys (chat templates,
 * lengths, class names) do not change ids and are not read; {@code added_tokens_decoder}, when
 * present, is checked against tokenizer.json's added tokens.
 *
 * @param file the file, for messages
 * @param bos {@code bos_token}, or null
 * @param eos {@code eos_token}, or null
 * @param unk {@code unk_token}, or null
 * @param pad {@code pad_token}, or null
 * @param addBos {@code add_bos_token}, or null when absent
 * @param addEos {@code add_eos_token}, or null when absent
 * @param extraSpecial {@code additional_special_tokens} (or transformers 5's {@code extra_special_tokens})
 * @param addedTokensDecoder {@code added_tokens_decoder}: id to the added token transformers expects
 */
record TokenizerConfig(String file, String bos, String eos, String unk, String pad, Boolean addBos, Boolean addEos,
                       List<String> extraSpecial, Map<Integer, AddedVocabulary.Token> addedTokensDecoder) {

    /**
     * @param file the file, for messages
     * @param bytes its content
     * @return the values
     * @throws TokenizerFileException naming the file and the key at fault
     */
    static TokenizerConfig read(String file, byte[] bytes) throws TokenizerFileException {
        JsonField root = JsonField.parse(file, bytes);
        root.object();
        List<String> extra = new ArrayList<>();
        for (String key : List.of("additional_special_tokens", "extra_special_tokens")) {
            JsonField f = root.get(key);
            if (f.isNull()) {
                continue;
            }
            List<JsonField> entries = new ArrayList<>();
            if (f.value() instanceof Map) {
                for (String k : f.object().keySet()) {
                    entries.add(f.get(k));
                }
            } else {
                entries.addAll(f.list());
            }
            for (JsonField e : entries) {
                String name = tokenName(e);
                if (name == null) {
                    throw e.error("is null; expected a token's text");
                }
                extra.add(name);
            }
        }
        Map<Integer, AddedVocabulary.Token> decoder = new LinkedHashMap<>();
        JsonField atd = root.get("added_tokens_decoder");
        if (!atd.isNull()) {
            for (String k : atd.object().keySet()) {
                JsonField t = atd.get(k);
                int id;
                try {
                    id = Integer.parseInt(k);
                } catch (NumberFormatException e) {
                    throw t.error("is keyed by " + JsonField.quoted(k) + ", not by a token id");
                }
                if (id < 0) {
                    throw t.error("is keyed by a negative id");
                }
                boolean special = t.get("special").bool(false);
                decoder.put(id, new AddedVocabulary.Token(id, t.required("content").string(),
                        t.get("single_word").bool(false), t.get("lstrip").bool(false), t.get("rstrip").bool(false),
                        t.get("normalized").bool(!special), special));
            }
        }
        return new TokenizerConfig(file, tokenName(root.get("bos_token")), tokenName(root.get("eos_token")),
                tokenName(root.get("unk_token")), tokenName(root.get("pad_token")), optionalBool(root.get("add_bos_token")),
                optionalBool(root.get("add_eos_token")), List.copyOf(extra), decoder);
    }

    /** A special token: null, its text, or an AddedToken object with {@code content}. */
    private static String tokenName(JsonField f) throws TokenizerFileException {
        if (f.isNull()) {
            return null;
        }
        if (f.value() instanceof String s) {
            return s;
        }
        if (f.value() instanceof Map) {
            return f.required("content").string();
        }
        throw f.error("must be a token's text or an object with \"content\", found " + JsonField.describe(f.value()));
    }

    private static Boolean optionalBool(JsonField f) throws TokenizerFileException {
        return f.isNull() ? null : f.bool();
    }

    /** @return the special tokens transformers adds again as special and not normalised */
    List<String> specialTexts() {
        List<String> out = new ArrayList<>();
        for (String s : new String[] {bos, eos, unk, pad}) {
            if (s != null) {
                out.add(s);
            }
        }
        out.addAll(extraSpecial);
        return out;
    }
}
