package dev.lens4j.transformer.loading.family;

import dev.lens4j.transformer.AttentionType;
import dev.lens4j.transformer.TransformerConfig;
import dev.lens4j.transformer.loading.CheckpointFormatException;
import dev.lens4j.transformer.loading.HfConfig;

import java.util.List;

/**
 * Qwen2 and Qwen2.5 ({@code Qwen2ForCausalLM}): Llama's block with biases on the query, key and value
 * projections (none on the output), grouped-query attention, and sliding-window layers only when
 * {@code use_sliding_window} is set ({@code layer_types}, or the layers from {@code max_window_layers}
 * on in older configs).
 */
public final class Qwen2Family extends LlamaFamily {

    /** Creates the Qwen2 adapter (the registry in {@link Families} holds the one in use). */
    public Qwen2Family() {
    }


    @Override
    public String name() {
        return "qwen2";
    }

    @Override
    public List<String> modelTypes() {
        return List.of("qwen2");
    }

    @Override
    public String example() {
        return "Qwen/Qwen2.5-0.5B";
    }

    @Override
    protected String architecture() {
        return "Qwen2ForCausalLM";
    }

    @Override
    protected boolean qkvBias(HfConfig hf) {
        return true;
    }

    @Override
    protected boolean oBias(HfConfig hf) {
        return false;
    }

    @Override
    protected List<AttentionType> attentionTypes(HfConfig hf, int nLayers) throws CheckpointFormatException {
        return qwenLayerTypes(hf, nLayers);
    }

    /** TransformerLens 2.18's Qwen2ForCausalLM branch: Qwen2 was trained without BOS, so prompts get none by default. */
    @Override
    protected void configure(HfConfig hf, TransformerConfig.Builder b) {
        b.defaultPrependBos(false);
    }
}
