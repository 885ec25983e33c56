package dev.lens4j.transformer.generation;

import dev.lens4j.transformer.WeightPacking;

/**
 * How to continue a prompt (TransformerLens's {@code generate} arguments). Build with
 * {@link #builder()}; the defaults are greedy decoding of 10 tokens with a KV cache, not stopping at
 * the end-of-sequence token.
 *
 * <pre>{@code
 * GenerationConfig greedy = GenerationConfig.builder().maxNewTokens(20).build();
 * GenerationConfig sampled = GenerationConfig.builder().maxNewTokens(20)
 *         .sample(0.8f).topK(40).topP(0.95f).seed(42).stopAtEos(true).build();
 * }</pre>
 *
 * @param maxNewTokens how many tokens to add at most
 * @param doSample sample from the distribution; false picks the most likely token (greedy)
 * @param temperature logits are divided by it before sampling; 0 means greedy
 * @param topK keep only the k most likely tokens before sampling; 0 keeps all
 * @param topP keep the smallest set of most likely tokens whose probability reaches p (nucleus
 *             sampling); 1 keeps all
 * @param seed the random seed of sampling; the same seed gives the same tokens
 * @param stopAtEos stop after generating the end-of-sequence token
 * @param eosTokenId the end-of-sequence token, or -1 to use the tokenizer's
 * @param useKvCache reuse keys and values of earlier positions (one position per step) instead of
 *                   running the whole sequence again at every step
 * @param keepLogits return the logits that chose each new token
 * @param packedWeights which weight matrices the passes may multiply from packed copies ({@link
 *                      dev.lens4j.transformer.ForwardOptions.Builder#packedWeights}): the prompt's pass
 *                      packs them, every step reads the copies; a bfloat16 checkpoint decodes from
 *                      bfloat16 panels (its bytes on the heap instead of the mapping) by default when they
 *                      fit in half the heap, and those that fit there, in the order of the layers, when not
 *                      all do ({@link WeightPacking#AUTO}), and always with {@link WeightPacking#ALL}
 */
public record GenerationConfig(int maxNewTokens, boolean doSample, float temperature, int topK, float topP, long seed,
                               boolean stopAtEos, int eosTokenId, boolean useKvCache, boolean keepLogits,
                               WeightPacking packedWeights) {

    /** Validates the values; a bad one throws an exception naming it. */
    public GenerationConfig {
        if (maxNewTokens < 0) {
            throw new IllegalArgumentException("maxNewTokens must be >= 0, got " + maxNewTokens);
        }
        if (!(temperature >= 0) || Float.isInfinite(temperature)) {
            throw new IllegalArgumentException("temperature must be a finite value >= 0, got " + temperature);
        }
        if (topK < 0) {
            throw new IllegalArgumentException("topK must be >= 0 (0 = off), got " + topK);
        }
        if (!(topP > 0 && topP <= 1)) {
            throw new IllegalArgumentException("topP must be in (0, 1] (1 = off), got " + topP);
        }
        if (packedWeights == null) {
            throw new IllegalArgumentException("packedWeights is null; use WeightPacking.NONE to multiply the weights as they are");
        }
        if (eosTokenId < -1) {
            throw new IllegalArgumentException("eosTokenId must be a token id, or -1 for the tokenizer's, got " + eosTokenId);
        }
    }

    /**
     * Returns a builder with the defaults.
     *
     * @return a builder with the defaults
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Returns true when tokens are chosen greedily (no sampling, or temperature 0).
     *
     * @return true when tokens are chosen greedily (no sampling, or temperature 0)
     */
    public boolean greedy() {
        return !doSample || temperature == 0f;
    }

    /** Builds a {@link GenerationConfig}. */
    public static final class Builder {
        private int maxNewTokens = 10;
        private boolean doSample;
        private float temperature = 1f;
        private int topK;
        private float topP = 1f;
        private long seed;
        private boolean stopAtEos;
        private int eosTokenId = -1;
        private boolean useKvCache = true;
        private boolean keepLogits;
        private WeightPacking packedWeights = WeightPacking.AUTO;

        private Builder() {}

        /**
         * Returns this builder.
         *
         * @param n how many tokens to add at most
         * @return this builder
         */
        public Builder maxNewTokens(int n) {
            this.maxNewTokens = n;
            return this;
        }

        /**
         * Returns this builder, set to greedy decoding.
         *
         * @return this builder, set to greedy decoding
         */
        public Builder greedy() {
            this.doSample = false;
            return this;
        }

        /**
         * Returns this builder, set to sampling.
         *
         * @param temperature the sampling temperature (0 = greedy)
         * @return this builder, set to sampling
         */
        public Builder sample(float temperature) {
            this.doSample = true;
            this.temperature = temperature;
            return this;
        }

        /**
         * Returns this builder.
         *
         * @param k keep the k most likely tokens (0 = all)
         * @return this builder
         */
        public Builder topK(int k) {
            this.topK = k;
            return this;
        }

        /**
         * Returns this builder.
         *
         * @param p nucleus probability (1 = all)
         * @return this builder
         */
        public Builder topP(float p) {
            this.topP = p;
            return this;
        }

        /**
         * Returns this builder.
         *
         * @param seed the sampling seed
         * @return this builder
         */
        public Builder seed(long seed) {
            this.seed = seed;
            return this;
        }

        /**
         * Returns this builder.
         *
         * @param stop stop after the end-of-sequence token
         * @return this builder
         */
        public Builder stopAtEos(boolean stop) {
            this.stopAtEos = stop;
            return this;
        }

        /**
         * Returns this builder.
         *
         * @param id the end-of-sequence token id (default: the tokenizer's)
         * @return this builder
         */
        public Builder eosTokenId(int id) {
            this.eosTokenId = id;
            return this;
        }

        /**
         * Returns this builder.
         *
         * @param use reuse cached keys and values (default true)
         * @return this builder
         */
        public Builder useKvCache(boolean use) {
            this.useKvCache = use;
            return this;
        }

        /**
         * Returns this builder.
         *
         * @param keep return each step's logits
         * @return this builder
         */
        public Builder keepLogits(boolean keep) {
            this.keepLogits = keep;
            return this;
        }

        /**
         * Returns this builder.
         *
         * @param packing which weight matrices the passes may multiply from packed copies (default
         *                {@link WeightPacking#AUTO}, which packs a 16-bit checkpoint's matrices when they fit
         *                in half the heap, else those that fit there, in layer order); {@link WeightPacking#ALL}
         *                for the fastest decoding of a bfloat16 checkpoint whatever the heap
         * @return this builder
         */
        public Builder packedWeights(WeightPacking packing) {
            this.packedWeights = packing;
            return this;
        }

        /**
         * Returns the config.
         *
         * @return the config
         */
        public GenerationConfig build() {
            return new GenerationConfig(maxNewTokens, doSample, temperature, topK, topP, seed, stopAtEos, eosTokenId,
                    useKvCache, keepLogits, packedWeights);
        }
    }
}
