package dev.lens4j.transformer.loading;

import dev.lens4j.tensor.internal.Json;
import dev.lens4j.transformer.HookedTransformer;
import dev.lens4j.transformer.tokenizer.HfTokenizer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every family fixture's {@code hf/} folder with its tokenizer (a copy of one test tokenizer, see
 * {@code reference/families/README.md}) against the real TransformerLens 2.18: {@code to_tokens(text)}
 * with the tokenizer TransformerLens loads for the folder and its {@code default_prepend_bos} for the
 * family (false for Qwen2 and Qwen3, whose branches of {@code loading_from_pretrained.py} set it),
 * recorded by {@code tools/reference/make_family_analysis_fixtures.py} in {@code tl-to-tokens.json}.
 */
class FamilyTokenizerTest {

    private static final Path ROOT = FamilyReferenceTest.ROOT;

    @SuppressWarnings("unchecked")
    private static Map<String, Object> reference(String family) throws IOException {
        Map<String, Object> all = Json.parseObject(Files.readString(ROOT.resolve("tl-to-tokens.json")));
        assertThat(all).as("tl-to-tokens.json families").containsOnlyKeys(FamilyReferenceTest.families());
        return (Map<String, Object>) all.get(family);
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"gpt2", "gpt_neox", "llama", "llama-untied", "mistral", "qwen2", "qwen3", "gemma", "gemma2", "phi3"})
    @SuppressWarnings("unchecked")
    void toTokensIsTransformerLenssWithTheFamilysDefaultForBos(String family) throws IOException {
        Map<String, Object> ref = reference(family);
        boolean prepend = (Boolean) ref.get("default_prepend_bos");
        for (LoadOptions options : List.of(LoadOptions.defaults(), LoadOptions.noProcessing())) {
            try (HookedTransformer model = Models.fromPretrained(ROOT.resolve(family).resolve("hf"), options)) {
                assertThat(model.hasTokenizer()).as(family + " has its tokenizer").isTrue();
                assertThat(model.tokenizer()).isInstanceOf(HfTokenizer.class);
                assertThat(model.config().defaultPrependBos()).as(family + " config default_prepend_bos").isEqualTo(prepend);
                assertThat(model.tokenizer().defaultPrependBos()).as(family + " tokenizer default").isEqualTo(prepend);
                Map<String, Object> cases = (Map<String, Object>) ref.get("to_tokens");
                assertThat(cases).isNotEmpty();
                for (Map.Entry<String, Object> e : cases.entrySet()) {
                    int[] expected = ((List<Object>) e.getValue()).stream().mapToInt(o -> ((Number) o).intValue()).toArray();
                    assertThat(model.toTokens(e.getKey())).as(family + " to_tokens(" + e.getKey() + ")").containsExactly(expected);
                }
            }
        }
    }

    @Test
    void aSavedQwen2CheckpointKeepsItsTokenizerAndItsDefault(@TempDir Path tmp) throws IOException {
        Path out = tmp.resolve("qwen2-lens");
        try (LoadedCheckpoint c = HfCheckpoint.read(ROOT.resolve("qwen2/hf"), LoadOptions.noProcessing())) {
            LensCheckpoint.save(c.config(), c.weights(), c.tokenizer(), out);
        }
        assertThat(out.resolve("tokenizer.json")).exists();
        try (HookedTransformer again = Models.fromPretrainedNoProcessing(out)) {
            assertThat(again.config().defaultPrependBos()).isFalse();
            assertThat(again.tokenizer().defaultPrependBos()).isFalse();
            assertThat(again.toTokens("Hello world")).containsExactly(again.tokenizer().encode("Hello world"));
            assertThat(again.toTokens("Hello world", true)[0]).isEqualTo(505); // <|endoftext|>, the BOS TransformerLens uses
        }
    }
}
