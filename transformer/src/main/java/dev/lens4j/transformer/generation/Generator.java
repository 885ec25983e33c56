package dev.lens4j.transformer.generation;

import dev.lens4j.hooks.HookSpec;
import dev.lens4j.tensor.Tensor;
import dev.lens4j.transformer.ForwardOptions;
import dev.lens4j.transformer.HookedTransformer;
import dev.lens4j.transformer.KvCache;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The generation loop (TransformerLens's {@code generate} on token input): one pass over the prompt,
 * then one pass per new token. With a KV cache each later pass runs one position; the model's hooks
 * and the given hooks fire in every pass, with {@code pos} = 1 after the first.
 */
public final class Generator {

    private Generator() {}

    /**
     * Continues a prompt.
     *
     * @param model the model
     * @param prompt token ids {@code [pos]}, at least one
     * @param cfg how to generate
     * @param hooks hooks for every pass of the generation
     * @return the prompt and the new tokens
     * @throws IllegalArgumentException if the prompt is empty, holds an id outside the vocabulary, or
     *     prompt plus new tokens would exceed n_ctx; if the config is null or its end-of-sequence token is
     *     outside the vocabulary
     */
    public static GenerationResult generate(HookedTransformer model, int[] prompt, GenerationConfig cfg, HookSpec... hooks) {
        if (prompt == null || prompt.length == 0) {
            throw new IllegalArgumentException("generate needs a prompt of at least one token");
        }
        if (cfg == null) {
            throw new IllegalArgumentException("generate needs a GenerationConfig: GenerationConfig.builder().build() for the defaults");
        }
        if (cfg.eosTokenId() >= model.config().dVocab()) {
            throw new IllegalArgumentException("eosTokenId " + cfg.eosTokenId() + " is outside the vocabulary [0, "
                    + model.config().dVocab() + "): generation could never stop at it");
        }
        int nCtx = model.config().nCtx();
        if (prompt.length + cfg.maxNewTokens() > nCtx) {
            throw new IllegalArgumentException("a prompt of " + prompt.length + " tokens plus " + cfg.maxNewTokens()
                    + " new tokens is " + (prompt.length + cfg.maxNewTokens()) + " positions, more than n_ctx " + nCtx);
        }
        int eos = cfg.eosTokenId() >= 0 ? cfg.eosTokenId()
                : model.hasTokenizer() ? model.tokenizer().eosTokenId().orElse(-1) : -1;
        if (cfg.stopAtEos() && eos < 0) {
            throw new IllegalArgumentException("stopAtEos needs an end-of-sequence token: set eosTokenId or give the model a tokenizer that has one");
        }
        Sampler sampler = new Sampler(cfg);
        KvCache kv = cfg.useKvCache() ? model.newKvCache(1) : null;
        ForwardOptions.Builder ob = ForwardOptions.builder().hooks(hooks).packedWeights(cfg.packedWeights());
        if (kv != null) {
            ob.kvCache(kv);
        }
        ForwardOptions opts = ob.build();
        int[] tokens = Arrays.copyOf(prompt, prompt.length + cfg.maxNewTokens());
        int len = prompt.length;
        List<Tensor> stepLogits = new ArrayList<>();
        int[] input = prompt;
        for (int i = 0; i < cfg.maxNewTokens(); i++) {
            Tensor logits = model.run(new int[][] {input}, opts).logits(); // [1, pos, d_vocab]
            float[] last = logits.select(0, 0).select(0, logits.dim(1) - 1).toArray();
            if (cfg.keepLogits()) {
                stepLogits.add(Tensor.of(last, last.length));
            }
            int next = sampler.next(last);
            tokens[len++] = next;
            if (cfg.stopAtEos() && next == eos) {
                break;
            }
            input = kv != null ? new int[] {next} : Arrays.copyOf(tokens, len);
        }
        return new GenerationResult(Arrays.copyOf(tokens, len), prompt.length, stepLogits);
    }
}
