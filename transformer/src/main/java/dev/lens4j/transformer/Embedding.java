package dev.lens4j.transformer;

import dev.lens4j.hooks.ActNames;
import dev.lens4j.hooks.HookPoint;
import dev.lens4j.tensor.io.Float16;
import dev.lens4j.tensor.matmul.MatrixOperand;
import dev.lens4j.tensor.matmul.StorageType;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

import static dev.lens4j.transformer.HookPoints.Dim.BATCH;
import static dev.lens4j.transformer.HookPoints.Dim.D_MODEL;
import static dev.lens4j.transformer.HookPoints.Dim.POS;

/**
 * The start of the residual stream, TransformerLens's {@code Embed} and {@code PosEmbed} with
 * {@code hook_tokens} (with {@code use_hook_tokens}), {@code hook_embed} and, for learned
 * positions, {@code hook_pos_embed}:
 * <pre>
 *   hook_embed     = W_E[tokens]                   [batch, pos, d_model]
 *   hook_pos_embed = W_pos[position]               learned positions only; zero for padding tokens
 *   resid_pre 0    = embed + pos_embed             (embed alone with rotary or no positions)
 * </pre>
 */
final class Embedding {

    private static final ValueLayout.OfFloat F32_LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final int C, V;
    private final MatrixOperand wE;       // [d_vocab, C]
    private final MatrixOperand wPos;     // [n_ctx, C] or null
    final HookPoint tokens, embed, posEmbed;

    Embedding(TransformerConfig c, PreparedWeights w, HookPoints points) {
        this.C = c.dModel();
        this.V = c.dVocab();
        this.wE = w.wE;
        this.wPos = c.positionalEmbedding() == PositionalEmbedding.STANDARD ? w.wPos : null;
        tokens = points.addIf(HookSwitch.HOOK_TOKENS, c.useHookTokens(), ActNames.of("tokens"), BATCH, POS);
        embed = points.add(ActNames.of("embed"), BATCH, POS, D_MODEL);
        posEmbed = points.addIf(wPos != null, ActNames.of("pos_embed"), BATCH, POS, D_MODEL);
    }

    /**
     * Token and positional embeddings, after {@code hook_tokens} when the model has it.
     *
     * @param p the pass
     * @param ids {@code [B][T]}, validated
     * @return the residual stream entering block 0, {@code [N, C]}
     */
    float[] forward(Pass p, int[][] ids) {
        int B = p.B, T = p.T, N = p.N;
        ids = hookTokens(p, ids);
        if (p.grad) {
            p.save(this, new Saved(ids));
        }
        float[] e = p.arrayFor(embed, N * C);
        for (int b = 0; b < B; b++) {
            for (int t = 0; t < T; t++) {
                copyRow(wE, ids[b][t], e, (b * T + t) * C);
            }
        }
        e = p.hook(embed, e);
        if (wPos == null) {
            return e;
        }
        float[] pos = p.arrayFor(posEmbed, N * C);
        for (int b = 0; b < B; b++) {
            for (int t = 0; t < T; t++) {
                if (p.real(b, t)) {
                    copyRow(wPos, p.positions[b][t], pos, (b * T + t) * C);
                }
            }
        }
        pos = p.hook(posEmbed, pos);
        return p.add(e, pos, N * C);
    }

    /** What the backward pass needs: the token ids embedded. */
    private record Saved(int[][] ids) {}

    /**
     * The backward pass: the gradients of {@code hook_embed} and {@code hook_pos_embed} (through their
     * backward hooks and the cache), added to the rows of W_E and W_pos they were read from.
     *
     * @param p the pass
     * @param dResid {@code [N, C]} the gradient of the residual stream entering block 0
     */
    void backward(Pass p, float[] dResid) {
        Saved sv = p.saved(this);
        int B = p.B, T = p.T;
        float[] dE = p.hookGrad(embed, dResid);
        float[] dP = wPos == null ? null : p.hookGrad(posEmbed, dResid);
        if (p.weightGrads == null) {
            return;
        }
        // one row at a time, in order: rows of repeated tokens add up the same way whatever the threads
        for (int b = 0; b < B; b++) {
            for (int t = 0; t < T; t++) {
                int n = b * T + t;
                p.weightGrads.addRow(wE, sv.ids()[b][t], dE, n * C);
                if (dP != null && p.real(b, t)) {
                    p.weightGrads.addRow(wPos, p.positions[b][t], dP, n * C);
                }
            }
        }
    }

    /**
     * Runs the hooks of {@code hook_tokens} on the ids as floats (exact: d_vocab is at most 2^24, see
     * {@link TransformerConfig}). A hook may replace them or change them in place, but only with ids
     * of the vocabulary, since they index W_E.
     *
     * @throws IllegalArgumentException if a hook left a value that is not an integer in {@code [0, V)},
     *     naming the hook point, the position and the value
     */
    private int[][] hookTokens(Pass p, int[][] ids) {
        if (!p.active(tokens)) {
            return ids;
        }
        int B = p.B, T = p.T;
        float[] f = new float[p.N];
        for (int b = 0; b < B; b++) {
            for (int t = 0; t < T; t++) {
                f[b * T + t] = ids[b][t];
            }
        }
        float[] hooked = p.hook(tokens, f);
        if (!p.hooked(tokens)) {
            return ids; // only cached: nothing could change the ids
        }
        int[][] replaced = new int[B][T];
        for (int b = 0; b < B; b++) {
            for (int t = 0; t < T; t++) {
                float id = hooked[b * T + t];
                if (id != Math.rint(id)) { // NaN too
                    throw new IllegalArgumentException("hook on " + tokens.name() + " left " + id + " at [" + b + ", " + t
                            + "], which is not an integral token id");
                }
                if (id < 0 || id >= V) {
                    throw new IllegalArgumentException("hook on " + tokens.name() + " left token id " + id + " at [" + b + ", " + t
                            + "], outside the vocabulary [0, " + V + ")");
                }
                replaced[b][t] = (int) id;
            }
        }
        return replaced;
    }

    /** Copies row {@code row} of a {@code [rows, C]} weight (heap or mapped, any storage type and strides) into {@code dst}, as float32. */
    static void copyRow(MatrixOperand m, int row, float[] dst, int dstOff) {
        int cols = m.cols();
        long start = m.offset() + row * m.rowStride();
        if (m.colStride() == 1 && m.array() != null) {
            System.arraycopy(m.array(), (int) start, dst, dstOff, cols);
        } else if (m.colStride() == 1 && m.type() == StorageType.F32 && m.segment() != null) {
            MemorySegment.copy(m.segment(), F32_LE, start * Float.BYTES, dst, dstOff, cols);
        } else if (m.colStride() == 1 && m.type() == StorageType.BF16 && m.segment() != null) {
            Float16.bf16ToF32(m.segment(), start * 2, dst, dstOff, cols);
        } else if (m.colStride() == 1 && m.type() == StorageType.F16 && m.segment() != null) {
            Float16.f16ToF32(m.segment(), start * 2, dst, dstOff, cols);
        } else {
            for (int c = 0; c < cols; c++) {
                dst[dstOff + c] = m.get(row, c);
            }
        }
    }
}
