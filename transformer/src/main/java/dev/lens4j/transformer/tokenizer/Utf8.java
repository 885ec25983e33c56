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
     * Strict UTF-8 decoding, as Rust's {@code String::from_utf8}.
     *
     * @param b bytes
     * @param len how many of them to decode
     * @return the text, or null if the bytes are not well-formed UTF-8
     */
    static String decodeStrict(byte[] b, int len) {
        try {
            return java.nio.charset.StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(java.nio.charset.CodingErrorAction.REPORT)
                    .onUnmappableCharacter(java.nio.charset.CodingErrorAction.REPORT)
                    .decode(java.nio.ByteBuffer.wrap(b, 0, len))
                    .toString();
        } catch (java.nio.charset.CharacterCodingException e) {
            return null;
        }
    }

    /**
     * Writes the UTF-8 bytes of a code point.
     *
     * @param cp a code point that is not a surrogate
     * @param out at least 4 bytes
     * @return how many bytes were written
     */
    static int encode(int cp, byte[] out) {
        if (cp < 0x80) {
            out[0] = (byte) cp;
            return 1;
        }
        if (cp < 0x800) {
            out[0] = (byte) (0xC0 | (cp >> 6));
            out[1] = (byte) (0x80 | (cp & 0x3F));
            return 2;
        }
        if (cp < 0x10000) {
            out[0] = (byte) (0xE0 | (cp >> 12));
            out[1] = (byte) (0x80 | ((cp >> 6) & 0x3F));
            out[2] = (byte) (0x80 | (cp & 0x3F));
            return 3;
        }
        out[0] = (byte) (0xF0 | (cp >> 18));
        out[1] = (byte) (0x80 | ((cp >> 12) & 0x3F));
        out[2] = (byte) (0x80 | ((cp >> 6) & 0x3F));
        out[3] = (byte) (0x80 | (cp & 0x3F));
        return 4;
    }

    /**
     * Refuses text that has no UTF-8 encoding.
     *
     * @param text the text
     * @throws IllegalArgumentException naming the first unpaired surrogate and where it is
     */
    static void requireEncodable(String text) {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (Character.isSurrogate(c)) {
                if (Character.isHighSurrogate(c) && i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1))) {
                    i++;
                } else {
                    throw new IllegalArgumentException(String.format(
                            "text has an unpaired surrogate U+%04X at index %d; it has no UTF-8 encoding", (int) c, i));
                }
            }
        }
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
