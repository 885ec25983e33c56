package dev.lens4j.transformer.loading;

import dev.lens4j.tensor.io.Json;
import dev.lens4j.transformer.TransformerConfig;

import java.util.Map;

/**
 * Reads a Hugging Face {@code GPT2Config} ({@code config.json} of a GPT-2 checkpoint) into a
 * {@link TransformerConfig}, as TransformerLens's {@code convert_hf_model_config} does for GPT-2.
 *
 * <table>
 *   <caption>Hugging Face key to TransformerLens field</caption>
 *   <tr><th>config.json</th><th>TransformerConfig</th></tr>
 *   <tr><td>{@code n_embd}</td><td>d_model; d_head = n_embd / n_head</td></tr>
 *   <tr><td>{@code n_layer}, {@code n_head}</td><td>n_layers, n_heads</td></tr>
 *   <tr><td>{@code n_positions} (else {@code n_ctx})</td><td>n_ctx</td></tr>
 *   <tr><td>{@code vocab_size}</td><td>d_vocab</td></tr>
 *   <tr><td>{@code n_inner} (null: 4 n_embd)</td><td>d_mlp</td></tr>
 *   <tr><td>{@code activation_function} (default gelu_new)</td><td>act_fn</td></tr>
 *   <tr><td>{@code layer_norm_epsilon} (default 1e-5)</td><td>eps</td></tr>
 * </table>
 *
 * <p>Normalization is {@code "LN"}. Options that change the computation in ways lens4j does not
 * implement ({@code scale_attn_weights: false}, {@code scale_attn_by_inverse_layer_idx: true},
 * {@code add_cross_attention: true}) are refused by name rather than ignored.
 *
 * <p>{@code torch_dtype} is ignored, deliberately. It is a hint for the dtype to compute in, not a
 * description of the file: Hugging Face's {@code from_pretrained} uses it at most as a default the
 * caller overrides (for years it ignored it unless asked for {@code torch_dtype="auto"}), and
 * TransformerLens loads in the dtype it is given, float32 by default, converting whatever the file
 * holds. lens4j always computes in float32, and what it reads is each tensor's dtype in the
 * safetensors header (F32 mapped as it is; F16, BF16 and F64 converted exactly), so a
 * {@code torch_dtype} that disagrees with the file changes nothing. Refusing the mismatch would refuse
 * checkpoints that load in both Python libraries: configs outlive conversions of the weights file
 * (float32 saved as float16, say), and the published gpt2 configs have no {@code torch_dtype} at all.
 */
public final class HfGpt2Config {

    private HfGpt2Config() {}

    /**
     * Converts a parsed {@code config.json}.
     *
     * @param hf the parsed {@code config.json}
     * @param source the file it came from, for messages
     * @param modelName the name to give the model
     * @return the config
     * @throws CheckpointFormatException naming the file and the key at fault
     */
    public static TransformerConfig toTransformerConfig(Map<String, Object> hf, String source, String modelName)
            throws CheckpointFormatException {
        Object type = hf.get("model_type");
        if (type != null && !"gpt2".equals(type)) {
            throw new CheckpointFormatException(source, "model_type is " + Json.write(type)
                    + "; lens4j loads Hugging Face checkpoints of model_type \"gpt2\"");
        }
        refuse(hf, source, "scale_attn_weights", Boolean.FALSE, "unscaled attention scores");
        refuse(hf, source, "scale_attn_by_inverse_layer_idx", Boolean.TRUE, "scores scaled by the inverse layer index");
        refuse(hf, source, "add_cross_attention", Boolean.TRUE, "cross-attention");
        int dModel = positiveInt(hf, source, "n_embd");
        int nLayers = positiveInt(hf, source, "n_layer");
        int nHeads = positiveInt(hf, source, "n_head");
        if (dModel % nHeads != 0) {
            throw new CheckpointFormatException(source, "n_embd " + dModel + " is not divisible by n_head " + nHeads);
        }
        String ctxKey = hf.get("n_positions") != null ? "n_positions" : "n_ctx";
        int nCtx = positiveInt(hf, source, ctxKey);
        int dVocab = positiveInt(hf, source, "vocab_size");
        if (hf.get("n_inner") == null && 4L * dModel > Integer.MAX_VALUE) {
            throw new CheckpointFormatException(source, "\"n_inner\" is null, so the MLP width is 4 n_embd = " + 4L * dModel
                    + ", more than 2^31-1: \"n_embd\" " + dModel + " is too large");
        }
        int dMlp = hf.get("n_inner") == null ? 4 * dModel : positiveInt(hf, source, "n_inner");
        String act = activation(hf, source);
        float eps = 1e-5f;
        Object e = hf.get("layer_norm_epsilon");
        if (e != null) {
            // checked as float32, the precision lens4j computes in: 1e300 would be infinite, 1e-50 zero
            if (!(e instanceof Number num) || !(num.floatValue() > 0) || !Float.isFinite(num.floatValue())) {
                throw new CheckpointFormatException(source, "\"layer_norm_epsilon\" must be a positive number that float32 "
                        + "holds, got " + Json.write(e));
            }
            eps = num.floatValue();
        }
        try {
            return new TransformerConfig(nLayers, dModel, nHeads, dModel / nHeads, dMlp, nCtx, dVocab, act, "LN", false,
                    eps, false, false, false, false, false, "standard", modelName);
        } catch (IllegalArgumentException x) {
            throw new CheckpointFormatException(source, hfKeys(x.getMessage()), x);
        }
    }

    /** TransformerConfig's keys in a message, as this file spells them. */
    private static String hfKeys(String message) {
        return message.replaceAll("\\bd_model\\b", "n_embd").replaceAll("\\bn_layers\\b", "n_layer")
                .replaceAll("\\bn_heads\\b", "n_head").replaceAll("\\bn_ctx\\b", "n_positions")
                .replaceAll("\\bd_vocab\\b", "vocab_size").replaceAll("\\bd_mlp\\b", "n_inner")
                .replaceAll("\\bd_head\\b", "d_head (n_embd / n_head)");
    }

    /** Hugging Face's activation names; {@code gelu_pytorch_tanh} is the same function as {@code gelu_new}. */
    private static String activation(Map<String, Object> hf, String source) throws CheckpointFormatException {
        Object a = hf.get("activation_function");
        if (a == null) {
            return "gelu_new";
        }
        return switch (String.valueOf(a)) {
            case "gelu_new", "gelu_pytorch_tanh" -> "gelu_new";
            case "gelu" -> "gelu";
            case "relu" -> "relu";
            default -> throw new CheckpointFormatException(source, "activation_function " + Json.write(a)
                    + " is not supported (gelu_new, gelu_pytorch_tanh, gelu or relu)");
        };
    }

    private static void refuse(Map<String, Object> hf, String source, String key, Boolean value, String what)
            throws CheckpointFormatException {
        if (value.equals(hf.get(key))) {
            throw new CheckpointFormatException(source, "\"" + key + "\": " + value + " (" + what
                    + ") is not supported by lens4j");
        }
    }

    private static int positiveInt(Map<String, Object> hf, String source, String key) throws CheckpointFormatException {
        Object v = hf.get(key);
        if (v == null) {
            throw new CheckpointFormatException(source, "missing key \"" + key + "\" (a Hugging Face GPT-2 config.json has "
                    + "n_embd, n_layer, n_head, n_positions, vocab_size)");
        }
        if (!(v instanceof Long l) || l <= 0 || l > Integer.MAX_VALUE) {
            throw new CheckpointFormatException(source, "\"" + key + "\" must be a positive integer, got " + Json.write(v));
        }
        return (int) (long) l;
    }
}
