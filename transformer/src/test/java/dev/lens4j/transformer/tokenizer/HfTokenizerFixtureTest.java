package dev.lens4j.transformer.tokenizer;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.FieldSource;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Every tokenizer kind of tools/tokenizer/make_hf_tokenizers.py against what the real libraries do
 * with the same files, on 3,000 strings each (accents, CJK, emoji, whitespace runs, tabs, newlines,
 * digits, code, special tokens inside text, the empty string): Hugging Face tokenizers 0.23's ids
 * and decodes, transformers 5.18's ids with special tokens, TransformerLens 2.18's {@code to_tokens},
 * and the decode of every single id.
 */
class HfTokenizerFixtureTest {

    static final List<String> KINDS = HfFixtures.KINDS;

    private static HfTokenizer withConfig(String kind) throws IOException {
        return HfTokenizer.fromFolder(HfFixtures.folder(kind));
    }

    private static HfTokenizer withoutConfig(String kind) throws IOException {
        return HfTokenizer.fromTokenizerJson(HfFixtures.folder(kind).resolve("tokenizer.json"));
    }

    /** Compares every case; the failure lists the first mismatches and how many there are. */
    private static <T> void assertAll(List<T> cases, Function<T, String> mismatch) {
        List<String> wrong = new ArrayList<>();
        int n = 0;
        for (T c : cases) {
            String m = mismatch.apply(c);
            if (m != null) {
                n++;
                if (wrong.size() < 10) {
                    wrong.add(m);
                }
            }
        }
        assertThat(wrong).as("%d of %d cases differ", n, cases.size()).isEmpty();
    }

    private static String differ(Object what, int[] expected, int[] actual) {
        return Arrays.equals(expected, actual) ? null
                : what + ": expected " + Arrays.toString(expected) + ", got " + Arrays.toString(actual);
    }

    private static String differ(Object what, String expected, String actual) {
        return expected.equals(actual) ? null
                : what + ": expected " + JsonField.quoted(expected) + ", got " + JsonField.quoted(actual);
    }

    @ParameterizedTest
    @FieldSource("KINDS")
    void idsAndDecodesEqualHuggingFaceTokenizers(String kind) throws IOException {
        HfFixtures.Kind f = HfFixtures.read(kind);
        assertThat(f.enc()).hasSizeGreaterThanOrEqualTo(3000);
        HfTokenizer tok = withConfig(kind);
        assertAll(f.enc(), c -> {
            try {
                return differ(c, c.ids(), tok.encode(c.text()));
            } catch (RuntimeException e) {
                return c + ": " + e;
            }
        });
        assertAll(f.enc(), c -> differ(c, c.decode(), tok.decode(c.ids())));
        assertAll(f.dec(), c -> differ(Arrays.toString(c.ids()), c.text(), tok.decode(c.ids())));
    }

    @ParameterizedTest
    @FieldSource("KINDS")
    void specialTokensAsTransformersAndTokenizersAddThem(String kind) throws IOException {
        HfFixtures.Kind f = HfFixtures.read(kind);
        HfTokenizer tok = withConfig(kind);
        assertAll(f.enc(), c -> differ(c, c.transformers(), tok.encodeWithSpecialTokens(c.text())));
        // Without tokenizer_config.json: tokenizer.json's own post-processor.
        HfTokenizer bare = withoutConfig(kind);
        assertAll(f.enc(), c -> differ(c, c.special(), bare.encodeWithSpecialTokens(c.text())));
    }

    @ParameterizedTest
    @FieldSource("KINDS")
    void toTokensAsTransformerLens(String kind) throws IOException {
        HfFixtures.Kind f = HfFixtures.read(kind);
        HfTokenizer tok = withConfig(kind);
        assertAll(f.enc(), c -> differ(c, c.tl(), tok.toTokens(c.text())));
        assertAll(f.enc(), c -> differ(c, c.tlNoBos(), tok.toTokens(c.text(), false)));
    }

    @ParameterizedTest
    @FieldSource("KINDS")
    void everySingleTokenDecodesAsHuggingFace(String kind) throws IOException {
        HfFixtures.Kind f = HfFixtures.read(kind);
        HfTokenizer tok = withConfig(kind);
        assertThat(tok.vocabSize()).isEqualTo(f.tokenTexts().size());
        List<Integer> ids = java.util.stream.IntStream.range(0, tok.vocabSize()).boxed().toList();
        assertAll(ids, id -> differ("id " + id, f.tokenTexts().get(id), tok.tokenString(id)));
        // toStrTokens is the decode of each token on its own.
        assertThat(tok.toStrTokens(new int[] {0, tok.vocabSize() - 1}))
                .containsExactly(f.tokenTexts().getFirst(), f.tokenTexts().getLast());
    }

    /**
     * Text with an unpaired surrogate has no UTF-8 form; tokenizers cannot even be given it (Python
     * refuses to encode such a str), and lens4j refuses it, naming the place.
     */
    @ParameterizedTest
    @FieldSource("KINDS")
    void unpairedSurrogatesAreRefused(String kind) throws IOException {
        HfTokenizer tok = withConfig(kind);
        assertThatThrownBy(() -> tok.encode("ab\uD83Dcd"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("unpaired surrogate U+D83D at index 2");
        assertThatThrownBy(() -> tok.toTokens("x\uDE00"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("unpaired surrogate U+DE00 at index 1");
        assertThat(tok.encode("\uD83D\uDE00")).isNotEmpty(); // a pair is fine
    }

    @Test
    void vocabularySizesAreTheOnesTheModelsUse() throws IOException {
        Map<String, Integer> sizes = Map.of("gpt2", 512, "gpt_neox", 512, "llama3", 512, "qwen2", 512,
                "llama2", 320, "mistral", 320, "gemma", 320);
        for (Map.Entry<String, Integer> e : sizes.entrySet()) {
            assertThat(withConfig(e.getKey()).vocabSize()).as(e.getKey()).isEqualTo(e.getValue());
        }
    }

    @Test
    void specialTokenIdsFromTokenizerConfig() throws IOException {
        HfTokenizer gpt2 = withConfig("gpt2");
        assertThat(gpt2.bosTokenId()).hasValue(511);
        assertThat(gpt2.eosTokenId()).hasValue(511);
        assertThat(gpt2.padTokenId()).hasValue(511);
        assertThat(gpt2.kind()).isEqualTo("byte-level BPE (tokenizer.json)");

        HfTokenizer neox = withConfig("gpt_neox");
        assertThat(neox.bosTokenId()).hasValue(0);
        assertThat(neox.padTokenId()).hasValue(0); // pad_token is not set: TransformerLens pads with EOS
        assertThat(neox.specialTokens()).containsExactly("<|endoftext|>", "<|padding|>");

        HfTokenizer llama3 = withConfig("llama3");
        assertThat(llama3.bosTokenId()).hasValue(502);
        assertThat(llama3.eosTokenId()).hasValue(503);
        assertThat(llama3.rawToken(502)).isEqualTo("<|begin_of_text|>");

        // Qwen2 has no BOS: TransformerLens uses EOS, and puts its text before the input.
        HfTokenizer qwen = withConfig("qwen2");
        assertThat(qwen.bosTokenId()).hasValue(505);
        assertThat(qwen.toTokens("Hi")).startsWith(505);
        assertThat(qwen.encodeWithSpecialTokens("Hi")).isEqualTo(qwen.encode("Hi"));

        HfTokenizer llama2 = withConfig("llama2");
        assertThat(llama2.bosTokenId()).hasValue(1);
        assertThat(llama2.eosTokenId()).hasValue(2);
        assertThat(llama2.unkTokenId()).hasValue(0);
        assertThat(llama2.kind()).isEqualTo("SentencePiece-style BPE (tokenizer.json)");
        assertThat(llama2.rawToken(3)).isEqualTo("<0x00>");

        HfTokenizer gemma = withConfig("gemma");
        assertThat(gemma.bosTokenId()).hasValue(2);
        assertThat(gemma.eosTokenId()).hasValue(1);
        assertThat(gemma.padTokenId()).hasValue(0);
        assertThat(gemma.unkTokenId()).hasValue(3);
        assertThat(gemma.encode("<start_of_turn>user")).startsWith(5);
        assertThat(gemma.toSingleToken("<end_of_turn>")).isEqualTo(6);
    }

    @Test
    void withoutTokenizerConfigBosComesFromTheTemplateOrEndOfText() throws IOException {
        assertThat(withoutConfig("llama2").bosTokenId()).hasValue(1);
        assertThat(withoutConfig("llama3").bosTokenId()).hasValue(502);
        assertThat(withoutConfig("gpt2").bosTokenId()).hasValue(511);
        assertThat(withoutConfig("gpt2").eosTokenId()).hasValue(511);
        assertThat(withoutConfig("gemma").eosTokenId()).isEmpty();
        assertThat(withoutConfig("gemma").unkTokenId()).hasValue(3);
    }

    @Test
    void gpt2KindAsVocabJsonAndMergesTxtGivesTheSameIds() throws IOException {
        Path dir = HfFixtures.folder("gpt2");
        Gpt2Tokenizer pair = Gpt2Tokenizer.load(dir.resolve("vocab.json"), dir.resolve("merges.txt"));
        HfFixtures.Kind f = HfFixtures.read("gpt2");
        assertAll(f.enc(), c -> differ(c, c.ids(), pair.encode(c.text())));
        assertAll(f.enc(), c -> differ(c, c.decode(), pair.decode(c.ids())));
        assertThat(pair.vocabSize()).isEqualTo(512);
        assertThat(pair.bosTokenId()).hasValue(511);
    }

    @Test
    void defaultPrependBosCanBeTurnedOff() throws IOException {
        HfTokenizer tok = withConfig("llama2").withDefaultPrependBos(false);
        assertThat(tok.defaultPrependBos()).isFalse();
        assertThat(tok.toTokens("Hi")).isEqualTo(tok.encode("Hi"));
        assertThat(tok.toStrTokens("Hi")).hasSize(tok.encode("Hi").length);
        assertThat(withConfig("llama2").toTokens("Hi")).startsWith(1);
    }
}
