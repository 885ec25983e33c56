package dev.lens4j.transformer.loading.family;

import dev.lens4j.transformer.AttentionType;
import dev.lens4j.transformer.loading.CheckpointFormatException;
import dev.lens4j.transformer.loading.HfConfig;

import java.util.Collections;
import java.util.List;

/**
 * Mistral ({@code MistralForCausalLM}): Llama's block with a sliding window on every layer when
 * {@code sliding_window} is set (a query sees itself and the {@code sliding_window - 1} positions
 * before it, as Hugging Face's mask does) and no biases.
 */
public final class MistralFamily extends LlamaFamily {

    /** Creates the Mistral adapter (the registry in {@link Families} holds the one in use). */
    public MistralFamily() {
    }


    @Override
    public String name() {
        return "mistral";
    }

    @Override
    public List<String> modelTypes() {
        return List.of("mistral");
    }

    @Override
    public String example() {
        return "mistralai/Mistral-7B-v0.1";
    }

    @Override
    protected String architecture() {
        return "MistralForCausalLM";
    }

    @Override
    protected boolean qkvBias(HfConfig hf) {
        return false;
    }

    @Override
    protected boolean oBias(HfConfig hf) {
        return false;
    }

    @Override
    protected List<AttentionType> attentionTypes(HfConfig hf, int nLayers) throws CheckpointFormatException {
        List<AttentionType> types = hf.layerTypes(nLayers);
        if (types != null) {
            return types;
        }
        return hf.has("sliding_window") ? Collections.nCopies(nLayers, AttentionType.LOCAL) : null;
    }
}
