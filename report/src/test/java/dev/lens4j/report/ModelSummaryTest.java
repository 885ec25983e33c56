package dev.lens4j.report;

import dev.lens4j.transformer.HookedTransformer;
import dev.lens4j.transformer.ParameterCount;
import dev.lens4j.transformer.loading.LoadOptions;
import dev.lens4j.transformer.loading.Models;
import dev.lens4j.transformer.tokenizer.Gpt2Tokenizer;
import dev.lens4j.transformer.tokenizer.Tokenizer;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.OptionalInt;

import static org.assertj.core.api.Assertions.assertThat;

class ModelSummaryTest {

    /**
     * The shipped induction-2l: 2 attention-only layers of 4 heads, d_model 64, d_head 16, n_ctx 48,
     * d_vocab 64, its own W_U; its count, by hand in the transformer module's ParameterCountTest.
     */
    @Test
    void shippedModel() throws Exception {
        try (HookedTransformer stored = Models.fromPretrained("induction-2l", LoadOptions.noProcessing());
             HookedTransformer processed = Models.fromPretrained("induction-2l")) {
            ModelSummary expected = new ModelSummary("induction-2l", "word-level", 64, 2, 4, 64, 16,
                    new ParameterCount(44_992L, false), true);
            // one count, processed or not: before, folding the LayerNorms made it 44,608 as loaded
            assertThat(ModelSummary.of(stored, "induction-2l")).isEqualTo(expected);
            assertThat(ModelSummary.of(processed, "induction-2l")).isEqualTo(expected);
        }
    }

    @Test
    void aModelWithoutTokenizerSaysNone() throws Exception {
        try (HookedTransformer m = Models.fromPretrained(Path.of("../transformer/src/test/resources/reference/tiny-gpt2/hf"))) {
            ModelSummary s = ModelSummary.of(m, "gpt2");
            assertThat(s.tokenizer()).isEqualTo(ModelSummary.NO_TOKENIZER);
            assertThat(s.parameters()).isEqualTo(m.parameterCount()).isEqualTo(new ParameterCount(29_472L, true));
        }
    }

    @Test
    void tokenizerKindsByType() {
        assertThat(ModelSummary.tokenizerKind(Gpt2Tokenizer.gpt2())).isEqualTo("GPT-2 byte-level BPE");
        assertThat(ModelSummary.tokenizerKind(dev.lens4j.transformer.train.WordTokenizer.induction())).isEqualTo("word-level");
        assertThat(ModelSummary.tokenizerKind(new CharTokenizer())).isEqualTo("CharTokenizer");
    }

    /** A tokenizer lens4j does not know. */
    private static final class CharTokenizer implements Tokenizer {
        @Override
        public int[] encode(String text) {
            return text.chars().toArray();
        }

        @Override
        public String decode(int[] ids) {
            return new String(ids, 0, ids.length);
        }

        @Override
        public int vocabSize() {
            return 128;
        }

        @Override
        public OptionalInt bosTokenId() {
            return OptionalInt.empty();
        }

        @Override
        public OptionalInt eosTokenId() {
            return OptionalInt.empty();
        }

        @Override
        public OptionalInt padTokenId() {
            return OptionalInt.empty();
        }
    }
}
