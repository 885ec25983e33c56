package dev.lens4j.transformer.train;

import dev.lens4j.tensor.Tensor;
import dev.lens4j.transformer.Activation;
import dev.lens4j.transformer.Normalization;
import dev.lens4j.transformer.PositionalEmbedding;
import dev.lens4j.transformer.TransformerConfig;
import dev.lens4j.transformer.TransformerWeights;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Where each parameter of a trainable transformer lives in one flat float array, and the conversion to
 * and from {@link TransformerWeights} (TransformerLens layout).
 *
 * <p>The training layout equals TransformerLens's except that each layer's {@code W_Q, W_K, W_V}
 * ({@code [NH, C, HS]} each) are fused into one right-multiplying {@code W_QKV [C, 3 QC]} so that one
 * product computes q, k and v for every head: {@code W_Q[h, c, j] = W_QKV[c, h * HS + j]}, K and V in
 * the next column blocks. {@code b_Q, b_K, b_V [NH, HS]} are the three blocks of {@code b_QKV [3 QC]};
 * {@code W_O [NH, HS, C]} is already the row-major {@code [QC, C]} matrix the training passes use.
 *
 * <p>Order: {@code embed.W_E, pos_embed.W_pos}, then per block {@code ln1.w, ln1.b} (with LayerNorm),
 * {@code attn.W_QKV, attn.b_QKV, attn.W_O, attn.b_O}, then ({@code ln2.w, ln2.b,}) {@code mlp.W_in,
 * mlp.b_in, mlp.W_out, mlp.b_out} (with MLPs), then ({@code ln_final.w, ln_final.b,})
 * {@code unembed.W_U, unembed.b_U}.
 */
final class ParameterLayout {

    /**
     * One parameter tensor.
     *
     * @param name TransformerLens state-dict name, or {@code blocks.L.attn.W_QKV} / {@code b_QKV} for the fused ones
     * @param shape its shape in the training layout
     * @param offset index of its first element in the flat array
     * @param size number of elements
     * @param decay whether AdamW's weight decay applies (matrices yes; biases, LayerNorm and embeddings no)
     */
    record Entry(String name, int[] shape, int offset, int size, boolean decay) {}

    private final TransformerConfig cfg;
    private final Map<String, Entry> entries = new LinkedHashMap<>();
    private int total;

    ParameterLayout(TransformerConfig cfg) {
        if (cfg.normalization() != Normalization.LN && cfg.normalization() != Normalization.NONE) {
            throw new IllegalArgumentException("training supports normalization_type LN or none, got " + cfg.normalization().tlName());
        }
        if (!cfg.attnOnly() && cfg.actFn() != Activation.GELU_NEW) {
            throw new IllegalArgumentException("training supports act_fn gelu_new only, got " + cfg.actFn().tlName());
        }
        if (cfg.positionalEmbedding() != PositionalEmbedding.STANDARD || cfg.groupedQueryAttention() || cfg.gatedMlp()
                || cfg.parallelAttnMlp() || cfg.useNormalizationBeforeAndAfter()) {
            throw new IllegalArgumentException("training supports GPT-2-style blocks only (learned positions, one key/value head"
                    + " per query head, a dense MLP after attention), got " + cfg);
        }
        this.cfg = cfg;
        int C = cfg.dModel(), QC = cfg.nHeads() * cfg.dHead(), V = cfg.dVocab(), F = cfg.dMlp();
        boolean ln = hasLayerNorm();
        add("embed.W_E", false, V, C);
        add("pos_embed.W_pos", false, cfg.nCtx(), C);
        for (int l = 0; l < cfg.nLayers(); l++) {
            String p = "blocks." + l + ".";
            if (ln) {
                add(p + "ln1.w", false, C);
                add(p + "ln1.b", false, C);
            }
            add(p + "attn.W_QKV", true, C, 3 * QC);
            add(p + "attn.b_QKV", false, 3 * QC);
            add(p + "attn.W_O", true, QC, C);
            add(p + "attn.b_O", false, C);
            if (!cfg.attnOnly()) {
                if (ln) {
                    add(p + "ln2.w", false, C);
                    add(p + "ln2.b", false, C);
                }
                add(p + "mlp.W_in", true, C, F);
                add(p + "mlp.b_in", false, F);
                add(p + "mlp.W_out", true, F, C);
                add(p + "mlp.b_out", false, C);
            }
        }
        if (ln) {
            add("ln_final.w", false, C);
            add("ln_final.b", false, C);
        }
        add("unembed.W_U", true, C, V);
        add("unembed.b_U", false, V);
    }

    private void add(String name, boolean decay, int... shape) {
        int size = 1;
        for (int d : shape) {
            size = Math.multiplyExact(size, d);
        }
        entries.put(name, new Entry(name, shape, total, size, decay));
        total = Math.addExact(total, size);
    }

    /** @return the model config */
    TransformerConfig config() {
        return cfg;
    }

    /** @return true when the model has LayerNorms (ln1, ln2, ln_final) */
    boolean hasLayerNorm() {
        return cfg.normalization() == Normalization.LN;
    }

    /** @return number of floats in the flat parameter array */
    int total() {
        return total;
    }

    /** @return all entries, in array order */
    List<Entry> entries() {
        return Collections.unmodifiableList(new ArrayList<>(entries.values()));
    }

    /**
     * @param name an entry name
     * @return the entry's offset
     * @throws IllegalArgumentException if there is no such entry
     */
    int offset(String name) {
        return entry(name).offset();
    }

    /**
     * @param name an entry name
     * @return the entry
     * @throws IllegalArgumentException if there is no such entry
     */
    Entry entry(String name) {
        Entry e = entries.get(name);
        if (e == null) {
            throw new IllegalArgumentException("no parameter '" + name + "' in this model; it has " + entries.keySet());
        }
        return e;
    }

    /**
     * Copies flat parameters out into TransformerLens layout.
     *
     * @param params the flat parameters, {@link #total()} floats
     * @return new heap tensors, independent of {@code params}
     */
    TransformerWeights toWeights(float[] params) {
        int C = cfg.dModel(), NH = cfg.nHeads(), HS = cfg.dHead(), QC = NH * HS;
        boolean ln = hasLayerNorm();
        TransformerWeights.Builder out = TransformerWeights.builder(cfg);
        for (int l = 0; l < cfg.nLayers(); l++) {
            String p = "blocks." + l + ".";
            int wqkv = offset(p + "attn.W_QKV"), bqkv = offset(p + "attn.b_QKV");
            String[] wn = {"W_Q", "W_K", "W_V"}, bn = {"b_Q", "b_K", "b_V"};
            for (int which = 0; which < 3; which++) {
                float[] wd = new float[NH * C * HS];
                for (int h = 0; h < NH; h++) {
                    for (int c = 0; c < C; c++) {
                        System.arraycopy(params, wqkv + c * 3 * QC + which * QC + h * HS, wd, (h * C + c) * HS, HS);
                    }
                }
                out.put(p + "attn." + wn[which], Tensor.of(wd, NH, C, HS));
                out.put(p + "attn." + bn[which], Tensor.of(Arrays.copyOfRange(params, bqkv + which * QC, bqkv + (which + 1) * QC), NH, HS));
            }
            out.put(p + "attn.W_O", copy(params, p + "attn.W_O", NH, HS, C));
            out.put(p + "attn.b_O", copy(params, p + "attn.b_O", C));
            if (ln) {
                out.put(p + "ln1.w", copy(params, p + "ln1.w", C)).put(p + "ln1.b", copy(params, p + "ln1.b", C));
            }
            if (!cfg.attnOnly()) {
                if (ln) {
                    out.put(p + "ln2.w", copy(params, p + "ln2.w", C)).put(p + "ln2.b", copy(params, p + "ln2.b", C));
                }
                out.put(p + "mlp.W_in", copy(params, p + "mlp.W_in", C, cfg.dMlp()));
                out.put(p + "mlp.b_in", copy(params, p + "mlp.b_in", cfg.dMlp()));
                out.put(p + "mlp.W_out", copy(params, p + "mlp.W_out", cfg.dMlp(), C));
                out.put(p + "mlp.b_out", copy(params, p + "mlp.b_out", C));
            }
        }
        out.put("embed.W_E", copy(params, "embed.W_E", cfg.dVocab(), C));
        out.put("pos_embed.W_pos", copy(params, "pos_embed.W_pos", cfg.nCtx(), C));
        if (ln) {
            out.put("ln_final.w", copy(params, "ln_final.w", C)).put("ln_final.b", copy(params, "ln_final.b", C));
        }
        out.put("unembed.W_U", copy(params, "unembed.W_U", C, cfg.dVocab()));
        out.put("unembed.b_U", copy(params, "unembed.b_U", cfg.dVocab()));
        return out.build();
    }

    private Tensor copy(float[] params, String name, int... shape) {
        Entry e = entry(name);
        return Tensor.of(Arrays.copyOfRange(params, e.offset(), e.offset() + e.size()), shape);
    }

    /**
     * Packs TransformerLens-layout weights into a flat parameter array.
     *
     * @param w weights whose shapes match this layout's config
     * @return a new array of {@link #total()} floats
     * @throws IllegalArgumentException naming the tensor whose shape does not match
     */
    float[] fromWeights(TransformerWeights w) {
        int C = cfg.dModel(), NH = cfg.nHeads(), HS = cfg.dHead(), QC = NH * HS;
        boolean ln = hasLayerNorm();
        float[] params = new float[total];
        if (w.layers().size() != cfg.nLayers()) {
            throw new IllegalArgumentException("weights have " + w.layers().size() + " layers, config has " + cfg.nLayers());
        }
        put(params, "embed.W_E", w.wE());
        put(params, "pos_embed.W_pos", w.wPos());
        for (int l = 0; l < cfg.nLayers(); l++) {
            String p = "blocks." + l + ".";
            TransformerWeights.Layer x = w.layers().get(l);
            if (ln) {
                put(params, p + "ln1.w", x.ln1W());
                put(params, p + "ln1.b", x.ln1B());
            }
            int wqkv = offset(p + "attn.W_QKV"), bqkv = offset(p + "attn.b_QKV");
            Tensor[] ws = {x.wQ(), x.wK(), x.wV()};
            Tensor[] bs = {x.bQ(), x.bK(), x.bV()};
            for (int which = 0; which < 3; which++) {
                float[] wd = ws[which].requireShape(p + "attn.W_" + "QKV".charAt(which), NH, C, HS).contiguous().toArray();
                for (int h = 0; h < NH; h++) {
                    for (int c = 0; c < C; c++) {
                        System.arraycopy(wd, (h * C + c) * HS, params, wqkv + c * 3 * QC + which * QC + h * HS, HS);
                    }
                }
                float[] bd = bs[which].requireShape(p + "attn.b_" + "QKV".charAt(which), NH, HS).contiguous().toArray();
                System.arraycopy(bd, 0, params, bqkv + which * QC, QC);
            }
            put(params, p + "attn.W_O", x.wO().requireShape(p + "attn.W_O", NH, HS, C).reshape(QC, C));
            put(params, p + "attn.b_O", x.bO());
            if (!cfg.attnOnly()) {
                if (ln) {
                    put(params, p + "ln2.w", x.ln2W());
                    put(params, p + "ln2.b", x.ln2B());
                }
                put(params, p + "mlp.W_in", x.wIn());
                put(params, p + "mlp.b_in", x.bIn());
                put(params, p + "mlp.W_out", x.wOut());
                put(params, p + "mlp.b_out", x.bOut());
            }
        }
        if (ln) {
            put(params, "ln_final.w", w.lnFinalW());
            put(params, "ln_final.b", w.lnFinalB());
        }
        put(params, "unembed.W_U", w.wU());
        put(params, "unembed.b_U", w.bU());
        return params;
    }

    private void put(float[] params, String name, Tensor t) {
        Entry e = entry(name);
        if (t == null) {
            throw new IllegalArgumentException("weights lack '" + name + "'");
        }
        float[] d = t.requireShape(name, e.shape()).contiguous().toArray();
        System.arraycopy(d, 0, params, e.offset(), e.size());
    }
}
