package dev.lens4j.transformer.tokenizer;

import dev.lens4j.tensor.internal.Json;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The Oniguruma-to-Java translation of split regexes against Hugging Face tokenizers, which runs
 * them with Oniguruma: GPT-2's, Llama 3's and Qwen2's pre-tokenizer regexes, a variant with
 * possessive quantifiers ({@code ++ *+ ?+}, {@code \p{N}{1,3}+}, {@code $}), one with atomic groups
 * and {@code ^}, and one with {@code \w \h \d}, on 3,000 strings (fixture regex.jsonl.gz of
 * tools/tokenizer/make_hf_tokenizers.py); then the character classes code point by code point.
 */
class RegexesTest {

    private static List<Integer> pieceLengths(Pattern p, String text) {
        List<NormalizedText> pieces = new ArrayList<>();
        new PreTokenizer.Split(p, PreTokenizer.Behavior.ISOLATED, false).split(NormalizedText.of(text, 0, text.length()), pieces);
        List<Integer> out = new ArrayList<>();
        for (NormalizedText t : pieces) {
            out.add(t.text().codePointCount(0, t.length()));
        }
        return out;
    }

    @Test
    void splitRegexesCutLikeOniguruma() {
        List<Map<String, Object>> rows = HfFixtures.lines("/tokenizers/regex.jsonl.gz");
        @SuppressWarnings("unchecked")
        Map<String, Object> regexes = (Map<String, Object>) rows.getFirst().get("regexes");
        assertThat(regexes).containsKeys("gpt2", "llama3", "qwen2", "possessive", "atomic", "classes");
        assertThat(rows).hasSizeGreaterThan(3000);
        List<String> wrong = new ArrayList<>();
        int compared = 0;
        for (Map.Entry<String, Object> e : regexes.entrySet()) {
            Pattern p = Regexes.compile((String) e.getValue());
            for (Map<String, Object> r : rows.subList(1, rows.size())) {
                String text = (String) r.get("text");
                List<Integer> expected = ((List<?>) r.get(e.getKey())).stream().map(x -> ((Number) x).intValue()).toList();
                List<Integer> actual = pieceLengths(p, text);
                compared++;
                if (!expected.equals(actual) && wrong.size() < 10) {
                    wrong.add(e.getKey() + " on " + JsonField.quoted(text) + ": expected " + expected + ", got " + actual);
                }
            }
        }
        assertThat(compared).isGreaterThanOrEqualTo(18_000);
        assertThat(wrong).isEmpty();
    }

    @Test
    void gpt2RegexTranslatedEqualsTheBuiltInOne() {
        // ByteLevel's hand-written Java pattern and the translation of GPT-2's Oniguruma text agree.
        Pattern translated = Regexes.compile("'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+");
        for (String s : List.of("Hello  world\n\n  x", "I'M we're", "a\u00a0\u00a0b\u3000", " 42!! 😀", "\t\t\tx  ")) {
            assertThat(pieceLengths(translated, s)).as(s).isEqualTo(pieceLengths(ByteLevel.PRE_TOKENIZE, s));
        }
    }

    /**
     * Membership of \s, \p{L}, \p{N}, \d and \h for every code point (surrogates aside) against
     * Oniguruma's. They agree on all 1,112,064: JDK 25 and the Oniguruma in tokenizers 0.23 have the
     * same Unicode tables.
     */
    @Test
    void characterClassesMatchOnigurumaForEveryCodePoint() throws IOException {
        Map<String, Object> ref;
        try (InputStream in = RegexesTest.class.getResourceAsStream("/tokenizers/regex-classes.json")) {
            ref = Json.parseObject(new String(in.readAllBytes(), StandardCharsets.UTF_8));
        }
        Map<String, String> classes = Map.of("s", "\\s", "L", "\\p{L}", "N", "\\p{N}", "d", "\\d", "h", "\\h");
        List<String> wrong = new ArrayList<>();
        long members = 0;
        for (Map.Entry<String, String> c : classes.entrySet()) {
            BitSet expected = HfFixtures.bits(ref.get(c.getKey()));
            members += expected.cardinality();
            java.util.regex.Matcher m = Regexes.compile(c.getValue()).matcher("");
            for (int cp = 0; cp <= Character.MAX_CODE_POINT; cp++) {
                if (cp >= 0xD800 && cp <= 0xDFFF) {
                    continue;
                }
                boolean java = m.reset(Character.toString(cp)).matches();
                if (java != expected.get(cp) && wrong.size() < 20) {
                    wrong.add(String.format("U+%04X %s: Oniguruma %b, Java %b", cp, c.getValue(), expected.get(cp), java));
                }
            }
        }
        assertThat(members).as("letters, numbers and the rest, from Oniguruma").isGreaterThan(100_000);
        assertThat(wrong).isEmpty();
    }

    @Test
    void translationOfConstructsThatMeanSomethingElseInJava() {
        assertThat(Regexes.compile("\\p{N}{1,3}+").matcher("1234567").matches()).isTrue(); // (\p{N}{1,3})+ in Ruby syntax
        assertThat(Regexes.compile("a{,2}").matcher("aa").matches()).isTrue();
        assertThat(Regexes.compile("(?m)a.").matcher("a\n").matches()).isTrue(); // Ruby's m is dot-all
        assertThat(Regexes.compile("a.").matcher("a\n").matches()).isFalse();
        assertThat(Regexes.compile("a$").matcher("a\nb").find()).isTrue(); // $ at every line end
        assertThat(Regexes.compile("\\h+").matcher("09afAF").matches()).isTrue(); // hex digit, not horizontal space
        assertThat(Regexes.compile("\\v").matcher("\u000B").matches()).isTrue();
        assertThat(Regexes.compile("\\v").matcher("\n").matches()).isFalse();
        assertThat(Regexes.compile("\\s").matcher("\u3000").matches()).isTrue();
        assertThat(Regexes.compile("\\s").matcher("\u001C").matches()).isFalse();
        assertThat(Regexes.compile("\\d").matcher("\u0663").matches()).isTrue();
        assertThat(Regexes.compile("\\p{^L}").matcher("1").matches()).isTrue();
        assertThat(Regexes.compile("\\p{Han}+").matcher("日本").matches()).isTrue();
        assertThat(Regexes.compile("(?<word>\\p{L}+)").matcher("abc").matches()).isTrue();
        assertThat(Regexes.compile("(?i:'s)").matcher("'\u017F").matches()).isTrue(); // long s folds to s
        assertThat(Regexes.compile("[]a]+").matcher("]a]").matches()).isTrue();
        assertThat(Regexes.compile("a{b").matcher("a{b").matches()).isTrue(); // a literal brace
    }

    @Test
    void constructsThatCannotBeTranslatedAreRefusedByName() {
        assertThatThrownBy(() -> Regexes.compile("(a)\\1")).hasMessageContaining("the escape \\1");
        assertThatThrownBy(() -> Regexes.compile("\\R")).hasMessageContaining("the escape \\R");
        assertThatThrownBy(() -> Regexes.compile("\\K")).hasMessageContaining("the escape \\K");
        assertThatThrownBy(() -> Regexes.compile("\\w+")).hasMessageContaining("\\w (Oniguruma's word characters)");
        assertThatThrownBy(() -> Regexes.compile("\\bx")).hasMessageContaining("\\b (Oniguruma's word characters)");
        assertThatThrownBy(() -> Regexes.compile("[[:alpha:]]")).hasMessageContaining("a POSIX bracket");
        assertThatThrownBy(() -> Regexes.compile("(?x) a")).hasMessageContaining("the group option 'x'");
        assertThatThrownBy(() -> Regexes.compile("(?s).")).hasMessageContaining("the group option 's'");
        assertThatThrownBy(() -> Regexes.compile("\\p{Alnum}")).hasMessageContaining("the property \\p{Alnum}");
        assertThatThrownBy(() -> Regexes.compile("(?~abc)")).hasMessageContaining("the group option '~'");
        assertThatThrownBy(() -> Regexes.compile("[abc")).hasMessageContaining("an unclosed character class");
        assertThatThrownBy(() -> Regexes.compile("(a")).hasMessageContaining("is not a regular expression lens4j can run");
        assertThatThrownBy(() -> Regexes.compile("a\\")).hasMessageContaining("a trailing backslash");
    }
}
