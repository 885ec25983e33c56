package dev.lens4j.transformer.tokenizer;

/**
 * Lenient UTF-8 decoding with one U+FFFD per maximal ill-formed subpart, the Unicode Standard's
 * recommended practice (chapter 3, "U+FFFD Substitution of Maximal Subparts") that Python's
 * {@code errors="replace"} and Rust's {@code from_utf8_lossy} (so Hugging Face's decoders) follow.
 * The JDK's decoder differs on some inputs: it replaces an encoded surrogate {@code ED A0 80}
 * with one U+FFFD where the others give three.
 */
final class Utf8 {

    private static final char REPLACEMENT = '\uFFFD';

    private Utf8() {
    }

    /**
     * @param b bytes
     * @param len how many of them to decode
     * @return the text, with U+FFFD for each maximal ill-formed subpart
     */
    static String decodeLossy(byte[] b, int len) {
        StringBuilder out = new StringBuilder(len);
        int i = 0;
        while (i < len) {
            int c = b[i] & 0xFF;
            if (c < 0x80) {
                out.append((char) c);
                i++;
                continue;
            }
            int need;
            int cp;
            int lower = 0x80;
            int upper = 0xBF;
            if (c >= 0xC2 && c <= 0xDF) {
                need = 1;
                cp = c & 0x1F;
            } else if (c >= 0xE0 && c <= 0xEF) {
                need = 2;
                cp = c & 0x0F;
                if (c == 0xE0) {
                    lower = 0xA0; // no overlong forms
                } else if (c == 0xED) {
                    upper = 0x9F; // no surrogates
                }
            } else if (c >= 0xF0 && c <= 0xF4) {
                need = 3;
                cp = c & 0x07;
                if (c == 0xF0) {
                    lower = 0x90; // no overlong forms
                } else if (c == 0xF4) {
                    upper = 0x8F; // nothing above U+10FFFF
                }
            } else {
                // A continuation byte without a lead, or a byte that never occurs in UTF-8.
                out.append(REPLACEMENT);
                i++;
                continue;
            }
            int j = i + 1;
            int got = 0;
            while (got < need && j < len) {
                int d = b[j] & 0xFF;
                if (d < lower || d > upper) {
                    break;
                }
                cp = (cp << 6) | (d & 0x3F);
                lower = 0x80;
                upper = 0xBF;
                j++;
                got++;
            }
            if (got == need) {
                out.appendCodePoint(cp);
            } else {
                out.append(REPLACEMENT); // the lead byte and the valid continuation bytes after it
            }
            i = j;
        }
        return out.toString();
    }
}
