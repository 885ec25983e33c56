package dev.lens4j.transformer.tokenizer;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The bundled GPT-2 tokenizer against the reference ids of tools/tokenizer/gpt2_reference.py (a
 * port of OpenAI's encoder.py run by Python's regex module).
 */
class Gpt2TokenizerTest {

    private static final Gpt2Tokenizer TOK = Gpt2Tokenizer.gpt2();

    static List<Gpt2Fixtures.Case> encodeCases() {
        return Gpt2Fixtures.cases("encode");
    }

    static List<Gpt2Fixtures.Case> ordinaryCases() {
        return Gpt2Fixtures.cases("encode_ordinary");
    }

    static List<Gpt2Fixtures.Case> decodeCases() {
        return Gpt2Fixtures.cases("decode");
    }

    @Test
    void fixtureIsWide() {
        List<Gpt2Fixtures.Case> cases = encodeCases();
        assertThat(cases).hasSizeGreaterThan(500);
        assertThat(cases).extracting(Gpt2Fixtures.Case::text)
                .contains("", "Hello world", "日本語", "\n\n  \n", "WE'RE", "Hello<|endoftext|>world");
    }

    @Test
    void encodesLikeTheReference() {
        List<String> wrong = new ArrayList<>();
        for (Gpt2Fixtures.Case c : encodeCases()) {
            int[] ids = TOK.encode(c.text());
            if (!Arrays.equals(ids, c.ids())) {
                wrong.add(c + ": expected " + Arrays.toString(c.ids()) + ", got " + Arrays.toString(ids));
            }
        }
        assertThat(wrong).isEmpty();
    }

    @Test
    void decodesBackToTheText() {
        List<String> wrong = new ArrayList<>();
        for (Gpt2Fixtures.Case c : encodeCases()) {
            if (!TOK.decode(c.ids()).equals(c.text()) || !TOK.toString(TOK.encode(c.text())).equals(c.text())) {
                wrong.add(c.toString());
            }
        }
        assertThat(wrong).isEmpty();
    }

    @Test
    void encodeOrdinarySpellsOutSpecialTokens() {
        List<Gpt2Fixtures.Case> cases = ordinaryCases();
        assertThat(cases).isNotEmpty();
        for (Gpt2Fixtures.Case c : cases) {
            assertThat(TOK.encodeOrdinary(c.text())).as(c.toString()).containsExactly(c.ids());
            assertThat(TOK.decode(c.ids())).isEqualTo(c.text());
        }
    }

    @Test
    void decodesPartialCharactersLikeTheReference() {
        // Reference: bytes decoded with errors="replace" (one U+FFFD per maximal ill-formed subpart).
        List<Gpt2Fixtures.Case> cases = decodeCases();
        assertThat(cases).hasSizeGreaterThan(100);
        for (Gpt2Fixtures.Case c : cases) {
            assertThat(TOK.decode(c.ids())).as(Arrays.toString(c.ids())).isEqualTo(c.text());
        }
    }

    /**
     * GPT-2's real files against Hugging Face tokenizers 0.23 (tools/tokenizer/make_hf_tokenizers.py,
     * gpt2-real.jsonl.gz) on its 3,000 test strings, beside the encoder.py reference above.
     */
    @Test
    void encodesLikeHuggingFaceTokenizersOnTheRealFiles() {
        List<String> wrong = new ArrayList<>();
        int n = 0;
        for (var row : HfFixtures.lines("/tokenizers/gpt2-real.jsonl.gz")) {
            if (!"enc".equals(row.get("t"))) {
                continue;
            }
            n++;
            String text = (String) row.get("text");
            int[] expected = HfFixtures.ints(row.get("ids"));
            int[] ids = TOK.encode(text);
            if (!Arrays.equals(ids, expected) && wrong.size() < 10) {
                wrong.add(JsonField.quoted(text) + ": expected " + Arrays.toString(expected) + ", got " + Arrays.toString(ids));
            }
            if (!TOK.decode(ids).equals(text) && wrong.size() < 10) {
                wrong.add(JsonField.quoted(text) + " decodes to " + JsonField.quoted(TOK.decode(ids)));
            }
        }
        assertThat(n).isGreaterThanOrEqualTo(3000);
        assertThat(wrong).isEmpty();
    }

    /** The bundled files are OpenAI's, byte for byte (the sha256 sums of /work/shared/gpt2-tokenizer/README.md). */
    @Test
    void bundledFilesAreGpt2sPublishedOnes() throws Exception {
        java.security.MessageDigest sha = java.security.MessageDigest.getInstance("SHA-256");
        Map<String, String> published = Map.of(
                "vocab.json", "196139668be63f3b5d6574427317ae82f612a97c5d1cdaf36ed2256dbf636783",
                "merges.txt", "1ce1664773c50f3e0cc8842619a93edc4624525b728b188a9e0be33b7726adc5");
        for (Map.Entry<String, String> e : published.entrySet()) {
            try (var in = Gpt2Tokenizer.class.getResourceAsStream("gpt2/" + e.getKey())) {
                assertThat(java.util.HexFormat.of().formatHex(sha.digest(in.readAllBytes()))).as(e.getKey())
                        .isEqualTo(e.getValue());
            }
        }
    }

    @Test
    void knownIds() {
        assertThat(TOK.encode("Hello world")).containsExactly(15496, 995);
        assertThat(TOK.encode(" Hello world")).containsExactly(18435, 995);
        assertThat(TOK.encode("<|endoftext|>")).containsExactly(50256);
        assertThat(TOK.encode("")).isEmpty();
        assertThat(TOK.vocabSize()).isEqualTo(50257);
        assertThat(TOK.mergeCount()).isEqualTo(50000);
        assertThat(TOK.specialTokens()).containsExactly("<|endoftext|>");
        assertThat(TOK.rawToken(995)).isEqualTo("\u0120world");
        assertThat(TOK.rawToken(198)).isEqualTo("\u010a");
    }

    @Test
    void specialTokenIdsAreEndOfText() {
        assertThat(TOK.bosTokenId()).hasValue(50256);
        assertThat(TOK.eosTokenId()).hasValue(50256);
        assertThat(TOK.padTokenId()).hasValue(50256);
    }

    @Test
    void transformerLensConveniences() {
        assertThat(TOK.toTokens("Hello world")).containsExactly(50256, 15496, 995);
        assertThat(TOK.toTokens("Hello world", false)).containsExactly(15496, 995);
        assertThat(TOK.toTokens("")).containsExactly(50256);
        assertThat(TOK.toStrTokens("Hello world", true)).containsExactly("<|endoftext|>", "Hello", " world");
        assertThat(TOK.toStrTokens("Hello world")).containsExactly("<|endoftext|>", "Hello", " world");
        assertThat(TOK.toStrTokens("Hello world", false)).containsExactly("Hello", " world");
        assertThat(TOK.toStrTokens(new int[] {18435, 995})).containsExactly(" Hello", " world");
        assertThat(TOK.toString(new int[] {50256, 15496, 995})).isEqualTo("<|endoftext|>Hello world");
        assertThat(TOK.tokenString(995)).isEqualTo(" world");
        assertThat(TOK.decode(995)).isEqualTo(" world");
        // One token of a two-token character is half a character: U+FFFD, as in TransformerLens.
        int[] ri = TOK.encode("日");
        assertThat(ri).hasSize(2);
        assertThat(TOK.toStrTokens(ri)).containsExactly("\uFFFD", "\uFFFD");
        assertThat(TOK.toStrTokens("naïve", false)).containsExactly("na", "ïve");
        assertThat(TOK.toStrTokens(" Ångström", false)).containsExactly(" \uFFFD", "\uFFFD", "ng", "str", "ö", "m");
    }

    @Test
    void toSingleToken() {
        assertThat(TOK.toSingleToken(" world")).isEqualTo(995);
        assertThat(TOK.toSingleToken("Hello")).isEqualTo(15496);
        assertThat(TOK.toSingleToken("<|endoftext|>")).isEqualTo(50256);
        assertThatThrownBy(() -> TOK.toSingleToken("Hello world"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("\"Hello world\"")
                .hasMessageContaining("2 tokens [15496, 995]")
                .hasMessageContaining("[\"Hello\", \" world\"]");
        assertThatThrownBy(() -> TOK.toSingleToken(""))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("0 tokens");
    }

    @Test
    void everyTokenDecodesToItsBytesAndEncodesBackWhenItIsACompleteWord() {
        // Each single-token text that is a whole pre-token piece must encode to that token: BPE on
        // its bytes rebuilds it. Counting instead of asserting all, since a few vocabulary entries
        // are not reachable by BPE (e.g. tokens whose pieces the pre-tokenizer splits).
        long roundTrips = IntStream.range(0, TOK.vocabSize()).filter(id -> {
            String s = TOK.decode(id);
            if (s.contains("\uFFFD")) {
                return false;
            }
            int[] ids = TOK.encode(s);
            return ids.length == 1 && ids[0] == id;
        }).count();
        assertThat(roundTrips).isGreaterThan(45_000);
    }

    @Test
    void badIdsAndBadTextAreRejected() {
        assertThatThrownBy(() -> TOK.decode(new int[] {15496, 50257}))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("token id 50257")
                .hasMessageContaining("50257 ids");
        assertThatThrownBy(() -> TOK.decode(-1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("token id -1");
        assertThatThrownBy(() -> TOK.encode("ab\uD83Dcd"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("unpaired surrogate U+D83D at index 2");
        assertThatThrownBy(() -> TOK.encode("x\uDE00"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("unpaired surrogate U+DE00 at index 1");
    }

    @Test
    void sameIdsFromManyThreads() throws Exception {
        List<Gpt2Fixtures.Case> cases = encodeCases();
        Gpt2Tokenizer fresh;
        try (var vocab = Gpt2Tokenizer.class.getResourceAsStream("gpt2/vocab.json");
             var merges = Gpt2Tokenizer.class.getResourceAsStream("gpt2/merges.txt")) {
            fresh = Gpt2Tokenizer.read("vocab.json", vocab.readAllBytes(), "merges.txt", merges.readAllBytes());
        }
        boolean allMatch = cases.parallelStream()
                .allMatch(c -> Arrays.equals(fresh.encode(c.text()), c.ids()));
        assertThat(allMatch).isTrue();
    }
}
