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

    /** @return TransformerLens's {@code from_pretrained} defaults */
    public static LoadOptions defaults() {
        return new LoadOptions(ProcessingOptions.defaults());
    }

    /** @return no weight processing, as TransformerLens's {@code from_pretrained_no_processing} */
    public static LoadOptions noProcessing() {
        return new LoadOptions(ProcessingOptions.none());
    }
}
