package dev.lens4j.transformer.loading.family;

import dev.lens4j.tensor.Tensor;
import dev.lens4j.transformer.AttentionType;
import dev.lens4j.transformer.TransformerConfig;
import dev.lens4j.transformer.loading.CheckpointFormatException;
import dev.lens4j.transformer.loading.HfConfig;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Gemma 2 ({@code Gemma2ForCausalLM}): Gemma's block with a norm before and after attention and
 * the MLP ({@code input_layernorm}, {@code post_attention_layernorm}, {@code pre_feedforward_layernorm},
 * {@code post_feedforward_layernorm}; TransformerLens's {@code ln1}, {@code ln1_post}, {@code ln2},
 * {@code ln2_post}), attention scores soft-capped by {@code attn_logit_softcapping} and logits by
 * {@code final_logit_softcapping}, scores scaled by {@code query_pre_attn_scalar^-1/2}, and local
 * (sliding-window) and global layers alternating ({@code layer_types}, or even layers local in older
 * configs).
 */
public final class Gemma2Family extends GemmaFamily {

    /** Creates the Gemma2 adapter (the registry in {@link Families} holds the one in use). */
    public Gemma2Family() {
    }


    @Override
    public String name() {
        return "gemma2";
    }

    @Override
    public List<String> modelTypes() {
        return List.of("gemma2");
    }

    @Override
    public String example() {
        return "google/gemma-2-2b";
    }

    @Override
    protected String architecture() {
        return "Gemma2ForCausalLM";
    }

    @Override
    protected List<AttentionType> attentionTypes(HfConfig hf, int nLayers) throws CheckpointFormatException {
        List<AttentionType> types = hf.layerTypes(nLayers);
        if (types != null || !hf.has("sliding_window")) {
            return types;
        }
        List<AttentionType> out = new ArrayList<>();
        for (int l = 0; l < nLayers; l++) {
            out.add(l % 2 == 0 ? AttentionType.LOCAL : AttentionType.GLOBAL);
        }
        return out;
    }

    @Override
    protected void configure(HfConfig hf, TransformerConfig.Builder b) throws CheckpointFormatException {
        b.useNormalizationBeforeAndAfter(true);
        if (hf.has("attn_logit_softcapping")) {
            b.attnScoresSoftCap((float) hf.positiveNumber("attn_logit_softcapping", 50));
        }
        if (hf.has("final_logit_softcapping")) {
            b.outputLogitsSoftCap((float) hf.positiveNumber("final_logit_softcapping", 30));
        }
        if (hf.has("query_pre_attn_scalar")) {
            b.attnScale((float) Math.sqrt(hf.positiveNumber("query_pre_attn_scalar", 256)));
        }
    }

    @Override
    protected void normTensors(TransformerConfig cfg, String p, Map<String, int[]> m) {
        for (String n : new String[] {"input_layernorm", "post_attention_layernorm", "pre_feedforward_layernorm", "post_feedforward_layernorm"}) {
            m.put(p + n + ".weight", new int[] {cfg.dModel()});
        }
    }

    @Override
    protected void blockNorms(TransformerConfig cfg, int l, Source src, Map<String, Tensor> out) throws IOException {
        String p = "layers." + l + ".";
        String b = "blocks." + l + ".";
        out.put(b + "ln1.w", norm(src.get(p + "input_layernorm.weight")));
        out.put(b + "ln1_post.w", norm(src.get(p + "post_attention_layernorm.weight")));
        out.put(b + "ln2.w", norm(src.get(p + "pre_feedforward_layernorm.weight")));
        out.put(b + "ln2_post.w", norm(src.get(p + "post_feedforward_layernorm.weight")));
    }
}
