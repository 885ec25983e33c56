package dev.lens4j.transformer.loading;

import dev.lens4j.tensor.Tensor;
import dev.lens4j.transformer.Activation;
import dev.lens4j.transformer.TransformerConfig;

import java.io.IOException;
import java.util.List;
import java.util.Map;

/**
 * One Hugging Face model family: how its {@code config.json} maps to a {@link TransformerConfig} and
 * its tensors to TransformerLens state-dict names, as TransformerLens's {@code convert_hf_model_config}
 * and {@code pretrained/weight_conversions/<family>.py} do. Everything else (reading files, checking
 * every tensor's presence, dtype and shape before reading any, refusing unexpected tensors, weight
 * processing, one block at a time) is shared by {@link HfCheckpoint}. Adding a family is one subclass
 * plus its entry in {@link dev.lens4j.transformer.loading.family.Families} (see docs/ARCHITECTURES.md).
 *
 * <p>Tensor names are relative to the family's base prefix ({@code "model."} for Llama,
 * {@code "transformer."} for GPT-2, {@code "gpt_neox."} for GPT-NeoX): a checkpoint of the
 * {@code ...ForCausalLM} class has the prefix, one of the base model class does not; the unembedding
 * ({@code lm_head.weight}, {@code embed_out.weight}) is outside it.
 */
public abstract class ModelFamily {

    /**
     * How the tensors are named in one checkpoint.
     *
     * @param prefix the base prefix the checkpoint uses ({@link #basePrefix()} or {@code ""})
     * @param tied whether the unembedding is the token embedding ({@code tie_word_embeddings})
     */
    public record Layout(String prefix, boolean tied) {}

    /** For subclasses: a family is stateless, and {@link dev.lens4j.transformer.loading.family.Families} holds one of each. */
    protected ModelFamily() {
    }

    /**
     * Returns the family's name, e.g. {@code "llama"}.
     *
     * @return the family's name, e.g. {@code "llama"}
     */
    public abstract String name();

    /**
     * Returns the {@code model_type} values of {@code config.json} this family reads.
     *
     * @return the {@code model_type} values of {@code config.json} this family reads
     */
    public abstract List<String> modelTypes();

    /**
     * Returns a public model of this family, for messages and docs (e.g. {@code "meta-llama/Llama-3.2-1B"}).
     *
     * @return a public model of this family, for messages and docs (e.g. {@code "meta-llama/Llama-3.2-1B"})
     */
    public abstract String example();

    /**
     * Returns the prefix of the base model's tensors in a {@code ...ForCausalLM} checkpoint, e.g. {@code "model."}.
     *
     * @return the prefix of the base model's tensors in a {@code ...ForCausalLM} checkpoint, e.g. {@code "model."}
     */
    protected abstract String basePrefix();

    /**
     * Returns a tensor every checkpoint of the family has, relative to the base prefix (to find the prefix).
     *
     * @return a tensor every checkpoint of the family has, relative to the base prefix (to find the prefix)
     */
    protected abstract String embeddingName();

    /**
     * The family's {@code config.json} keys for TransformerLens's, to name the key at fault when the
     * built config refuses a value.
     *
     * @return TransformerLens field name to this family's key
     */
    protected Map<String, String> hfKeys() {
        return Map.of("d_model", "hidden_size", "n_layers", "num_hidden_layers", "n_heads", "num_attention_heads",
                "n_ctx", "max_position_embeddings", "d_vocab", "vocab_size", "d_mlp", "intermediate_size",
                "n_key_value_heads", "num_key_value_heads", "d_head", "head_dim");
    }

    /**
     * A message of the config builder with TransformerLens's field names replaced by this family's
     * {@code config.json} keys.
     *
     * @param message the builder's message
     * @return the message in the file's words
     */
    protected String inFileKeys(String message) {
        String out = message;
        for (Map.Entry<String, String> e : hfKeys().entrySet()) {
            out = out.replaceAll("\\b" + e.getKey() + "\\b", java.util.regex.Matcher.quoteReplacement(e.getValue()));
        }
        return out;
    }

    /**
     * The {@code config.json} key of the number of blocks, for messages.
     *
     * @return {@code "num_hidden_layers"} unless the family says otherwise ({@code "n_layer"} for GPT-2)
     */
    protected String layersKey() {
        return "num_hidden_layers";
    }

    /**
     * Translates {@code config.json}.
     *
     * @param hf the config
     * @param modelName the name to give the model
     * @return the config
     * @throws CheckpointFormatException naming the file and the key at fault, or a value lens4j does not implement
     */
    public abstract TransformerConfig config(HfConfig hf, String modelName) throws CheckpointFormatException;

    /**
     * Whether the unembedding is the token embedding, from {@code tie_word_embeddings} and this
     * family's default for it.
     *
     * @param hf the config
     * @return whether the embeddings are tied
     * @throws CheckpointFormatException if the value is not a boolean
     */
    public boolean tied(HfConfig hf) throws CheckpointFormatException {
        return hf.bool("tie_word_embeddings", tiedByDefault());
    }

    /**
     * Returns the family's default for {@code tie_word_embeddings} (transformers' config default).
     *
     * @return the family's default for {@code tie_word_embeddings} (transformers' config default)
     */
    protected abstract boolean tiedByDefault();

    /**
     * Every tensor a checkpoint must hold, with its shape as stored: names relative to the base
     * prefix, except those outside it (the unembedding), which start with {@code "/"}.
     *
     * @param cfg the config
     * @param hf the config file (for flags the TransformerLens config does not carry, such as biases)
     * @param tied whether the embeddings are tied
     * @return name to shape
     * @throws CheckpointFormatException for a bad value in the config
     */
    protected abstract Map<String, int[]> tensors(TransformerConfig cfg, HfConfig hf, boolean tied) throws CheckpointFormatException;

    /**
     * The tensors of a checkpoint of the {@code ...ForCausalLM} class for a config, with their
     * shapes, by their full names: what a checkpoint must hold (for tools that write checkpoints and
     * for tests).
     *
     * @param cfg the config
     * @param hf the config file
     * @return full tensor name (with the base prefix) to shape
     * @throws CheckpointFormatException for a bad value in the config
     */
    public Map<String, int[]> checkpointShapes(TransformerConfig cfg, HfConfig hf) throws CheckpointFormatException {
        Map<String, int[]> out = new java.util.LinkedHashMap<>();
        for (Map.Entry<String, int[]> e : tensors(cfg, hf, tied(hf)).entrySet()) {
            String n = e.getKey();
            out.put(n.startsWith("/") ? n.substring(1) : basePrefix() + n, e.getValue());
        }
        return out;
    }

    /**
     * Whether a tensor is a buffer the family's checkpoints may hold and lens4j ignores (GPT-2's
     * causal-mask {@code attn.bias}, rotary {@code inv_freq} caches, ...).
     *
     * @param name a tensor name relative to the base prefix
     * @return true to ignore it
     */
    protected boolean isBuffer(String name) {
        return name.endsWith(".rotary_emb.inv_freq") || name.endsWith("rotary_emb.inv_freq");
    }

    /**
     * Converts the parameters outside the blocks (W_E, W_pos, ln_final, W_U, b_U).
     *
     * @param cfg the config
     * @param src the checkpoint's tensors (names relative to the base prefix; {@code "/lm_head.weight"} outside it)
     * @param tied whether the embeddings are tied
     * @param out where to put TransformerLens-named tensors
     * @throws IOException if a tensor cannot be read
     */
    protected abstract void ends(TransformerConfig cfg, Source src, boolean tied, Map<String, Tensor> out) throws IOException;

    /**
     * Converts block {@code l}.
     *
     * @param cfg the config
     * @param l the block
     * @param src the checkpoint's tensors
     * @param out where to put TransformerLens-named tensors ({@code blocks.l.*})
     * @throws IOException if a tensor cannot be read
     */
    protected abstract void block(TransformerConfig cfg, int l, Source src, Map<String, Tensor> out) throws IOException;

    @Override
    public String toString() {
        return name() + " " + modelTypes();
    }

    // ------------------------------------------------------------------ for subclasses

    /** Tensors of a checkpoint by name relative to the base prefix ({@code "/name"}: outside it). */
    public interface Source {
        /**
         * Reads a tensor.
         *
         * @param name a name relative to the base prefix
         * @return the tensor (float32: a view of a float32 file where possible, else a converted copy)
         * @throws IOException if it cannot be read
         */
        Tensor get(String name) throws IOException;

        /**
         * Whether the checkpoint has a tensor.
         *
         * @param name a name relative to the base prefix
         * @return whether the checkpoint has it
         */
        boolean has(String name);
    }

    /**
     * An activation under Hugging Face's names ({@code hidden_act}, {@code hidden_activation}).
     *
     * @param hf the config
     * @param key the key
     * @param dflt the value when absent
     * @return the activation
     * @throws CheckpointFormatException naming a value lens4j does not implement
     */
    protected static Activation activation(HfConfig hf, String key, String dflt) throws CheckpointFormatException {
        String a = hf.string(key, dflt);
        return switch (a) {
            case "gelu" -> Activation.GELU;
            case "gelu_new" -> Activation.GELU_NEW;
            case "gelu_pytorch_tanh" -> Activation.GELU_PYTORCH_TANH;
            case "relu" -> Activation.RELU;
            case "silu", "swish" -> Activation.SILU;
            default -> throw hf.error("\"" + key + "\": \"" + a + "\" is not supported (gelu, gelu_new, gelu_pytorch_tanh, relu, silu)");
        };
    }

    /**
     * {@code [out, in]} (a {@code torch.nn.Linear} weight) as {@code [in, out]}: a transposed view.
     *
     * @param w the weight
     * @return {@code [in, out]}, a view
     */
    protected static Tensor linear(Tensor w) {
        return w.mT();
    }

    /**
     * A Linear weight {@code [heads * d_head, d_model]} that produces per-head vectors, as
     * TransformerLens's {@code [heads, d_model, d_head]} ({@code "(n h) m -> n m h"}): a view.
     *
     * @param w the weight
     * @param heads the number of heads
     * @param dHead the head width
     * @return {@code [heads, d_model, d_head]}, a view
     */
    protected static Tensor headsIn(Tensor w, int heads, int dHead) {
        return w.view(heads, dHead, w.dim(1)).permute(0, 2, 1);
    }

    /**
     * A Linear weight {@code [d_model, heads * d_head]} that reads per-head vectors, as
     * TransformerLens's {@code W_O [heads, d_head, d_model]} ({@code "m (n h) -> n h m"}): a view.
     *
     * @param w the weight
     * @param heads the number of heads
     * @param dHead the head width
     * @return {@code [heads, d_head, d_model]}, a view
     */
    protected static Tensor headsOut(Tensor w, int heads, int dHead) {
        return w.mT().view(heads, dHead, w.dim(0));
    }

    /**
     * A bias {@code [heads * d_head]} as {@code [heads, d_head]}: a view.
     *
     * @param b the bias as stored
     * @param heads the number of heads
     * @param dHead the head width
     * @return a bias {@code [heads * d_head]} as {@code [heads, d_head]}: a view
     */
    protected static Tensor headsBias(Tensor b, int heads, int dHead) {
        return b.view(heads, dHead);
    }

    /**
     * {@code 1 + w} (Gemma's norms store the weight minus one): a copy.
     *
     * @param w the weight
     * @return {@code 1 + w} (Gemma's norms store the weight minus one): a copy
     */
    protected static Tensor plusOne(Tensor w) {
        return w.add(1f);
    }
}
