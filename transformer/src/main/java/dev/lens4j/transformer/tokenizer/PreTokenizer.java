package dev.lens4j.transformer.tokenizer;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.IntPredicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A {@code tokenizer.json} pre-tokenizer: cuts a normalised piece into the pieces the model
 * tokenizes one by one, possibly rewriting them, as Hugging Face's {@code pre_tokenizers} module does.
 * Empty pieces are dropped, as in {@code PreTokenizedString::split}.
 */
sealed interface PreTokenizer {

    /**
     * @param t a non-empty normalised piece
     * @param out receives its pieces, in order
     */
    void split(NormalizedText t, List<NormalizedText> out);

    /**
     * GPT-2's: an optional space in front, GPT-2's regex (optional), then every UTF-8 byte as its
     * byte-level character.
     */
    record ByteLevel(boolean addPrefixSpace, boolean useRegex) implements PreTokenizer {
        @Override
        public void split(NormalizedText t, List<NormalizedText> out) {
            if (addPrefixSpace && !t.text().startsWith(" ")) {
                t = t.prepend(" ");
            }
            if (!useRegex) {
                out.add(t.toByteLevel());
                return;
            }
            // Isolated: every match and every gap between matches is a piece (the common path, so
            // without the intermediate lists of Behavior).
            Pattern p = dev.lens4j.transformer.tokenizer.ByteLevel.PRE_TOKENIZE;
            Matcher m = p.matcher(t.text());
            int prev = 0;
            while (Regexes.find(m, p)) {
                if (prev < m.start()) {
                    out.add(t.slice(prev, m.start()).toByteLevel());
                }
                if (m.start() < m.end()) {
                    out.add(t.slice(m.start(), m.end()).toByteLevel());
                }
                prev = m.end();
            }
            if (prev < t.length()) {
                out.add(t.slice(prev, t.length()).toByteLevel());
            }
        }
    }

    /** Cuts at the matches of a pattern, keeping or dropping them as the behaviour says. */
    record Split(Pattern pattern, Behavior behavior, boolean invert) implements PreTokenizer {
        @Override
        public void split(NormalizedText t, List<NormalizedText> out) {
            behavior.split(t, Behavior.matches(t.text(), pattern, invert), out);
        }
    }

    /**
     * SentencePiece's spaces: every " " becomes the replacement ("▁"), one is put in front as the
     * scheme says ("always", "never", or "first": only for the piece that begins the input), then
     * optionally a cut before every replacement.
     */
    record Metaspace(int replacement, Scheme scheme, boolean split) implements PreTokenizer {
        @Override
        public void split(NormalizedText t, List<NormalizedText> out) {
            String rep = new String(Character.toChars(replacement));
            t = t.replaceChar(' ', rep);
            boolean prepend = switch (scheme) {
                case ALWAYS -> true;
                case FIRST -> t.shift() == 0;
                case NEVER -> false;
            };
            if (prepend && !t.text().startsWith(rep)) {
                t = t.prepend(rep);
            }
            if (split) {
                Behavior.MERGED_WITH_NEXT.split(t, Behavior.matches(t.text(), cp -> cp == replacement), out);
            } else if (!t.isEmpty()) {
                out.add(t);
            }
        }
    }

    /** Where Metaspace puts a replacement in front. */
    enum Scheme { ALWAYS, FIRST, NEVER }

    /** Cuts around numeric characters (Unicode N), each on its own or as runs. */
    record Digits(boolean individualDigits) implements PreTokenizer {
        @Override
        public void split(NormalizedText t, List<NormalizedText> out) {
            List<int[]> m = Behavior.matches(t.text(), cp -> {
                int type = Character.getType(cp);
                return type == Character.DECIMAL_DIGIT_NUMBER || type == Character.LETTER_NUMBER
                        || type == Character.OTHER_NUMBER;
            });
            (individualDigits ? Behavior.ISOLATED : Behavior.CONTIGUOUS).split(t, m, out);
        }
    }

    /** Several pre-tokenizers, each applied to every piece of the previous one. */
    record Sequence(List<PreTokenizer> preTokenizers) implements PreTokenizer {
        @Override
        public void split(NormalizedText t, List<NormalizedText> out) {
            List<NormalizedText> pieces = List.of(t);
            for (PreTokenizer p : preTokenizers) {
                List<NormalizedText> next = new ArrayList<>();
                for (NormalizedText piece : pieces) {
                    p.split(piece, next);
                }
                pieces = next;
            }
            out.addAll(pieces);
        }
    }

    /** Hugging Face's {@code SplitDelimiterBehavior}: what becomes of the matches when cutting. */
    enum Behavior {
        /** Matches are dropped. */
        REMOVED("Removed"),
        /** Matches are pieces of their own. */
        ISOLATED("Isolated"),
        /** A match joins the piece before it. */
        MERGED_WITH_PREVIOUS("MergedWithPrevious"),
        /** A match joins the piece after it. */
        MERGED_WITH_NEXT("MergedWithNext"),
        /** Consecutive matches form one piece. */
        CONTIGUOUS("Contiguous");

        /** The name in tokenizer.json. */
        final String json;

        Behavior(String json) {
            this.json = json;
        }

        /**
         * Hugging Face's {@code find_matches} for a regex: the text as consecutive ranges
         * {start, end, 1 if a match}; empty text is one empty non-match.
         */
        static List<int[]> matches(String text, Pattern p, boolean invert) {
            List<int[]> out = new ArrayList<>();
            if (text.isEmpty()) {
                out.add(new int[] {0, 0, invert ? 1 : 0});
                return out;
            }
            int m1 = invert ? 0 : 1;
            int m0 = 1 - m1;
            Matcher m = p.matcher(text);
            int prev = 0;
            while (Regexes.find(m, p)) {
                if (prev != m.start()) {
                    out.add(new int[] {prev, m.start(), m0});
                }
                out.add(new int[] {m.start(), m.end(), m1});
                prev = m.end();
            }
            if (prev != text.length()) {
                out.add(new int[] {prev, text.length(), m0});
            }
            return out;
        }

        /** {@code find_matches} for a character predicate: each matching character on its own. */
        static List<int[]> matches(String text, IntPredicate isMatch) {
            List<int[]> out = new ArrayList<>();
            if (text.isEmpty()) {
                out.add(new int[] {0, 0, 0});
                return out;
            }
            int last = 0;
            for (int i = 0; i < text.length(); ) {
                int cp = text.codePointAt(i);
                int n = Character.charCount(cp);
                if (isMatch.test(cp)) {
                    if (last < i) {
                        out.add(new int[] {last, i, 0});
                    }
                    out.add(new int[] {i, i + n, 1});
                    last = i + n;
                }
                i += n;
            }
            if (last < text.length()) {
                out.add(new int[] {last, text.length(), 0});
            }
            return out;
        }

        /** {@code NormalizedString::split}: the pieces of t for these matches, non-empty ones to out. */
        void split(NormalizedText t, List<int[]> matches, List<NormalizedText> out) {
            List<int[]> pieces = new ArrayList<>(); // {start, end, removed}
            switch (this) {
                case ISOLATED -> {
                    for (int[] m : matches) {
                        pieces.add(new int[] {m[0], m[1], 0});
                    }
                }
                case REMOVED -> pieces.addAll(matches);
                case CONTIGUOUS -> {
                    boolean previous = false;
                    for (int[] m : matches) {
                        boolean isMatch = m[2] == 1;
                        if (isMatch == previous && !pieces.isEmpty()) {
                            pieces.getLast()[1] = m[1];
                        } else {
                            pieces.add(new int[] {m[0], m[1], 0});
                        }
                        previous = isMatch;
                    }
                }
                case MERGED_WITH_PREVIOUS -> {
                    boolean previous = false;
                    for (int[] m : matches) {
                        boolean isMatch = m[2] == 1;
                        if (isMatch && !previous && !pieces.isEmpty()) {
                            pieces.getLast()[1] = m[1];
                        } else {
                            pieces.add(new int[] {m[0], m[1], 0});
                        }
                        previous = isMatch;
                    }
                }
                case MERGED_WITH_NEXT -> {
                    boolean previous = false;
                    for (int k = matches.size() - 1; k >= 0; k--) {
                        int[] m = matches.get(k);
                        boolean isMatch = m[2] == 1;
                        if (isMatch && !previous && !pieces.isEmpty()) {
                            pieces.getLast()[0] = m[0];
                        } else {
                            pieces.add(new int[] {m[0], m[1], 0});
                        }
                        previous = isMatch;
                    }
                    java.util.Collections.reverse(pieces);
                }
            }
            for (int[] p : pieces) {
                if (p[2] == 0 && p[1] > p[0]) {
                    out.add(t.slice(p[0], p[1]));
                }
            }
        }
    }

    /**
     * Reads a pre-tokenizer from tokenizer.json.
     *
     * @param f the {@code pre_tokenizer} field (or an element of a Sequence's)
     * @return the pre-tokenizer, or null for JSON null
     * @throws TokenizerFileException for an unknown type or a malformed field, named
     */
    static PreTokenizer read(JsonField f) throws TokenizerFileException {
        if (f.isNull()) {
            return null;
        }
        String type = f.type();
        return switch (type) {
            case "ByteLevel" -> {
                f.onlyFields("a ByteLevel pre-tokenizer", Set.of("type", "add_prefix_space", "trim_offsets", "use_regex"));
                f.required("trim_offsets").bool(); // offsets only; lens4j returns ids
                yield new ByteLevel(f.required("add_prefix_space").bool(), f.get("use_regex").bool(true));
            }
            case "Split" -> {
                f.onlyFields("a Split pre-tokenizer", Set.of("type", "pattern", "behavior", "invert"));
                yield new Split(Normalizer.pattern(f.required("pattern")), behavior(f.required("behavior")),
                        f.required("invert").bool());
            }
            case "Metaspace" -> readMetaspace(f);
            case "Digits" -> {
                f.onlyFields("a Digits pre-tokenizer", Set.of("type", "individual_digits"));
                yield new Digits(f.required("individual_digits").bool());
            }
            case "Sequence" -> {
                f.onlyFields("a Sequence pre-tokenizer", Set.of("type", "pretokenizers"));
                yield new Sequence(f.sequence("pretokenizers", PreTokenizer::read));
            }
            default -> throw f.get("type").error("is " + JsonField.quoted(type) + ", a pre-tokenizer lens4j does not "
                    + "support (supported: ByteLevel, Split, Metaspace, Digits, Sequence)");
        };
    }

    /** Metaspace, as Hugging Face reads it (also used for the Metaspace decoder). */
    static Metaspace readMetaspace(JsonField f) throws TokenizerFileException {
        f.onlyFields("Metaspace", Set.of("type", "replacement", "add_prefix_space", "prepend_scheme", "split", "str_rep"));
        int replacement = f.required("replacement").character();
        JsonField s = f.get("prepend_scheme");
        Scheme scheme = Scheme.ALWAYS;
        if (!s.isNull()) {
            scheme = switch (s.string()) {
                case "always" -> Scheme.ALWAYS;
                case "first" -> Scheme.FIRST;
                case "never" -> Scheme.NEVER;
                default -> throw s.error("is " + JsonField.quoted(s.string()) + "; expected \"always\", \"first\" or \"never\"");
            };
        }
        JsonField legacy = f.get("add_prefix_space"); // older files: false means "never"
        if (!legacy.isNull() && !legacy.bool()) {
            if (!s.isNull() && scheme != Scheme.NEVER) {
                throw legacy.error("is false but prepend_scheme is " + JsonField.quoted(s.string())
                        + " (Hugging Face refuses this too)");
            }
            scheme = Scheme.NEVER;
        }
        f.get("str_rep").stringOrNull();
        return new Metaspace(replacement, scheme, f.get("split").bool(true));
    }

    private static Behavior behavior(JsonField f) throws TokenizerFileException {
        String b = f.string();
        for (Behavior v : Behavior.values()) {
            if (v.json.equals(b)) {
                return v;
            }
        }
        throw f.error("is " + JsonField.quoted(b)
                + "; expected \"Removed\", \"Isolated\", \"MergedWithPrevious\", \"MergedWithNext\" or \"Contiguous\"");
    }
}
