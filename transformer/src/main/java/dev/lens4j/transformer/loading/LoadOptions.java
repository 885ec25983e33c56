package dev.lens4j.transformer.loading;

import dev.lens4j.transformer.processing.ProcessingOptions;

/**
 * How to load a checkpoint.
 *
 * @param processing the weight processing to apply after loading ({@link ProcessingOptions#defaults()}
 *                   is TransformerLens's {@code from_pretrained}, {@link ProcessingOptions#none()} its
 *                   {@code from_pretrained_no_processing})
 * @param allowNonFiniteWeights load weights that hold NaN or infinite values instead of refusing them
 *                              (a {@link CheckpointFormatException} naming the tensor and the first bad
 *                              element); for debugging a broken checkpoint only: every activation such
 *                              a weight reaches is NaN
 */
public record LoadOptions(ProcessingOptions processing, boolean allowNonFiniteWeights) {

    /** Checks the processing options are given. */
    public LoadOptions {
        if (processing == null) {
            throw new IllegalArgumentException("processing options are required (use ProcessingOptions.none())");
        }
    }

    /**
     * Options that refuse non-finite weights.
     *
     * @param processing the weight processing to apply after loading
     */
    public LoadOptions(ProcessingOptions processing) {
        this(processing, false);
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

    /**
     * A copy that loads weights holding NaN or infinite values, to debug a broken checkpoint.
     *
     * @return these options, allowing non-finite weights
     */
    public LoadOptions allowingNonFiniteWeights() {
        return new LoadOptions(processing, true);
    }
}
