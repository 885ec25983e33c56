package dev.lens4j.transformer;

import dev.lens4j.tensor.Tensor;
import dev.lens4j.tensor.matmul.MatrixOperand;

import java.util.ArrayList;
import java.util.List;

/**
 * The weights in the layouts the forward pass multiplies with, prepared once per model.
 *
 * <p>Matrices are used where they are ({@link Tensor#asMatrix()}: heap or memory-mapped, any
 * strides), with one exception: the forward pass wants Q, K and V side by side as one
 * {@code [d_model, 3 * n_heads * d_head]} matrix (column {@code i * d_head + j} of each third is head
 * {@code i}, dimension {@code j}, as in Hugging Face's {@code c_attn}), so that one GEMM over all
 * positions computes every head's queries, keys and values. When {@code W_Q}, {@code W_K} and
 * {@code W_V} are already views of such a matrix (a GPT-2 checkpoint's {@code c_attn}) they are used
 * as they are; otherwise they are copied once into a fused heap array, and the model's weights are
 * replaced by views of it, so that there is one copy and writes through
 * {@link HookedTransformer#weights()} reach the forward pass. The biases
 * {@code b_Q}, {@code b_K}, {@code b_V} are fused likewise, and the other vectors (biases, LayerNorm
 * weights) are made contiguous heap arrays when they are not; the same replacement applies.
 */
final class PreparedWeights {

    /** One block's operands. Vectors are heap arrays starting at offset 0 (or null when absent). */
    record Layer(float[] ln1W, float[] ln1B,
                 MatrixOperand wQkv,     // [d_model, 3 * n_heads * d_head], Q | K | V
                 float[] bQkv,           // [3 * n_heads * d_head]
                 MatrixOperand wO,       // [n_heads * d_head, d_model]
                 float[] bO,             // [d_model]
                 float[] ln2W, float[] ln2B,
                 MatrixOperand wIn,      // [d_model, d_mlp]
                 float[] bIn,            // [d_mlp]
                 MatrixOperand wOut,     // [d_mlp, d_model]
                 float[] bOut) {}        // [d_model]

    final TransformerWeights weights;    // the canonical weights the operands view
    final MatrixOperand wE;              // [d_vocab, d_model]
    final MatrixOperand wPos;            // [n_ctx, d_model]
    final List<Layer> layers;
    final float[] lnFinalW;              // [d_model] or null
    final float[] lnFinalB;              // [d_model] or null
    final MatrixOperand wU;              // [d_model, d_vocab]
    final float[] bU;                    // [d_vocab]

    PreparedWeights(TransformerConfig c, TransformerWeights w) {
        check(c, w);
        int d = c.dModel(), h = c.nHeads(), dh = c.dHead();
        boolean ln = c.normalization().equals("LN"); // LNPre and none have no LayerNorm parameters
        List<TransformerWeights.Layer> canon = new ArrayList<>();
        List<Layer> prepared = new ArrayList<>();
        for (int l = 0; l < c.nLayers(); l++) {
            TransformerWeights.Layer x = w.layers().get(l);
            Tensor wQ = x.wQ(), wK = x.wK(), wV = x.wV();
            MatrixOperand fused = fusedView(wQ, wK, wV, d, h * dh);
            if (fused == null) {
                // copied into one array laid out as Hugging Face's c_attn, of which they are then views
                TransformerWeights.Layer f = x.withFusedQkv();
                wQ = f.wQ();
                wK = f.wK();
                wV = f.wV();
                fused = fusedView(wQ, wK, wV, d, h * dh);
                if (fused == null) {
                    throw new AssertionError("withFusedQkv did not give views of one [d_model, 3 * n_heads * d_head] matrix");
                }
            }
            // b_Q | b_K | b_V side by side; the model's b_Q, b_K, b_V become views of it
            Tensor bQkvT = Tensor.zeros(3, h, dh);
            bQkvT.select(0, 0).copyFrom(x.bQ());
            bQkvT.select(0, 1).copyFrom(x.bK());
            bQkvT.select(0, 2).copyFrom(x.bV());
            Tensor bQ = bQkvT.select(0, 0), bK = bQkvT.select(0, 1), bV = bQkvT.select(0, 2);
            float[] bQkv = bQkvT.heapArray();
            Tensor wO = matrixable(x.wO(), h * dh, d);
            Tensor bO = vector(x.bO());
            Tensor ln1W = vector(x.ln1W()), ln1B = vector(x.ln1B());
            Tensor ln2W = vector(x.ln2W()), ln2B = vector(x.ln2B());
            Tensor wIn = x.wIn() == null ? null : matrixable(x.wIn(), d, c.dMlp());
            Tensor bIn = vector(x.bIn());
            Tensor wOut = x.wOut() == null ? null : matrixable(x.wOut(), c.dMlp(), d);
            Tensor bOut = vector(x.bOut());
            canon.add(new TransformerWeights.Layer(ln1W, ln1B, wQ, wK, wV, wO, bQ, bK, bV, bO, ln2W, ln2B, wIn, bIn, wOut, bOut));
            prepared.add(new Layer(ln ? arr(ln1W) : null, ln ? arr(ln1B) : null, fused, bQkv,
                    wO.reshape(h * dh, d).asMatrix(), arr(bO), ln ? arr(ln2W) : null, ln ? arr(ln2B) : null,
                    wIn == null ? null : wIn.asMatrix(), arr(bIn), wOut == null ? null : wOut.asMatrix(), arr(bOut)));
        }
        Tensor lnFW = vector(w.lnFinalW()), lnFB = vector(w.lnFinalB());
        Tensor bUt = vector(w.bU());
        this.weights = new TransformerWeights(w.wE(), w.wPos(), canon, lnFW, lnFB, w.wU(), bUt);
        this.wE = w.wE().asMatrix();
        this.wPos = w.wPos().asMatrix();
        this.layers = List.copyOf(prepared);
        this.lnFinalW = ln ? arr(lnFW) : null;
        this.lnFinalB = ln ? arr(lnFB) : null;
        this.wU = w.wU().asMatrix();
        this.bU = arr(bUt);
    }

    /**
     * Q, K and V as one {@code [d_model, 3 * width]} operand, when they are views of such a matrix;
     * otherwise null.
     */
    private static MatrixOperand fusedView(Tensor wQ, Tensor wK, Tensor wV, int d, int width) {
        MatrixOperand q = asTwoD(wQ, d, width), k = asTwoD(wK, d, width), v = asTwoD(wV, d, width);
        if (q == null || k == null || v == null) {
            return null;
        }
        boolean sameStorage = q.array() != null ? q.array() == k.array() && q.array() == v.array()
                : q.segment() != null && q.segment() == k.segment() && q.segment() == v.segment();
        if (sameStorage && q.colStride() == 1 && k.colStride() == 1 && v.colStride() == 1
                && q.rowStride() == 3L * width && k.rowStride() == q.rowStride() && v.rowStride() == q.rowStride()
                && k.offset() == q.offset() + width && v.offset() == q.offset() + 2L * width) {
            return new MatrixOperand(q.array(), q.segment(), q.offset(), d, 3 * width, q.rowStride(), 1);
        }
        return null;
    }

    /** {@code [n_heads, d_model, d_head]} as a {@code [d_model, n_heads * d_head]} view, or null if the strides do not allow it. */
    private static MatrixOperand asTwoD(Tensor w, int d, int width) {
        try {
            return w.permute(1, 0, 2).view(d, width).asMatrix();
        } catch (IllegalArgumentException e) {
            return null;
        }
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

    /** A contiguous heap tensor over a whole array (the tensor itself when it already is one), or null. */
    private static Tensor vector(Tensor t) {
        if (t == null) {
            return null;
        }
        if (t.isHeap() && t.isContiguous() && t.heapOffset() == 0 && t.heapArray().length == t.size()) {
            return t;
        }
        return t.copy();
    }

    private static float[] arr(Tensor t) {
        return t == null ? null : t.heapArray();
    }

    /** Checks every shape and presence against the config; the message names the weight. */
    private static void check(TransformerConfig c, TransformerWeights w) {
        int d = c.dModel(), h = c.nHeads(), dh = c.dHead(), v = c.dVocab();
        need(w.wE(), "W_E", v, d);
        need(w.wPos(), "W_pos", c.nCtx(), d);
        need(w.wU(), "W_U", d, v);
        need(w.bU(), "b_U", v);
        if (w.layers().size() != c.nLayers()) {
            throw new IllegalArgumentException("weights have " + w.layers().size() + " layers but the config has n_layers " + c.nLayers());
        }
        boolean ln = c.normalization().equals("LN");
        for (int l = 0; l < c.nLayers(); l++) {
            TransformerWeights.Layer x = w.layers().get(l);
            String p = "blocks." + l + ".";
            need(x.wQ(), p + "attn.W_Q", h, d, dh);
            need(x.wK(), p + "attn.W_K", h, d, dh);
            need(x.wV(), p + "attn.W_V", h, d, dh);
            need(x.wO(), p + "attn.W_O", h, dh, d);
            need(x.bQ(), p + "attn.b_Q", h, dh);
            need(x.bK(), p + "attn.b_K", h, dh);
            need(x.bV(), p + "attn.b_V", h, dh);
            need(x.bO(), p + "attn.b_O", d);
            if (ln) {
                need(x.ln1W(), p + "ln1.w", d);
                need(x.ln1B(), p + "ln1.b", d);
            }
            if (!c.attnOnly()) {
                need(x.wIn(), p + "mlp.W_in", d, c.dMlp());
                need(x.bIn(), p + "mlp.b_in", c.dMlp());
                need(x.wOut(), p + "mlp.W_out", c.dMlp(), d);
                need(x.bOut(), p + "mlp.b_out", d);
                if (ln) {
                    need(x.ln2W(), p + "ln2.w", d);
                    need(x.ln2B(), p + "ln2.b", d);
                }
            }
        }
        if (ln) {
            need(w.lnFinalW(), "ln_final.w", d);
            need(w.lnFinalB(), "ln_final.b", d);
        }
    }

    private static void need(Tensor t, String name, int... shape) {
        if (t == null) {
            throw new IllegalArgumentException("weight " + name + " is missing");
        }
        t.requireShape("weight " + name, shape);
    }
}
