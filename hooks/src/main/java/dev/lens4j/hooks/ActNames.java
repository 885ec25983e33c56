package dev.lens4j.hooks;

import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Builds TransformerLens hook point names from shorthand, exactly as TransformerLens's
 * {@code utils.get_act_name} does. lens4j's models build every hook name through this class, so the
 * names a model fires and the names a cache lookup asks for cannot drift apart.
 *
 * <pre>{@code
 * ActNames.of("pattern", 0)            // "blocks.0.attn.hook_pattern"
 * ActNames.of("k", 6, "a")             // "blocks.6.attn.hook_k"
 * ActNames.of("normalized", 27, "ln2") // "blocks.27.ln2.hook_normalized"
 * ActNames.of("scale4ln1")             // "blocks.4.ln1.hook_scale"
 * ActNames.of("pre5")                  // "blocks.5.mlp.hook_pre"
 * ActNames.of("embed")                 // "hook_embed"
 * ActNames.of("scale")                 // "ln_final.hook_scale"
 * ActNames.of("blocks.0.hook_resid_pre") // unchanged: already a full name
 * }</pre>
 */
public final class ActNames {

    /** TransformerLens's {@code re.match(r"([a-z]+)(\d+)([a-z]?.*)", name)}. */
    private static final Pattern SHORTHAND = Pattern.compile("([a-z]+)(\\d+)([a-z]?.*)");

    private static final Map<String, String> LAYER_TYPE_ALIAS = Map.of(
            "a", "attn", "m", "mlp", "b", "", "block", "", "blocks", "", "attention", "attn");

    private static final Map<String, String> ACT_NAME_ALIAS = Map.of(
            "attn", "pattern", "attn_logits", "attn_scores", "key", "k", "query", "q", "value", "v",
            "mlp_pre", "pre", "mlp_mid", "mid", "mlp_post", "post");

    private static final Set<String> ATTN_NAMES = Set.of(
            "k", "v", "q", "z", "rot_k", "rot_q", "result", "pattern", "attn_scores");

    private static final Set<String> MLP_NAMES = Set.of("pre", "post", "mid", "pre_linear");

    private static final Set<String> LAYER_NORM_NAMES = Set.of("scale", "normalized");

    private ActNames() {}

    /**
     * A name from shorthand alone: a full name is returned as is, {@code "embed"} becomes
     * {@code "hook_embed"}, {@code "k6"} becomes {@code "blocks.6.attn.hook_k"}.
     *
     * @param name a full hook name or TransformerLens shorthand
     * @return the full hook point name
     */
    public static String of(String name) {
        return of(name, null, null);
    }

    /**
     * Returns the full name, e.g. {@code of("pattern", 0) = "blocks.0.attn.hook_pattern"}.
     *
     * @param name shorthand such as {@code "pattern"}, {@code "resid_pre"}, {@code "q"}
     * @param layer the block index
     * @return the full name, e.g. {@code of("pattern", 0) = "blocks.0.attn.hook_pattern"}
     */
    public static String of(String name, int layer) {
        return of(name, Integer.valueOf(layer), null);
    }

    /**
     * Returns the full name, e.g. {@code of("scale", 4, "ln1") = "blocks.4.ln1.hook_scale"}.
     *
     * @param name shorthand
     * @param layer the block index
     * @param layerType which part of the block: {@code "attn"}/{@code "a"}, {@code "mlp"}/{@code "m"},
     *                  {@code "ln1"}, {@code "ln2"}, or {@code ""}/{@code "b"} for the block itself
     * @return the full name, e.g. {@code of("scale", 4, "ln1") = "blocks.4.ln1.hook_scale"}
     */
    public static String of(String name, int layer, String layerType) {
        return of(name, Integer.valueOf(layer), layerType);
    }

    /**
     * The general form of TransformerLens's {@code get_act_name(name, layer, layer_type)}.
     *
     * @param name a full name or shorthand
     * @param layer the block index, or null
     * @param layerType the part of the block, or null
     * @return the full hook point name
     */
    public static String of(String name, Integer layer, String layerType) {
        if (name == null) {
            throw new IllegalArgumentException("activation name is null");
        }
        if ((name.contains(".") || name.startsWith("hook_")) && layer == null && layerType == null) {
            return name;
        }
        String layerText = layer == null ? null : layer.toString();
        Matcher m = SHORTHAND.matcher(name);
        if (m.lookingAt()) {
            name = m.group(1);
            layerText = m.group(2);
            layerType = m.group(3);
        }
        name = ACT_NAME_ALIAS.getOrDefault(name, name);
        StringBuilder full = new StringBuilder();
        if (layerText != null) {
            full.append("blocks.").append(layerText).append('.');
        }
        if (ATTN_NAMES.contains(name)) {
            layerType = "attn";
        } else if (MLP_NAMES.contains(name)) {
            layerType = "mlp";
        } else if (layerType != null && LAYER_TYPE_ALIAS.containsKey(layerType)) {
            layerType = LAYER_TYPE_ALIAS.get(layerType);
        }
        if (layerType != null && !layerType.isEmpty()) {
            full.append(layerType).append('.');
        }
        full.append("hook_").append(name);
        if (LAYER_NORM_NAMES.contains(name) && layerText == null) {
            return "ln_final." + full;
        }
        return full.toString();
    }
}
