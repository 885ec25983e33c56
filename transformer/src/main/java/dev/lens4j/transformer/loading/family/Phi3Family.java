package dev.lens4j.transformer.loading.family;

import dev.lens4j.tensor.Tensor;
import dev.lens4j.transformer.AttentionType;
import dev.lens4j.transformer.TransformerConfig;
import dev.lens4j.transformer.loading.CheckpointFormatException;
import dev.lens4j.transformer.loading.HfConfig;

import java.io.IOException;
import java.util.Collections;
import java.util.List;
import java.util.Map;

/**
 * Phi-3 ({@code Phi3ForCausalLM}): Llama's block with the query, key and value projections fused in
 * {@code qkv_proj [(h + 2 kv) d_head, d_model]} (Q rows, then K, then V: views, and one GEMM) and
 * the gate and up projections in {@code gate_up_proj [2 d_mlp, d_model]} (gate first), and a sliding
 * window on every layer when {@code sliding_window} is set. The long-context {@code longrope} scaling
 * is refused.
 */
public final class Phi3Family extends LlamaFamily {

    /** Creates the Phi3 adapter (the registry in {@link Families} holds the one in use). */
    public Phi3Family() {
    }


    @Override
    public String name() {
        return "phi3";
    }

    @Override
    public List<String> modelTypes() {
        return List.of("phi3");
    }

    @Override
    public String example() {
        return "microsoft/Phi-3-mini-4k-instruct";
    }

    @Override
    protected String architecture() {
        return "Phi3ForCausalLM";
    }

    /** Phi-3's attention rotates {@code partial_rotary_factor} of each head (Phi-4-mini: 0.75). */
    @Override
    protected boolean rotatesPartOfEachHead() {
        return true;
    }

    @Override
    protected boolean qkvBias(HfConfig hf) {
        return false;
    }

    @Override
    protected boolean oBias(HfConfig hf) {
        return false;
    }

    @Override
    protected List<AttentionType> attentionTypes(HfConfig hf, int nLayers) throws CheckpointFormatException {
        return hf.has("sliding_window") ? Collections.nCopies(nLayers, AttentionType.LOCAL) : null;
    }

    @Override
    protected void attentionTensors(TransformerConfig cfg, String p, int q, int kv, Map<String, int[]> m) {
        m.put(p + "self_attn.qkv_proj.weight", new int[] {q + 2 * kv, cfg.dModel()});
    }

    @Override
    protected void mlpTensors(TransformerConfig cfg, String p, Map<String, int[]> m) {
        m.put(p + "mlp.gate_up_proj.weight", new int[] {2 * cfg.dMlp(), cfg.dModel()});
        m.put(p + "mlp.down_proj.weight", new int[] {cfg.dModel(), cfg.dMlp()});
    }

    @Override
    protected Tensor[] qkvWeights(TransformerConfig cfg, int l, Source src) throws IOException {
        Tensor w = src.get("layers." + l + ".self_attn.qkv_proj.weight");
        int q = cfg.nHeads() * cfg.dHead(), kv = cfg.nKvHeads() * cfg.dHead();
        return new Tensor[] {w.slice(0, 0, q), w.slice(0, q, q + kv), w.slice(0, q + kv, q + 2 * kv)};
    }

    @Override
    protected Tensor[] gateUpWeights(TransformerConfig cfg, int l, Source src) throws IOException {
        Tensor w = src.get("layers." + l + ".mlp.gate_up_proj.weight");
        int f = cfg.dMlp();
        return new Tensor[] {w.slice(0, 0, f), w.slice(0, f, 2 * f)};
    }
}
