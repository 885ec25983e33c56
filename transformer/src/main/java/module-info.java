/**
 * The transformer engine: configs, components with their hook points, the forward and backward
 * passes, loaders for Hugging Face and lens4j checkpoints of every supported family, tokenizers, weight
 * processing, generation and training, and the shipped {@code induction-2l} model.
 */
module dev.lens4j.transformer {
    requires transitive dev.lens4j.hooks;
    requires transitive dev.lens4j.tensor;
    requires ejml.core;
    requires ejml.ddense;

    exports dev.lens4j.transformer;
    exports dev.lens4j.transformer.generation;
    exports dev.lens4j.transformer.loading;
    exports dev.lens4j.transformer.loading.family;
    exports dev.lens4j.transformer.processing;
    exports dev.lens4j.transformer.tokenizer;
    exports dev.lens4j.transformer.train;
}
