package dev.lens4j.transformer.loading.family;

import dev.lens4j.transformer.AttentionType;
import dev.lens4j.transformer.TransformerConfig;
import dev.lens4j.transformer.loading.CheckpointFormatException;
import dev.lens4j.transformer.loading.HfConfig;

import java.util.List;

/**
 * Qwen3 ({@code Qwen3ForCausalLM}): Llama's block with per-head RMS norms of the queries and keys
 * ({@code q_norm}, {@code k_norm}, before rotary; TransformerLens's {@code use_qk_norm}), biases only
 * with {@code attention_bias}, and {@code head_dim} independent of {@code hidden_size}.
 */
public final class Qwen3Family extends LlamaFamily {

    /** Creates the Qwen3 adapter (the registry in {@link Families} holds the one in use). */
    public Qwen3Family() {
    }


    @Override
    public String name() {
        return "qwen3";
    }

    @Override
    public List<String> modelTypes() {
        return List.of("qwen3");
    }

    @Override
    public String example() {
        return "Qwen/Qwen3-0.6B";
    }

    @Override
    protected String architecture() {
        return "Qwen3ForCausalLM";
    }

    @Override
    protected List<AttentionType> attentionTypes(HfConfig hf, int nLayers) throws CheckpointFormatException {
        return qwenLayerTypes(hf, nLayers);
    }

    @Override
    protected void configure(HfConfig hf, TransformerConfig.Builder b) {
        // TransformerLens 2.18's Qwen3ForCausalLM branch: q/k norms, and prompts without BOS by default
        b.useQkNorm(true).defaultPrependBos(false);
    }
}
