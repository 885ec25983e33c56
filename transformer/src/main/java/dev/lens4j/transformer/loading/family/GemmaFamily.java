package dev.lens4j.transformer.loading.family;

import dev.lens4j.tensor.Tensor;
import dev.lens4j.transformer.Activation;
import dev.lens4j.transformer.TransformerConfig;
import dev.lens4j.transformer.loading.CheckpointFormatException;
import dev.lens4j.transformer.loading.HfConfig;

import java.util.List;

/**
 * Gemma ({@code GemmaForCausalLM}): Llama's block with RMSNorms that multiply by {@code 1 + w} (the
 * file stores {@code w}; TransformerLens, and so lens4j, hold {@code 1 + w}), token embeddings
 * scaled by {@code sqrt(d_model)} (folded into {@code W_E}, a copy, as TransformerLens does; the tied
 * unembedding stays the unscaled file tensor), a GeGLU MLP with the tanh GELU, {@code head_dim}
 * independent of {@code hidden_size}, and tied embeddings.
 */
public class GemmaFamily extends LlamaFamily {

    /** Creates the Gemma adapter (the registry in {@link Families} holds the one in use). */
    public GemmaFamily() {
    }


    @Override
    public String name() {
        return "gemma";
    }

    @Override
    public List<String> modelTypes() {
        return List.of("gemma");
    }

    @Override
    public String example() {
        return "google/gemma-2b";
    }

    @Override
    protected String architecture() {
        return "GemmaForCausalLM";
    }

    @Override
    protected boolean tiedByDefault() {
        return true;
    }

    @Override
    protected Activation activation(HfConfig hf) throws CheckpointFormatException {
        // Hugging Face's Gemma reads hidden_activation first (hidden_act was its older, exact-GELU name)
        return activation(hf, hf.has("hidden_activation") ? "hidden_activation" : "hidden_act", "gelu_pytorch_tanh");
    }

    @Override
    protected Tensor norm(Tensor w) {
        return plusOne(w);
    }

    @Override
    protected Tensor embedding(TransformerConfig cfg, Tensor e) {
        return e.mul((float) Math.sqrt(cfg.dModel()));
    }
}
