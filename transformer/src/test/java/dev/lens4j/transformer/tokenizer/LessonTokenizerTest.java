package dev.lens4j.transformer.tokenizer;

import dev.lens4j.tensor.internal.Json;
import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPInputStream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The byte-level BPE that lens4j's {@link BpeTrainer} made for the lesson's models of English is read by
 * lens4j exactly as Hugging Face's {@code tokenizers} reads it: the fixture
 * ({@code tools/corpus/make_lesson_tokenizer_fixture.py}, tokenizers 0.23) holds tokenizers' ids and
 * decodes of held-out paragraphs and edge cases.
 */
class LessonTokenizerTest {

    private static final String TOKENIZER = "/dev/lens4j/transformer/models/english-1l/tokenizer.json";

    private static byte[] resource(String name) throws Exception {
        try (InputStream in = LessonTokenizerTest.class.getResourceAsStream(name)) {
            assertThat(in).as(name).isNotNull();
            return in.readAllBytes();
        }
    }

    @Test
    @SuppressWarnings("unchecked")
    void lens4jEncodesAndDecodesAsTokenizersDoes() throws Exception {
        byte[] json = resource(TOKENIZER);
        Map<String, Object> fixture;
        try (InputStream in = new GZIPInputStream(LessonTokenizerTest.class.getResourceAsStream("/tokenizers/english-bpe/expected.json.gz"))) {
            fixture = Json.parseObject(new String(in.readAllBytes(), StandardCharsets.UTF_8));
        }
        assertThat(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(json)))
                .as("the fixture was made from the shipped tokenizer.json").isEqualTo(fixture.get("tokenizer_sha256"));
        HfTokenizer tok = HfTokenizer.read("tokenizer.json", json, null, null);
        assertThat(tok.vocabSize()).isEqualTo(((Number) fixture.get("vocab_size")).intValue()).isEqualTo(2048);
        assertThat(tok.bosTokenId()).hasValue(2047);
        List<Object> cases = (List<Object>) fixture.get("cases");
        assertThat(cases).hasSizeGreaterThan(100);
        long ids = 0;
        for (Object o : cases) {
            Map<String, Object> c = (Map<String, Object>) o;
            String text = (String) c.get("text");
            int[] expected = ((List<Object>) c.get("ids")).stream().mapToInt(x -> ((Number) x).intValue()).toArray();
            int[] got = tok.encode(text);
            assertThat(got).as("ids of %s", JsonField.quoted(text)).isEqualTo(expected);
            assertThat(tok.decode(got)).as("decode of %s", JsonField.quoted(text)).isEqualTo(c.get("decode"));
            ids += expected.length;
        }
        assertThat(ids).isGreaterThan(20_000);
    }

    /** The shipped tokenizer.json is what BpeTrainer makes of the corpus' training text, byte for byte. */
    @Test
    void bpeTrainerRemakesTheShippedTokenizerFromTheCorpus() throws Exception {
        byte[] made = BpeTrainer.train(dev.lens4j.transformer.train.TextCorpus.web().trainingText(),
                dev.lens4j.transformer.train.LessonRecipes.VOCAB_SIZE);
        assertThat(made).isEqualTo(resource(TOKENIZER));
    }

    /**
     * "ab ab ab": the pieces are "ab" once and "Ġab" twice, so a+b (3) merges first, then Ġ+ab (2);
     * the end-of-text token comes last.
     */
    @Test
    void mergesTheMostFrequentPairFirstAndPutsEndOfTextLast() throws Exception {
        byte[] json = BpeTrainer.train("ab ab ab", 259);
        HfTokenizer tok = HfTokenizer.read("tokenizer.json", json, null, null);
        assertThat(tok.vocabSize()).isEqualTo(259);
        assertThat(tok.rawToken(256)).isEqualTo("ab");
        assertThat(tok.rawToken(257)).isEqualTo("\u0120ab");
        assertThat(tok.rawToken(258)).isEqualTo(BpeTrainer.END_OF_TEXT);
        assertThat(tok.rawToken('a')).isEqualTo("a");
        // " b" was never merged: its bytes, space (32) and b (98), as ids
        assertThat(tok.encode("ab ab b")).containsExactly(256, 257, 32, 98);
        assertThat(BpeTrainer.train("ab ab ab", 259)).as("deterministic").isEqualTo(json);
    }
}
