package dev.lens4j.tensor.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class JsonTest {

    @Test
    void parsesValuesOfEveryTypeKeepingKeyOrder() {
        Map<String, Object> m = Json.parseObject(" {\"z\": 1, \"a\": [true, false, null, \"s\"], \"m\": {}, \"e\": []} ");
        assertThat(m.keySet()).containsExactly("z", "a", "m", "e");
        assertThat(m.get("z")).isEqualTo(1L);
        assertThat(m.get("a")).isEqualTo(java.util.Arrays.asList(true, false, null, "s"));
        assertThat(m.get("m")).isEqualTo(Map.of());
        assertThat(m.get("e")).isEqualTo(List.of());
    }

    @Test
    void decodesEscapes() {
        assertThat(Json.parse("\"\\\" \\\\ \\/ \\b \\f \\n \\r \\t\"")).isEqualTo("\" \\ / \b \f \n \r \t");
        assertThat(Json.parse("\"\\u00e9\\u00C9\\u4e2d\"")).isEqualTo("éÉ中");
        assertThat(Json.parse("\"\\u0000\"")).isEqualTo("\0");
        assertThat(Json.parse("\"caf\u00e9 raw\"")).isEqualTo("café raw");
    }

    @Test
    void joinsSurrogatePairs() {
        // U+1F600 GRINNING FACE is the pair D83D DE00.
        String s = (String) Json.parse("\"a\\uD83D\\uDE00b\"");
        assertThat(s).isEqualTo("a" + Character.toString(0x1F600) + "b");
        assertThat(s.codePointAt(1)).isEqualTo(0x1F600);
        // A raw (unescaped) pair is fine too.
        assertThat(Json.parse("\"" + Character.toString(0x1F600) + "\"")).isEqualTo(Character.toString(0x1F600));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', quoteCharacter = '`', value = {
        "\"\\uD83D\"            | 1 | unpaired high surrogate",
        "\"\\uD83Dx\"           | 1 | unpaired high surrogate",
        "\"\\uD83D\\u0041\"     | 1 | not by a low surrogate",
        "\"\\uDE00\"            | 1 | unpaired low surrogate",
        "\"\\u12G4\"            | 5 | bad hex digit 'G'",
        "\"\\u-123\"            | 3 | bad hex digit '-'",
        "\"\\u+123\"            | 3 | bad hex digit '+'",
        "\"\\u12\"              | 3 | short \\u escape",
        "\"\\x\"                | 1 | bad escape \\x",
        "\"abc                  | 4 | unterminated string",
    })
    void rejectsBadStringsWithOffsets(String json, int offset, String message) {
        assertThatThrownBy(() -> Json.parse(json))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("at offset " + offset + ":")
                .hasMessageContaining(message);
    }

    @Test
    void rejectsControlCharactersAndRawLoneSurrogates() {
        assertThatThrownBy(() -> Json.parse("\"a\nb\""))
                .hasMessageContaining("at offset 2: control character U+000A");
        assertThatThrownBy(() -> Json.parse("\"a\uD800\""))
                .hasMessageContaining("at offset 2: unpaired surrogate U+D800");
    }

    @Test
    void parsesNumbers() {
        assertThat(Json.parse("0")).isEqualTo(0L);
        assertThat(Json.parse("-0")).isEqualTo(0L);
        assertThat(Json.parse("123")).isEqualTo(123L);
        assertThat(Json.parse("-9223372036854775808")).isEqualTo(Long.MIN_VALUE);
        assertThat(Json.parse("9223372036854775808")).isEqualTo(9.223372036854775808e18); // past long: double
        assertThat(Json.parse("2.5")).isEqualTo(2.5);
        assertThat(Json.parse("-1.5e3")).isEqualTo(-1500.0);
        assertThat(Json.parse("1E2")).isEqualTo(100.0);
        assertThat(Json.parse("1e-2")).isEqualTo(0.01);
        assertThat(Json.parse("1e+2")).isEqualTo(100.0);
        assertThat(Json.parse("0.0")).isEqualTo(0.0);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', quoteCharacter = '`', value = {
        "01      | 1 | leading zero",
        "-01     | 2 | leading zero",
        "1.      | 2 | after the decimal point",
        ".5      | 0 | unexpected character '.'",
        "+1      | 0 | unexpected character '+'",
        "-       | 1 | expected a digit",
        "-a      | 1 | expected a digit",
        "1e      | 2 | in the exponent",
        "1e+     | 3 | in the exponent",
        "1.5.2   | 3 | trailing",
        "1-2     | 1 | trailing",
        "1e999   | 0 | out of the range of a double",
        "NaN     | 0 | unexpected character 'N'",
        "Infinity| 0 | unexpected character 'I'",
    })
    void rejectsBadNumbersWithOffsets(String json, int offset, String message) {
        assertThatThrownBy(() -> Json.parse(json))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("at offset " + offset + ":")
                .hasMessageContaining(message);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', quoteCharacter = '`', value = {
        "{\"a\":1,\"a\":2}    | 7  | duplicate key \"a\"",
        "{\"a\":1,}           | 7  | expected a string key",
        "{\"a\" 1}            | 5  | expected ':'",
        "{\"a\":1 \"b\":2}    | 7  | expected ',' or '}'",
        "[1,]                 | 3  | unexpected character ']'",
        "[1 2]                | 3  | expected ',' or ']'",
        "[1                   | 2  | unexpected end of input in array",
        "{                    | 1  | expected a string key",
        "tru                  | 0  | expected true",
        "nul                  | 0  | expected null",
        "{} x                 | 3  | trailing",
    })
    void rejectsStructuralErrorsWithOffsets(String json, int offset, String message) {
        assertThatThrownBy(() -> Json.parse(json))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("at offset " + offset + ":")
                .hasMessageContaining(message);
    }

    @Test
    void emptyAndBlankInputAreErrors() {
        assertThatThrownBy(() -> Json.parse("")).hasMessageContaining("at offset 0: unexpected end of input");
        assertThatThrownBy(() -> Json.parse("   ")).hasMessageContaining("at offset 3: unexpected end of input");
    }

    @Test
    void duplicateKeysAreRejectedAtAnyDepth() {
        assertThatThrownBy(() -> Json.parse("{\"x\": {\"k\": 1, \"k\": 1}}"))
                .hasMessageContaining("duplicate key \"k\"");
        // The same key in sibling objects is fine.
        assertThat(Json.parse("[{\"k\": 1}, {\"k\": 2}]")).isEqualTo(List.of(Map.of("k", 1L), Map.of("k", 2L)));
    }

    @Test
    void limitsNestingDepthInsteadOfOverflowingTheStack() {
        String ok = "[".repeat(Json.MAX_DEPTH) + "]".repeat(Json.MAX_DEPTH);
        assertThat(Json.parse(ok)).isInstanceOf(List.class);
        String deep = "[".repeat(100_000);
        assertThatThrownBy(() -> Json.parse(deep))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("at offset " + Json.MAX_DEPTH + ":")
                .hasMessageContaining("nesting deeper than " + Json.MAX_DEPTH);
    }

    @Test
    void parseObjectRejectsOtherTypes() {
        assertThatThrownBy(() -> Json.parseObject("[1]")).hasMessageContaining("expected a JSON object, found array");
    }

    @Test
    void writesCompactJsonWithSerdeStyleEscapes() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("s", "q\"b\\n\nt\tc\bf\fz\u0001é" + Character.toString(0x1F600));
        m.put("n", List.of(1L, 2.5, -3));
        m.put("shape", new int[] {2, 3});
        m.put("b", true);
        m.put("nil", null);
        String json = Json.write(m);
        assertThat(json).isEqualTo("{\"s\":\"q\\\"b\\\\n\\nt\\tc\\bf\\fz\\u0001é" + Character.toString(0x1F600)
                + "\",\"n\":[1,2.5,-3],\"shape\":[2,3],\"b\":true,\"nil\":null}");
        // And it reads back to the same values (int[] becomes a list of longs).
        Map<String, Object> back = Json.parseObject(json);
        assertThat(back.get("s")).isEqualTo(m.get("s"));
        assertThat(back.get("shape")).isEqualTo(List.of(2L, 3L));
    }

    @Test
    void writeRefusesWhatJsonCannotHold() {
        assertThatThrownBy(() -> Json.write(Double.NaN)).hasMessageContaining("NaN");
        assertThatThrownBy(() -> Json.write(Float.POSITIVE_INFINITY)).hasMessageContaining("Infinity");
        assertThatThrownBy(() -> Json.write(new Object())).hasMessageContaining("cannot write java.lang.Object");
    }
}
