package dev.lens4j.transformer;

import dev.lens4j.tensor.Tensor;
import dev.lens4j.tensor.matmul.MatrixOperand;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The weights in the layouts the forward pass multiplies with, prepared once per model, and the
 * canonical weights those layouts are views of.
 *
 * <p>Matrices are used where they are ({@link Tensor#asMatrix()}: heap or memory-mapped, any
 * strides). Queries, keys and values are computed by one GEMM when {@code W_Q}, {@code W_K} and
 * {@code W_V} are views of one {@code [d_model, X]} matrix: Hugging Face GPT-2's {@code c_attn}
 * (Q | K | V blocks), GPT-NeoX's {@code query_key_value} (heads interleaved, q k v per head), Phi-3's
 * {@code qkv_proj}. Heap weights that are not (processed weights, trained weights) are copied once
 * into such a matrix (Q | K | V blocks), and the canonical weights become views of it, so that writes
 * through {@link HookedTransformer#weights()} reach the forward pass. Memory-mapped weights that are
 * not are multiplied part by part, with no copy. The biases {@code b_Q}, {@code b_K}, {@code b_V} are
 * always gathered into one vector in the layout of the QKV output, of which they become views; other
 * vectors (norm weights, biases) are made contiguous heap arrays when they are not.
 */
final class PreparedWeights {

    /**
     * Where a layer's queries, keys and values come from and where they land.
     *
     * <p>Part {@code i} (0 = Q, 1 = K, 2 = V) of head {@code h} is columns {@code [col[i] + h * headCols[i],
     * + d_head)} of {@code w[i]}, and lands in columns {@code [out[i] + h * outHeadCols[i], + d_head)}
     * of a {@code [N, width]} QKV buffer. {@code fused} is true when the three {@code w[i]} are one
     * operand that one GEMM multiplies into the buffer whole. {@code bias} is {@code b_Q | b_K | b_V}
     * in the layout of the buffer ({@code [width]}; the canonical biases are views of it).
     */
    record Qkv(MatrixOperand[] w, int[] col, int[] headCols, int[] out, int[] outHeadCols, int width, boolean fused,
               float[] bias) {}

    /** One block's operands. Vectors are heap arrays starting at offset 0, or null when absent. */
    record Layer(float[] ln1W, float[] ln1B, float[] ln1PostW, float[] ln1PostB,
                 Qkv qkv,
                 MatrixOperand wO,       // [n_heads * d_head, d_model]
                 float[] bO,             // [d_model]
                 float[] qNormW, float[] kNormW,   // [d_head] or null
                 float[] ln2W, float[] ln2B, float[] ln2PostW, float[] ln2PostB,
                 MatrixOperand wIn,      // [d_model, d_mlp]
                 MatrixOperand wGate,    // [d_model, d_mlp] or null
                 float[] bIn,            // [d_mlp]
                 MatrixOperand wOut,     // [d_mlp, d_model]
                 float[] bOut) {}        // [d_model]

    final TransformerWeights weights;    // the canonical weights the operands view
    final MatrixOperand wE;              // [d_vocab, d_model]
    final MatrixOperand wPos;            // [n_ctx, d_model] or null
    final List<Layer> layers;
    final float[] lnFinalW;              // [d_model] or null
    final float[] lnFinalB;              // [d_model] or null
    final MatrixOperand wU;              // [d_model, d_vocab_out]
    final float[] bU;                    // [d_vocab_out]

    PreparedWeights(TransformerConfig c, TransformerWeights w) {
        if (w.config() != c && !w.config().equals(c)) {
            // the weights were checked against another config: check them against this one
            w = TransformerWeights.fromStateDict(c, w.stateDict(), "weights of " + c.modelName());
        }
        TransformerWeights.Builder canon = w.toBuilder(c);
        int d = c.dModel(), h = c.nHeads(), kv = c.nKvHeads(), dh = c.dHead();
        String g = c.groupedQueryAttention() ? "_" : "";
        List<Layer> prepared = new ArrayList<>();
        for (int l = 0; l < c.nLayers(); l++) {
            TransformerWeights.Layer x = w.layers().get(l);
            String p = "blocks." + l + ".";
            Tensor[] parts = {x.wQ(), x.groupedWK(), x.groupedWV()};
            int[] heads = {h, kv, kv};
            Qkv qkv = fusedView(parts, heads, d, dh);
            if (qkv == null && allHeap(parts)) {
                // heap weights (processed, trained): one fused copy, of which the canonical weights become views
                Map<String, Tensor> block = new java.util.LinkedHashMap<>();
                String[] names = {p + "attn.W_Q", p + "attn." + g + "W_K", p + "attn." + g + "W_V"};
                for (int i = 0; i < 3; i++) {
                    block.put(names[i], parts[i]);
                }
                TransformerWeights.fuseQkv(c, l, block);
                for (int i = 0; i < 3; i++) {
                    parts[i] = block.get(names[i]);
                    canon.put(names[i], parts[i]);
                }
                qkv = fusedView(parts, heads, d, dh);
                if (qkv == null) {
                    throw new AssertionError("the fused copy of W_Q, W_K, W_V is not one matrix");
                }
            }
            if (qkv == null) {
                qkv = separate(parts, heads, d, dh);
            }
            // b_Q | b_K | b_V in the layout of the QKV output; the canonical biases become views of it
            float[] bias = new float[qkv.width()];
            Tensor biasT = Tensor.of(bias, qkv.width());
            String[] bNames = {p + "attn.b_Q", p + "attn." + g + "b_K", p + "attn." + g + "b_V"};

            for (int i = 0; i < 3; i++) {
                Tensor view = headView(biasT, qkv.out()[i], qkv.outHeadCols()[i], heads[i], dh);
                Tensor old = canon.get(bNames[i]);
                view.copyFrom(old);
                canon.put(bNames[i], view);
            }
            qkv = new Qkv(qkv.w(), qkv.col(), qkv.headCols(), qkv.out(), qkv.outHeadCols(), qkv.width(), qkv.fused(),
                    bias);
            Tensor wO = matrixable(x.wO(), h * dh, d);
            canon.put(p + "attn.W_O", wO);
            boolean mlp = !c.attnOnly();
            Tensor wIn = mlp ? matrixable(x.wIn(), d, c.dMlp()) : null;
            Tensor wGate = mlp && c.gatedMlp() ? matrixable(x.wGate(), d, c.dMlp()) : null;
            Tensor wOut = mlp ? matrixable(x.wOut(), c.dMlp(), d) : null;
            if (mlp) {
                canon.put(p + "mlp.W_in", wIn).put(p + "mlp.W_out", wOut);
                if (wGate != null) {
                    canon.put(p + "mlp.W_gate", wGate);
                }
            }
            prepared.add(new Layer(vec(canon, p + "ln1.w"), vec(canon, p + "ln1.b"),
                    vec(canon, p + "ln1_post.w"), vec(canon, p + "ln1_post.b"),
                    qkv, wO.reshape(h * dh, d).asMatrix(), vec(canon, p + "attn.b_O"),
                    vec(canon, p + "attn.q_norm.w"), vec(canon, p + "attn.k_norm.w"),
                    vec(canon, p + "ln2.w"), vec(canon, p + "ln2.b"), vec(canon, p + "ln2_post.w"), vec(canon, p + "ln2_post.b"),
                    wIn == null ? null : wIn.asMatrix(), wGate == null ? null : wGate.asMatrix(),
                    vec(canon, p + "mlp.b_in"), wOut == null ? null : wOut.asMatrix(), vec(canon, p + "mlp.b_out")));
        }
        this.lnFinalW = vec(canon, "ln_final.w");
        this.lnFinalB = vec(canon, "ln_final.b");
        float[] bu = vec(canon, "unembed.b_U");
        this.bU = bu;
        this.weights = canon.build();
        this.wE = weights.wE().asMatrix();
        this.wPos = weights.wPos() == null ? null : weights.wPos().asMatrix();
        this.layers = List.copyOf(prepared);
        this.wU = weights.wU().asMatrix();
    }

    /** A contiguous heap copy of a vector parameter when it is not one already; null when absent. */
    private static float[] vec(TransformerWeights.Builder canon, String name) {
        Tensor t = canon.get(name);
        if (t == null) {
            return null;
        }
        if (!(t.isHeap() && t.isContiguous() && t.heapOffset() == 0 && t.heapArray().length == t.size())) {
            t = t.copy();
            canon.put(name, t);
        }
        return t.heapArray();
    }

    private static boolean allHeap(Tensor[] parts) {
        for (Tensor t : parts) {
            if (!t.isHeap()) {
                return false;
            }
        }
        return true;
    }

    /**
     * W_Q, W_K, W_V ({@code [heads, d_model, d_head]} each) as one {@code [d_model, width]} operand
     * when they are views of such a matrix with every column used once; otherwise null.
     */
    private static Qkv fusedView(Tensor[] parts, int[] heads, int d, int dh) {
        MatrixOperand[] m = new MatrixOperand[3];
        long[] headStride = new long[3];
        for (int i = 0; i < 3; i++) {
            m[i] = parts[i].select(0, 0).asMatrix();   // [d_model, d_head] of head 0
            headStride[i] = heads[i] > 1 ? parts[i].strides()[0] : dh * m[i].colStride();
        }
        long rs = m[0].rowStride(), cs = m[0].colStride();
        if (cs == 0) {
            return null;
        }
        long base = Long.MAX_VALUE;
        for (int i = 0; i < 3; i++) {
            if (!sameStorage(m[0], m[i]) || m[i].rowStride() != rs || m[i].colStride() != cs || headStride[i] % cs != 0) {
                return null;
            }
            base = Math.min(base, m[i].offset());
        }
        int width = (heads[0] + heads[1] + heads[2]) * dh;
        int[] col = new int[3], headCols = new int[3];
        boolean[] used = new boolean[width];
        for (int i = 0; i < 3; i++) {
            long off = m[i].offset() - base;
            if (off % cs != 0) {
                return null;
            }
            col[i] = (int) (off / cs);
            headCols[i] = (int) (headStride[i] / cs);
            if (headCols[i] < dh || width % headCols[i] != 0 || col[i] % headCols[i] + dh > headCols[i]) {
                return null; // not a layout headView can address
            }
            for (int hh = 0; hh < heads[i]; hh++) {
                for (int e = 0; e < dh; e++) {
                    long j = col[i] + (long) hh * headCols[i] + e;
                    if (j < 0 || j >= width || used[(int) j]) {
                        return null;
                    }
                    used[(int) j] = true;
                }
            }
        }
        MatrixOperand fused = new MatrixOperand(m[0].array(), m[0].segment(), base, d, width, rs, cs, m[0].halves(), m[0].type());
        MatrixOperand[] w = {fused, fused, fused};
        return new Qkv(w, col, headCols, col.clone(), headCols.clone(), width, true, null);
    }

    private static boolean sameStorage(MatrixOperand a, MatrixOperand b) {
        return a.type() == b.type() && (a.array() != null ? a.array() == b.array() : a.segment() != null && b.segment() != null
                && a.segment().address() == b.segment().address() && a.segment().byteSize() == b.segment().byteSize());
    }

    /**
     * The {@code [heads, d_head]} view of part of a {@code [width]} vector whose head {@code h} is
     * elements {@code [col + h * headCols, + d_head)} (a layout {@link #fusedView} accepted).
     */
    static Tensor headView(Tensor flat, int col, int headCols, int heads, int dh) {
        int row = col / headCols, within = col % headCols;
        return flat.view(flat.dim(0) / headCols, headCols).slice(0, row, row + heads).slice(1, within, within + dh);
    }

    /** Q, K and V multiplied part by part, each as a {@code [d_model, heads * d_head]} view (or a copy). */
    private static Qkv separate(Tensor[] parts, int[] heads, int d, int dh) {
        MatrixOperand[] w = new MatrixOperand[3];
        int[] out = new int[3];
        int o = 0;
        for (int i = 0; i < 3; i++) {
            Tensor t = parts[i].permute(1, 0, 2);
            Tensor two;
            try {
                two = t.view(d, heads[i] * dh);
            } catch (IllegalArgumentException e) {
                two = t.copy().view(d, heads[i] * dh);
            }
            w[i] = two.asMatrix();
            out[i] = o;
            o += heads[i] * dh;
        }
        return new Qkv(w, new int[3], new int[] {dh, dh, dh}, out, new int[] {dh, dh, dh}, o, false, null);
    }

    /** A tensor whose {@code [rows, cols]} reshape is a view (a copy of {@code t} if it was not). */
    private static Tensor matrixable(Tensor t, int rows, int cols) {
        try {
            t.view(rows, cols);
            return t;
        } catch (IllegalArgumentException e) {
            return t.copy();
        }
    }

    /** Every parameter of the canonical weights, for tests. */
    Map<String, Tensor> stateDict() {
        return weights.stateDict();
    }
}
