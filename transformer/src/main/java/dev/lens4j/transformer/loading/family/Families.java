package dev.lens4j.transformer.loading.family;

import dev.lens4j.transformer.loading.ModelFamily;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The model families lens4j loads from Hugging Face checkpoints, found by {@code config.json}'s
 * {@code model_type}. A new family is a {@link ModelFamily} subclass added to {@link #ALL}.
 */
public final class Families {

    /** Every supported family, in the order the docs list them. */
    public static final List<ModelFamily> ALL = List.of(
            new Gpt2Family(), new GptNeoXFamily(), new LlamaFamily(), new MistralFamily(), new Qwen2Family(),
            new Qwen3Family(), new GemmaFamily(), new Gemma2Family(), new Phi3Family());

    private Families() {}

    /**
     * The family that reads a {@code model_type}.
     *
     * @param modelType e.g. {@code "llama"}
     * @return the family, or empty
     */
    public static Optional<ModelFamily> forModelType(String modelType) {
        for (ModelFamily f : ALL) {
            if (f.modelTypes().contains(modelType)) {
                return Optional.of(f);
            }
        }
        return Optional.empty();
    }

    /**
     * Returns every supported {@code model_type}, for messages.
     *
     * @return every supported {@code model_type}, for messages
     */
    public static List<String> modelTypes() {
        List<String> out = new ArrayList<>();
        for (ModelFamily f : ALL) {
            out.addAll(f.modelTypes());
        }
        return out;
    }
}
