package dev.lens4j.transformer.tokenizer;

import java.util.Arrays;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A piece of the input on its way through normalisers and pre-tokenizers, with where each of its
 * characters came from in the input: a small version of Hugging Face's {@code NormalizedString}.
 * Only one decision depends on those origins, a Metaspace pre-tokenizer with
 * {@code prepend_scheme: "first"}, which adds "▁" only to the piece that begins the input.
 *
 * @param text the current text
 * @param origin for each char of {@code text}, the index in the input of the character it came from;
 *     null when char i came from {@code shift + i} (text as it is in the input, the common case,
 *     which then needs no array)
 * @param shift where this piece begins in the input, Hugging Face's {@code original_shift}: set when
 *     the input is cut at added tokens and when a pre-tokenizer slices a piece, kept by normalisers
 */
record NormalizedText(String text, int[] origin, int shift) {

    /** The chars {@code [from, to)} of the input, as they are. */
    static NormalizedText of(String input, int from, int to) {
        return new NormalizedText(input.substring(from, to), null, from);
    }

    /** Where char i came from in the input. */
    int originAt(int i) {
        return origin == null ? shift + i : origin[i];
    }

    /** The origins as an array. */
    private int[] origins() {
        if (origin != null) {
            return origin;
        }
        int[] o = new int[text.length()];
        for (int i = 0; i < o.length; i++) {
            o[i] = shift + i;
        }
        return o;
    }

    boolean isEmpty() {
        return text.isEmpty();
    }

    int length() {
        return text.length();
    }

    /** The chars {@code [from, to)}, a new piece that begins where its first char came from. */
    NormalizedText slice(int from, int to) {
        if (origin == null) {
            return new NormalizedText(text.substring(from, to), null, shift + from);
        }
        return new NormalizedText(text.substring(from, to), Arrays.copyOfRange(origin, from, to),
                from < origin.length ? origin[from] : shift);
    }

    /** Puts a string in front; its chars take the origin of the first char. Nothing for empty text. */
    NormalizedText prepend(String s) {
        if (text.isEmpty()) {
            return this;
        }
        int[] old = origins();
        int[] o = new int[s.length() + old.length];
        Arrays.fill(o, 0, s.length(), old[0]);
        System.arraycopy(old, 0, o, s.length(), old.length);
        return new NormalizedText(s + text, o, shift);
    }

    /** Replaces every match of a pattern; the replacement's chars take the origin of the match's first char. */
    NormalizedText replaceAll(Pattern pattern, String content) {
        Matcher m = pattern.matcher(text);
        if (!Regexes.find(m, pattern)) {
            return this;
        }
        Builder b = new Builder(text.length() + content.length());
        int last = 0;
        do {
            b.appendSlice(this, last, m.start());
            b.append(content, originNear(m.start()));
            last = m.end();
        } while (Regexes.find(m, pattern));
        b.appendSlice(this, last, text.length());
        return b.build(shift);
    }

    /** Replaces every occurrence of one character with a string. */
    NormalizedText replaceChar(char c, String content) {
        if (text.indexOf(c) < 0) {
            return this;
        }
        Builder b = new Builder(text.length() + content.length() * 4);
        for (int i = 0; i < text.length(); i++) {
            if (text.charAt(i) == c) {
                b.append(content, originAt(i));
            } else {
                b.append(text.charAt(i), originAt(i));
            }
        }
        return b.build(shift);
    }

    /** The origin at i, or of the last char for i at the end. */
    private int originNear(int i) {
        return i < text.length() ? originAt(i) : text.isEmpty() ? shift : originAt(text.length() - 1);
    }

    /** Lower-cases each code point on its own (Rust's {@code char::to_lowercase}, so "İ" becomes "i̇"). */
    NormalizedText lowercase() {
        Builder b = new Builder(text.length());
        for (int i = 0; i < text.length(); ) {
            int cp = text.codePointAt(i);
            int n = Character.charCount(cp);
            b.append(new String(Character.toChars(cp)).toLowerCase(Locale.ROOT), originAt(i));
            i += n;
        }
        return b.build(shift);
    }

    /**
     * Unicode normalisation. Characters that do not combine with what precedes them start a new
     * cluster; each cluster is normalised on its own so its output keeps its origin. If that ever
     * gave a different text from normalising the whole (it should not), the whole is used and every
     * char takes the origin of the first.
     */
    NormalizedText normalize(java.text.Normalizer.Form form) {
        if (java.text.Normalizer.isNormalized(text, form)) {
            return this;
        }
        Builder b = new Builder(text.length() + 8);
        int start = 0;
        for (int i = 0; i <= text.length(); ) {
            int cp = i < text.length() ? text.codePointAt(i) : -1;
            if (i == text.length() || (i > start && startsCluster(cp))) {
                String part = java.text.Normalizer.normalize(text.substring(start, i), form);
                for (int k = 0; k < part.length(); k++) {
                    // the first output char keeps the cluster's origin; the others the next input char's
                    b.append(part.charAt(k), originAt(Math.min(start + (k == 0 ? 0 : 1), i - 1)));
                }
                start = i;
            }
            if (i == text.length()) {
                break;
            }
            i += Character.charCount(cp);
        }
        NormalizedText out = b.build(shift);
        String whole = java.text.Normalizer.normalize(text, form);
        if (!out.text.equals(whole)) {
            int[] o = new int[whole.length()];
            Arrays.fill(o, text.isEmpty() ? shift : originAt(0));
            return new NormalizedText(whole, o, shift);
        }
        return out;
    }

    /** Whether a code point never composes with the characters before it: not a mark, not a Hangul jamo. */
    private static boolean startsCluster(int cp) {
        int type = Character.getType(cp);
        if (type == Character.NON_SPACING_MARK || type == Character.COMBINING_SPACING_MARK
                || type == Character.ENCLOSING_MARK) {
            return false;
        }
        return !(cp >= 0x1100 && cp <= 0x11FF) && !(cp >= 0xA960 && cp <= 0xA97F) && !(cp >= 0xD7B0 && cp <= 0xD7FF)
                && !(cp >= 0x3131 && cp <= 0x318E);
    }

    /** Removes leading and/or trailing whitespace (Unicode White_Space, Rust's {@code char::is_whitespace}). */
    NormalizedText strip(boolean left, boolean right) {
        int from = 0;
        int to = text.length();
        while (left && from < to && Regexes.isWhiteSpace(text.codePointAt(from))) {
            from += Character.charCount(text.codePointAt(from));
        }
        while (right && to > from && Regexes.isWhiteSpace(text.codePointBefore(to))) {
            to -= Character.charCount(text.codePointBefore(to));
        }
        return from == 0 && to == text.length() ? this
                : new NormalizedText(text.substring(from, to), Arrays.copyOfRange(origins(), from, to), shift);
    }

    /**
     * Each UTF-8 byte of the text becomes its byte-level character ({@link ByteLevel}). The result
     * keeps the piece's shift but not per-char origins (byte i is taken to come from shift + i):
     * byte-level text is the model's input, and no supported pre-tokenizer looks at origins after
     * ByteLevel; this keeps the common path free of arrays.
     */
    NormalizedText toByteLevel() {
        StringBuilder b = new StringBuilder(text.length() + 8);
        byte[] buf = new byte[4];
        for (int i = 0; i < text.length(); ) {
            char c = text.charAt(i);
            if (c < 0x80) {
                b.append(ByteLevel.byteToChar(c));
                i++;
                continue;
            }
            int cp = text.codePointAt(i);
            int n = Utf8.encode(cp, buf);
            for (int k = 0; k < n; k++) {
                b.append(ByteLevel.byteToChar(buf[k]));
            }
            i += Character.charCount(cp);
        }
        return new NormalizedText(b.toString(), null, shift);
    }

    /** Accumulates text and origins. */
    private static final class Builder {
        private final StringBuilder text;
        private int[] origin;
        private int n;

        Builder(int capacity) {
            text = new StringBuilder(capacity);
            origin = new int[Math.max(capacity, 4)];
        }

        void append(char c, int from) {
            if (n == origin.length) {
                origin = Arrays.copyOf(origin, n * 2 + 4);
            }
            text.append(c);
            origin[n++] = from;
        }

        void append(String s, int from) {
            for (int i = 0; i < s.length(); i++) {
                append(s.charAt(i), from);
            }
        }

        void appendSlice(NormalizedText t, int from, int to) {
            for (int i = from; i < to; i++) {
                append(t.text.charAt(i), t.originAt(i));
            }
        }

        NormalizedText build(int shift) {
            return new NormalizedText(text.toString(), Arrays.copyOf(origin, n), shift);
        }
    }
}
