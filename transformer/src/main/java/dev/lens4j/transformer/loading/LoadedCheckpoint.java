package dev.lens4j.transformer.loading;

import dev.lens4j.tensor.Tensor;
import dev.lens4j.transformer.HookedTransformer;
import dev.lens4j.transformer.ParameterCount;
import dev.lens4j.transformer.TransformerConfig;
import dev.lens4j.transformer.TransformerWeights;
import dev.lens4j.transformer.processing.ProcessingOptions;
import dev.lens4j.transformer.processing.WeightProcessing;
import dev.lens4j.transformer.tokenizer.Tokenizer;

/**
 * A checkpoint read into memory: config, weights in TransformerLens layout, tokenizer, and the
 * storage the weights live in. Weights may be zero-copy views of a memory-mapped file, valid until
 * {@link #close()}.
 *
 * @param config the config
 * @param weights the weights
 * @param tokenizer the tokenizer, or null when the checkpoint has none and none fits
 * @param owner what holds the weights' storage (the mapped files), or null when every weight is on the heap
 * @param parameterCount the parameter count of the checkpoint as stored, which processing does not change
 *                       (the processed weights no longer show it: see {@link ParameterCount})
 */
public record LoadedCheckpoint(TransformerConfig config, TransformerWeights weights, Tokenizer tokenizer,
                               AutoCloseable owner, ParameterCount parameterCount) implements AutoCloseable {

    /**
     * A checkpoint whose weights are as stored, so that they give its parameter count.
     *
     * @param config the config
     * @param weights the weights as stored, not processed
     * @param tokenizer the tokenizer, or null
     * @param owner what holds the weights' storage, or null
     */
    public LoadedCheckpoint(TransformerConfig config, TransformerWeights weights, Tokenizer tokenizer, AutoCloseable owner) {
        this(config, weights, tokenizer, owner, ParameterCount.of(weights));
    }

    /**
     * Applies weight processing. The processed tensors are new heap arrays; when no weight refers to
     * the mapped storage any more, the storage is closed at once and the result has no owner. This
     * checkpoint is consumed: use only the returned one.
     *
     * @param options the processing steps
     * @return the processed checkpoint (this one when {@code options} enables nothing)
     */
    public LoadedCheckpoint process(ProcessingOptions options) {
        if (options.isNone()) {
            return this;
        }
        WeightProcessing.Processed p = WeightProcessing.process(config, weights, options);
        AutoCloseable o = owner;
        if (o != null && p.weights().stateDict().values().stream().allMatch(Tensor::isHeap)) {
            closeQuietly(o);
            o = null;
        }
        return new LoadedCheckpoint(p.config(), p.weights(), tokenizer, o, parameterCount);
    }

    /**
     * Builds the model; it takes over the storage, so close the model, not this checkpoint.
     *
     * @return the model
     */
    public HookedTransformer toModel() {
        return HookedTransformer.of(config, weights, tokenizer, owner, parameterCount);
    }

    /** Releases the storage; the weights must not be used afterwards. */
    @Override
    public void close() {
        if (owner != null) {
            closeQuietly(owner);
        }
    }

    /** Closes an owner whose close does not throw checked exceptions in practice (mapped files). */
    static void closeQuietly(AutoCloseable c) {
        try {
            c.close();
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException("closing " + c + " failed", e);
        }
    }
}
