package dev.lens4j.transformer.tokenizer;

import java.util.Arrays;
import java.util.regex.Pattern;

/**
 * GPT-2's byte-level front end: the pre-tokenisation pattern and the reversible map from the 256
 * byte values to printable characters ({@code bytes_to_unicode} in OpenAI's {@code encoder.py},
 * the {@code ByteLevel} pre-tokenizer and decoder in Hugging Face's tokenizers).
 */
final class ByteLevel {

    /**
     * OpenAI's pre-tokenisation pattern
     * {@code 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+}, run by
     * Python's {@code regex} module. Java's {@code \s} is ASCII-only, while {@code regex}'s is
     * Unicode White_Space (it includes U+0085, U+00A0, U+2000..U+200A, U+3000, ...), so every
     * {@code \s} is written as {@code \p{IsWhite_Space}}. {@code \p{L}} and {@code \p{N}} are the
     * Unicode general categories in both. The contractions are case-sensitive in both, so
     * {@code "WE'RE"} splits as {@code WE ' RE}. {@code \s+(?!\S)} backtracks the same way in both:
     * in {@code "a   b"} it takes two spaces and leaves the third to join {@code " b"}.
     * The test {@code ByteLevelTest} checks the three classes code point by code point against
     * the {@code regex} module.
     */
    static final Pattern PRE_TOKENIZE = Pattern.compile(
            "'s|'t|'re|'ve|'m|'ll|'d"
                    + "| ?\\p{L}+"
                    + "| ?\\p{N}+"
                    + "| ?[^\\p{IsWhite_Space}\\p{L}\\p{N}]+"
                    + "|\\p{IsWhite_Space}+(?!\\P{IsWhite_Space})"
                    + "|\\p{IsWhite_Space}+");

    /** The printable character standing for each byte value. */
    private static final char[] BYTE_TO_CHAR = new char[256];

    /** The byte value of each character of {@link #BYTE_TO_CHAR}, -1 for other characters. */
    private static final int[] CHAR_TO_BYTE;

    static {
        // bytes_to_unicode: printable Latin-1 bytes stand for themselves, the other 68 bytes
        // (controls, space, DEL, NBSP, soft hyphen, ...) take U+0100, U+0101, ... in byte order.
        int next = 256;
        for (int b = 0; b < 256; b++) {
            boolean printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            BYTE_TO_CHAR[b] = (char) (printable ? b : next++);
        }
        CHAR_TO_BYTE = new int[next];
        Arrays.fill(CHAR_TO_BYTE, -1);
        for (int b = 0; b < 256; b++) {
            CHAR_TO_BYTE[BYTE_TO_CHAR[b]] = b;
        }
    }

    private ByteLevel() {
    }

    /**
     * @param b a byte value
     * @return the printable character that stands for it in byte-level tokens
     */
    static char byteToChar(int b) {
        return BYTE_TO_CHAR[b & 0xFF];
    }

    /**
     * @param c a character of a byte-level token
     * @return the byte value it stands for, or -1 if it stands for none
     */
    static int charToByte(char c) {
        return c < CHAR_TO_BYTE.length ? CHAR_TO_BYTE[c] : -1;
    }
}
