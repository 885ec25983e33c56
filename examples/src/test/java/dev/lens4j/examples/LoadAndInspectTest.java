package dev.lens4j.examples;

import dev.lens4j.transformer.Normalization;
import dev.lens4j.testing.LensModel;
import dev.lens4j.transformer.HookShape;
import dev.lens4j.transformer.HookedTransformer;
import dev.lens4j.transformer.TransformerConfig;
import dev.lens4j.transformer.TransformerWeights;
import dev.lens4j.transformer.generation.GenerationConfig;
import dev.lens4j.transformer.generation.GenerationResult;
import dev.lens4j.transformer.tokenizer.Tokenizer;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Step 1 of the lesson: load the shipped model and look at it — its configuration, tokenizer,
 * weights and hook points — then let it continue a repeated sequence.
 */
class LoadAndInspectTest {

    // tag::load-model[]
    @LensModel("induction-2l")   // loaded once for the whole test run, closed at the end
    HookedTransformer model;
    // end::load-model[]

    @Test
    void configuration() {
        // tag::inspect-config[]
        TransformerConfig cfg = model.config();
        assertThat(cfg.nLayers()).isEqualTo(2);
        assertThat(cfg.nHeads()).isEqualTo(4);
        assertThat(cfg.dModel()).isEqualTo(64);
        assertThat(cfg.dHead()).isEqualTo(16);
        assertThat(cfg.nCtx()).isEqualTo(48);
        assertThat(cfg.dVocab()).isEqualTo(64);
        assertThat(cfg.attnOnly()).isTrue();                  // no MLPs
        assertThat(cfg.normalization()).isEqualTo(Normalization.LN_PRE);   // LayerNorm weights folded in by fromPretrained
        // end::inspect-config[]
    }

    @Test
    void tokenizer() {
        // tag::tokenizer[]
        Tokenizer tok = model.tokenizer();
        int[] tokens = tok.toTokens("apple river stone apple river");          // BOS first, as TransformerLens does
        assertThat(tok.toStrTokens(tokens)).containsExactly("<|bos|>", " apple", " river", " stone", " apple", " river");
        assertThat(tokens[0]).isEqualTo(tok.bosTokenId().getAsInt());
        assertThat(tok.toSingleToken(" river")).isEqualTo(tokens[2]);
        assertThat(tok.toString(tokens)).isEqualTo("<|bos|> apple river stone apple river");
        assertThat(tok.vocabSize()).isEqualTo(64);                             // BOS and 63 words
        // end::tokenizer[]
    }

    @Test
    void weights() {
        // tag::weights[]
        TransformerWeights w = model.weights();
        assertThat(w.wE().shape()).containsExactly(64, 64);           // W_E   [d_vocab, d_model]
        assertThat(w.wPos().shape()).containsExactly(48, 64);         // W_pos [n_ctx, d_model]
        TransformerWeights.Layer block0 = w.layers().get(0);
        assertThat(block0.wQ().shape()).containsExactly(4, 64, 16);   // W_Q   [n_heads, d_model, d_head]
        assertThat(block0.wO().shape()).containsExactly(4, 16, 64);   // W_O   [n_heads, d_head, d_model]
        assertThat(w.wU().shape()).containsExactly(64, 64);           // W_U   [d_model, d_vocab]
        // end::weights[]
    }

    @Test
    void hookPoints() {
        // tag::hook-names[]
        List<String> names = model.hookPointNames();                  // in firing order
        assertThat(names).startsWith("hook_embed", "hook_pos_embed", "blocks.0.hook_resid_pre")
                .contains("blocks.0.ln1.hook_scale", "blocks.1.attn.hook_pattern", "ln_final.hook_scale")
                .doesNotContain("blocks.0.hook_mlp_out", "blocks.0.hook_resid_mid")   // attention-only
                .endsWith("blocks.1.hook_resid_post", "ln_final.hook_scale", "ln_final.hook_normalized");
        List<HookShape> shapes = model.hookPoints(1, 10);             // shapes for a batch of 1 x 10 tokens
        assertThat(shapes).contains(new HookShape("blocks.0.attn.hook_pattern", new int[] {1, 4, 10, 10}));
        // end::hook-names[]
        assertThat(names).hasSize(2 + 2 * 11 + 2);   // embeddings, 11 per block, ln_final
    }

    @Test
    void continuesARepeatedSequence() {
        // tag::generate[]
        Tokenizer tok = model.tokenizer();
        String block = "apple river stone cloud tree house bread fire water light horse green table chair glass paper";
        int[] prompt = tok.toTokens(block + " apple river stone cloud");  // the block, then its start again
        GenerationResult out = model.generate(prompt, GenerationConfig.builder().maxNewTokens(4).greedy().build());
        assertThat(tok.toStrTokens(out.newTokens())).containsExactly(" tree", " house", " bread", " fire");
        // end::generate[]
    }
}
