package dev.lens4j.report;

import dev.lens4j.transformer.HookedTransformer;
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
     * The shipped induction-2l by hand (2 attention-only layers of 4 heads, d_model 64, d_head 16,
     * n_ctx 48, d_vocab 64, LayerNorm before each attention layer and the unembedding, its own W_U).
     */
    private static final long EMBED = 64 * 64 + 48 * 64;                 // W_E, W_pos: 7,168
    private static final long ATTENTION = 4 * (4 * 64 * 16) + 3 * (4 * 16) + 64; // W_Q, W_K, W_V, W_O; b_Q, b_K, b_V; b_O: 16,640
    private static final long LAYER_NORMS = 3 * (64 + 64);               // ln1 of each layer and ln_final, w and b: 384
    private static final long UNEMBED = 64 * 64 + 64;                    // W_U, b_U: 4,160

    @Test
    void shippedModelByHand() throws Exception {
        assertThat(EMBED + 2 * ATTENTION + LAYER_NORMS + UNEMBED).isEqualTo(44_992L);
        try (HookedTransformer stored = Models.fromPretrained("induction-2l", LoadOptions.noProcessing());
             HookedTransformer processed = Models.fromPretrained("induction-2l")) {
            ModelSummary s = ModelSummary.of(stored, "induction-2l");
            assertThat(s).isEqualTo(new ModelSummary("induction-2l", "word-level", 64, 2, 4, 64, 16,
                    EMBED + 2 * ATTENTION + LAYER_NORMS + UNEMBED, true));
            // folding the LayerNorms into the next layer (TransformerLens's from_pretrained) removes their weights
            assertThat(ModelSummary.of(processed, "induction-2l").parameterCount()).isEqualTo(EMBED + 2 * ATTENTION + UNEMBED)
                    .isEqualTo(44_608L);
            // the config's count is Hugging Face's, with W_U tied to W_E: the unembedding is missing from it
            assertThat(stored.config().parameterCount()).isEqualTo(s.parameterCount() - UNEMBED);
        }
    }

    @Test
    void huggingFaceGpt2CountsItsTiedUnembeddingOnce() throws Exception {
        // tiny-gpt2: 2 layers, d_model 32, 4 heads of 8, d_mlp 128, n_ctx 24, d_vocab 101, W_U tied to W_E
        long embed = 101 * 32 + 24 * 32;
        long layer = 4 * (4 * 32 * 8) + 3 * (4 * 8) + 32 + (32 * 128 + 128) + (128 * 32 + 32) + 2 * (32 + 32);
        long lnFinal = 32 + 32;
        long bU = 101; // GPT-2 has no unembedding bias; lens4j gives it a zero one, as TransformerLens does
        Path hf = Path.of("../transformer/src/test/resources/reference/tiny-gpt2/hf");
        try (HookedTransformer stored = Models.fromPretrained(hf, LoadOptions.noProcessing());
             HookedTransformer processed = Models.fromPretrained(hf)) {
            assertThat(ModelSummary.of(stored, "hf").parameterCount()).isEqualTo(embed + 2 * layer + lnFinal + bU);
            assertThat(ModelSummary.of(stored, "hf").tokenizer()).isEqualTo(ModelSummary.NO_TOKENIZER);
            // processed: LayerNorm weights folded away, and the centred W_U is a tensor of its own
            assertThat(ModelSummary.parameterCount(processed))
                    .isEqualTo(embed + 2 * (layer - 2 * 64) + 101 * 32 + bU);
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
