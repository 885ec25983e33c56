package dev.lens4j.transformer.tokenizer;

import dev.lens4j.tensor.internal.Json;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;

import static org.assertj.core.api.Assertions.assertThat;

/** GPT-2's byte alphabet and pre-tokenisation pattern. */
class ByteLevelTest {

    @Test
    void bytesToUnicodeAsInEncoderPy() {
        // Printable Latin-1 stands for itself; the 68 others take U+0100.. in byte order.
        assertThat(ByteLevel.byteToChar('A')).isEqualTo('A');
        assertThat(ByteLevel.byteToChar(0xE9)).isEqualTo('\u00E9');
        assertThat(ByteLevel.byteToChar(0x00)).isEqualTo('\u0100');
        assertThat(ByteLevel.byteToChar('\n')).isEqualTo('\u010A'); // "Ċ"
        assertThat(ByteLevel.byteToChar(' ')).isEqualTo('\u0120'); // "Ġ"
        assertThat(ByteLevel.byteToChar(0x7F)).isEqualTo('\u0121');
        assertThat(ByteLevel.byteToChar(0xA0)).isEqualTo('\u0142');
        assertThat(ByteLevel.byteToChar(0xAD)).isEqualTo('\u0143');
        Set<Character> seen = new HashSet<>();
        for (int b = 0; b < 256; b++) {
            char c = ByteLevel.byteToChar(b);
            assertThat(seen.add(c)).as("byte %d", b).isTrue();
            assertThat(ByteLevel.charToByte(c)).isEqualTo(b);
        }
        assertThat(ByteLevel.charToByte(' ')).isEqualTo(-1);
        assertThat(ByteLevel.charToByte('\u0144')).isEqualTo(-1);
        assertThat(ByteLevel.charToByte('日')).isEqualTo(-1);
    }

    @Test
    void preTokenizesLikeEncoderPy() {
        assertThat(split("Hello world")).containsExactly("Hello", " world");
        assertThat(split("a   b")).containsExactly("a", "  ", " b");
        assertThat(split("a\n\nb")).containsExactly("a", "\n", "\n", "b");
        assertThat(split("x  \n\n  ")).containsExactly("x", "  \n\n  ");
        assertThat(split("I'M we're")).containsExactly("I", "'", "M", " we", "'re");
        assertThat(split("x\u00A0\u00A0y")).containsExactly("x", "\u00A0", "\u00A0", "y");
        assertThat(split(" 42!! 😀")).containsExactly(" 42", "!!", " 😀");
    }

    /**
     * The pattern's character classes against Python's regex module, every code point. The
     * classes are probed through the pattern itself: {@code "\t" + c} is one piece only if c is
     * whitespace, {@code "a" + c} only if c is a letter, {@code "0" + c} only if c is a number.
     * Code points the JDK's Unicode version has not assigned yet are skipped (the regex module
     * may know a newer Unicode).
     */
    @Test
    void characterClassesMatchPythonRegex() {
        Map<String, Object> ref = Json.parseObject(Gpt2Fixtures.resource("gpt2-pretokenizer-classes.json"));
        BitSet white = HfFixtures.bits(ref.get("whitespace"));
        BitSet letter = HfFixtures.bits(ref.get("letter"));
        BitSet number = HfFixtures.bits(ref.get("number"));
        Matcher m = ByteLevel.PRE_TOKENIZE.matcher("");
        List<String> mismatches = new ArrayList<>();
        int newer = 0; // in a class for Python, unassigned for the JDK
        for (int cp = 0; cp <= Character.MAX_CODE_POINT; cp++) {
            if (Character.getType(cp) == Character.UNASSIGNED || Character.getType(cp) == Character.SURROGATE) {
                if (white.get(cp) || letter.get(cp) || number.get(cp)) {
                    newer++;
                }
                continue;
            }
            String c = Character.toString(cp);
            check(m, "\t", c, white.get(cp), "whitespace", cp, mismatches);
            check(m, "a", c, letter.get(cp), "letter", cp, mismatches);
            check(m, "0", c, number.get(cp), "number", cp, mismatches);
        }
        assertThat(mismatches).isEmpty();
        // Unicode 17 (Python's regex module here) added about 5,000 letters that JDK 25 (Unicode 16)
        // does not know yet; text using them would pre-tokenise differently.
        assertThat(newer).as("code points in a class only in the newer Unicode").isLessThan(6_000);
    }

    private static void check(Matcher m, String first, String c, boolean expected, String cls, int cp,
                              List<String> mismatches) {
        m.reset(first + c);
        boolean onePiece = m.find() && m.end() == first.length() + c.length();
        if (onePiece != expected && mismatches.size() < 20) {
            mismatches.add(String.format("U+%04X %s: Python %b, Java %b", cp, cls, expected, onePiece));
        }
    }

    private static List<String> split(String text) {
        List<String> out = new ArrayList<>();
        Matcher m = ByteLevel.PRE_TOKENIZE.matcher(text);
        while (m.find()) {
            out.add(m.group());
        }
        return out;
    }
}
