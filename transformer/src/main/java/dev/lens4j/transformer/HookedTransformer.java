package dev.lens4j.transformer;

import dev.lens4j.transformer.tokenizer.Tokenizer;

/**
 * A GPT-2-style transformer with TransformerLens hook points. (Skeleton: the forward pass follows.)
 */
public final class HookedTransformer implements AutoCloseable {

    private final TransformerConfig cfg;
    private final TransformerWeights weights;
    private final Tokenizer tokenizer;
    private final AutoCloseable owner;
    private final java.util.concurrent.atomic.AtomicBoolean closed = new java.util.concurrent.atomic.AtomicBoolean();

    private HookedTransformer(TransformerConfig cfg, TransformerWeights weights, Tokenizer tokenizer, AutoCloseable owner) {
        this.cfg = cfg;
        this.weights = weights;
        this.tokenizer = tokenizer;
        this.owner = owner;
    }

    /**
     * Builds a model from a config and weights in TransformerLens layout.
     *
     * @param cfg the config
     * @param weights the weights, checked against the config
     * @param tokenizer the tokenizer, or null
     * @param owner what to close with the model (for example the memory-mapped checkpoint the weights
     *              are views of), or null
     * @return the model
     */
    public static HookedTransformer of(TransformerConfig cfg, TransformerWeights weights, Tokenizer tokenizer, AutoCloseable owner) {
        if (cfg == null || weights == null) {
            throw new IllegalArgumentException("config and weights are required");
        }
        return new HookedTransformer(cfg, weights, tokenizer, owner);
    }

    /** @return the config */
    public TransformerConfig config() {
        return cfg;
    }

    /** @return the weights */
    public TransformerWeights weights() {
        return weights;
    }

    /**
     * @return the tokenizer
     * @throws IllegalStateException if the model was built without one
     */
    public Tokenizer tokenizer() {
        if (tokenizer == null) {
            throw new IllegalStateException("model " + cfg.modelName() + " has no tokenizer");
        }
        return tokenizer;
    }

    /** @return true when the model has a tokenizer */
    public boolean hasTokenizer() {
        return tokenizer != null;
    }

    /**
     * Closes what owns the weights' memory (for example the checkpoint mapping); the model must not be
     * used afterwards. Closing twice is harmless.
     *
     * @throws java.io.UncheckedIOException if closing the owner failed with an I/O error
     * @throws IllegalStateException if closing the owner failed otherwise
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true) || owner == null) {
            return;
        }
        try {
            owner.close();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException("closing " + cfg.modelName() + " failed", e);
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException("closing " + cfg.modelName() + " failed", e);
        }
    }
}
