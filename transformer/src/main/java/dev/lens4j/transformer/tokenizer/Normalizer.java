package dev.lens4j.transformer.tokenizer;

import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * A {@code tokenizer.json} normaliser: rewrites the text between added tokens before it is
 * pre-tokenized, as Hugging Face's {@code normalizers} module does.
 */
sealed interface Normalizer {

    /**
     * @param t a piece of the input
     * @return the normalised piece
     */
    NormalizedText normalize(NormalizedText t);

    /** NFC, NFD, NFKC or NFKD. */
    record Unicode(java.text.Normalizer.Form form) implements Normalizer {
        @Override
        public NormalizedText normalize(NormalizedText t) {
            return t.normalize(form);
        }
    }

    /** Lower-cases every character on its own. */
    record Lowercase() implements Normalizer {
        @Override
        public NormalizedText normalize(NormalizedText t) {
            return t.lowercase();
        }
    }

    /** Puts a string in front of non-empty text (SentencePiece's dummy prefix "▁"). */
    record Prepend(String prepend) implements Normalizer {
        @Override
        public NormalizedText normalize(NormalizedText t) {
            return t.prepend(prepend);
        }
    }

    /** Replaces every match of a pattern (a literal string or a regex) with a string. */
    record Replace(Pattern pattern, String content) implements Normalizer {
        @Override
        public NormalizedText normalize(NormalizedText t) {
            return t.replaceAll(pattern, content);
        }
    }

    /** Strips whitespace from the left and/or right. */
    record Strip(boolean left, boolean right) implements Normalizer {
        @Override
        public NormalizedText normalize(NormalizedText t) {
            return t.strip(left, right);
        }
    }

    /** Maps every UTF-8 byte to its byte-level character. */
    record ByteLevelNormalizer() implements Normalizer {
        @Override
        public NormalizedText normalize(NormalizedText t) {
            return t.isEmpty() ? t : t.toByteLevel();
        }
    }

    /** Several normalisers in order. */
    record Sequence(List<Normalizer> normalizers) implements Normalizer {
        @Override
        public NormalizedText normalize(NormalizedText t) {
            for (Normalizer n : normalizers) {
                t = n.normalize(t);
            }
            return t;
        }
    }

    /**
     * Reads a normaliser from tokenizer.json.
     *
     * @param f the {@code normalizer} field (or an element of a Sequence's)
     * @return the normaliser, or null for JSON null
     * @throws TokenizerFileException for an unknown type or a malformed field, named
     */
    static Normalizer read(JsonField f) throws TokenizerFileException {
        if (f.isNull()) {
            return null;
        }
        String type = f.type();
        return switch (type) {
            case "NFC", "NFD", "NFKC", "NFKD" -> {
                f.onlyFields(type, Set.of("type"));
                yield new Unicode(java.text.Normalizer.Form.valueOf(type));
            }
            case "Lowercase" -> {
                f.onlyFields(type, Set.of("type"));
                yield new Lowercase();
            }
            case "Prepend" -> {
                f.onlyFields("Prepend", Set.of("type", "prepend"));
                yield new Prepend(f.required("prepend").string());
            }
            case "Replace" -> {
                f.onlyFields("Replace", Set.of("type", "pattern", "content"));
                yield new Replace(pattern(f.required("pattern")), f.required("content").string());
            }
            case "Strip" -> {
                f.onlyFields("Strip", Set.of("type", "strip_left", "strip_right"));
                yield new Strip(f.required("strip_left").bool(), f.required("strip_right").bool());
            }
            case "ByteLevel" -> {
                f.onlyFields("a ByteLevel normalizer", Set.of("type"));
                yield new ByteLevelNormalizer();
            }
            case "Sequence" -> {
                f.onlyFields("Sequence", Set.of("type", "normalizers"));
                yield new Sequence(f.sequence("normalizers", Normalizer::read));
            }
            default -> throw f.get("type").error("is " + JsonField.quoted(type) + ", a normalizer lens4j does not "
                    + "support (supported: NFC, NFD, NFKC, NFKD, Lowercase, Prepend, Replace, Strip, ByteLevel, Sequence)");
        };
    }

    /**
     * A Replace or Split pattern: {@code {"String": "..."}} (literal) or {@code {"Regex": "..."}} (Oniguruma).
     *
     * @param f the {@code pattern} field
     * @return the compiled pattern
     * @throws TokenizerFileException if it is neither, or the regex cannot be translated
     */
    static Pattern pattern(JsonField f) throws TokenizerFileException {
        f.onlyFields("a pattern", Set.of("String", "Regex"));
        if (f.object().size() != 1) {
            throw f.error("must have exactly one of \"String\" and \"Regex\"");
        }
        if (f.has("String")) {
            return Regexes.literal(f.required("String").string());
        }
        JsonField r = f.required("Regex");
        try {
            return Regexes.compile(r.string());
        } catch (IllegalArgumentException e) {
            throw r.error(e.getMessage());
        }
    }
}
