package dev.lens4j.transformer.loading;

import dev.lens4j.transformer.processing.ProcessingOptions;

/**
 * How to load a checkpoint.
 *
 * @param processing the weight processing to apply after loading ({@link ProcessingOptions#defaults()}
 *                   is TransformerLens's {@code from_pretrained}, {@link ProcessingOptions#none()} its
 *                   {@code from_pretrained_no_processing})
 */
public record LoadOptions(ProcessingOptions processing) {

    /** Checks the processing options are given. */
    public LoadOptions {
        if (processing == null) {
            throw new IllegalArgumentException("processing options are required (use ProcessingOptions.none())");
        }
    }

    /**
     * The options of TransformerLens's {@code from_pretrained}.
     *
     * @return default processing
     */
    public static LoadOptions defaults() {
        return new LoadOptions(ProcessingOptions.defaults());
    }

    /**
     * The options of TransformerLens's {@code from_pretrained_no_processing}.
     *
     * @return no weight processing
     */
    public static LoadOptions noProcessing() {
        return new LoadOptions(ProcessingOptions.none());
    }
}
