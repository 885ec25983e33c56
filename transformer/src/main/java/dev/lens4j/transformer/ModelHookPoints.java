package dev.lens4j.transformer;

import dev.lens4j.hooks.ActNames;
import dev.lens4j.hooks.HookPoint;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * The hook points of one model configuration, in TransformerLens's firing order, with the shape of
 * each. Every name is built by {@link ActNames}, TransformerLens's {@code get_act_name}; points a
 * configuration does not have (for example {@code ln2} of an attention-only model, or
 * {@code hook_result} without {@code use_attn_result}) are null.
 *
 * <p>Shapes, in TransformerLens dimension names (b = batch, p = pos, k = key_pos, h = n_heads,
 * dh = d_head, d = d_model, m = d_mlp): see {@link Kind}.
 */
final class ModelHookPoints {

    /** The shape of a hook point's value, given the batch, new positions and key positions. */
    enum Kind {
        /** {@code [b, p]}: token ids */
        TOKENS,
        /** {@code [b, p, d_model]} */
        RESID,
        /** {@code [b, p, 1]}: a LayerNorm scale */
        SCALE,
        /** {@code [b, p, n_heads, 1]}: a LayerNorm scale of per-head inputs */
        HEAD_SCALE,
        /** {@code [b, p, n_heads, d_model]}: per-head copies of the residual stream, or per-head results */
        HEAD_RESID,
        /** {@code [b, p, n_heads, d_head]} */
        HEAD_VECTOR,
        /** {@code [b, n_heads, query_pos, key_pos]} */
        ATTENTION,
        /** {@code [b, p, d_mlp]} */
        MLP;

        int[] shape(TransformerConfig c, int batch, int pos, int keys) {
            return switch (this) {
                case TOKENS -> new int[] {batch, pos};
                case RESID -> new int[] {batch, pos, c.dModel()};
                case SCALE -> new int[] {batch, pos, 1};
                case HEAD_SCALE -> new int[] {batch, pos, c.nHeads(), 1};
                case HEAD_RESID -> new int[] {batch, pos, c.nHeads(), c.dModel()};
                case HEAD_VECTOR -> new int[] {batch, pos, c.nHeads(), c.dHead()};
                case ATTENTION -> new int[] {batch, c.nHeads(), pos, keys};
                case MLP -> new int[] {batch, pos, c.dMlp()};
            };
        }
    }

    /**
     * The hook points of one block, null where the configuration has none.
     */
    record Block(HookPoint residPre, HookPoint attnIn, HookPoint qInput, HookPoint kInput, HookPoint vInput,
                 HookPoint ln1Scale, HookPoint ln1Normalized,
                 HookPoint q, HookPoint k, HookPoint v, HookPoint attnScores, HookPoint pattern, HookPoint z,
                 HookPoint result, HookPoint attnOut,
                 HookPoint residMid, HookPoint mlpIn, HookPoint ln2Scale, HookPoint ln2Normalized,
                 HookPoint pre, HookPoint post, HookPoint mlpOut, HookPoint residPost) {}

    /** {@code hook_tokens}, only with {@code use_hook_tokens}; else null. */
    final HookPoint tokens;
    final HookPoint embed;
    final HookPoint posEmbed;
    final List<Block> blocks;
    final HookPoint lnFinalScale;
    final HookPoint lnFinalNormalized;
    /** Every point in firing order; {@code all.get(i).index() == i}. */
    final List<HookPoint> all;
    /** {@code kinds.get(i)} is the shape kind of {@code all.get(i)}. */
    final List<Kind> kinds;

    private final List<HookPoint> order = new ArrayList<>();
    private final List<Kind> kindOrder = new ArrayList<>();

    ModelHookPoints(TransformerConfig c) {
        boolean norm = c.hasNorm();
        boolean perHeadInput = c.useAttnIn() || c.useSplitQkvInput();
        Kind lnScale = perHeadInput ? Kind.HEAD_SCALE : Kind.SCALE;
        Kind lnNormalized = perHeadInput ? Kind.HEAD_RESID : Kind.RESID;
        tokens = c.useHookTokens() ? point(ActNames.of("tokens"), Kind.TOKENS) : null;
        embed = point(ActNames.of("embed"), Kind.RESID);
        posEmbed = point(ActNames.of("pos_embed"), Kind.RESID);
        List<Block> bs = new ArrayList<>();
        for (int l = 0; l < c.nLayers(); l++) {
            boolean mlp = !c.attnOnly();
            bs.add(new Block(
                    point(ActNames.of("resid_pre", l), Kind.RESID),
                    c.useAttnIn() ? point(ActNames.of("attn_in", l), Kind.HEAD_RESID) : null,
                    c.useSplitQkvInput() ? point(ActNames.of("q_input", l), Kind.HEAD_RESID) : null,
                    c.useSplitQkvInput() ? point(ActNames.of("k_input", l), Kind.HEAD_RESID) : null,
                    c.useSplitQkvInput() ? point(ActNames.of("v_input", l), Kind.HEAD_RESID) : null,
                    norm ? point(ActNames.of("scale", l, "ln1"), lnScale) : null,
                    norm ? point(ActNames.of("normalized", l, "ln1"), lnNormalized) : null,
                    point(ActNames.of("q", l), Kind.HEAD_VECTOR),
                    point(ActNames.of("k", l), Kind.HEAD_VECTOR),
                    point(ActNames.of("v", l), Kind.HEAD_VECTOR),
                    point(ActNames.of("attn_scores", l), Kind.ATTENTION),
                    point(ActNames.of("pattern", l), Kind.ATTENTION),
                    point(ActNames.of("z", l), Kind.HEAD_VECTOR),
                    c.useAttnResult() ? point(ActNames.of("result", l), Kind.HEAD_RESID) : null,
                    point(ActNames.of("attn_out", l), Kind.RESID),
                    mlp ? point(ActNames.of("resid_mid", l), Kind.RESID) : null,
                    mlp && c.useHookMlpIn() ? point(ActNames.of("mlp_in", l), Kind.RESID) : null,
                    mlp && norm ? point(ActNames.of("scale", l, "ln2"), Kind.SCALE) : null,
                    mlp && norm ? point(ActNames.of("normalized", l, "ln2"), Kind.RESID) : null,
                    mlp ? point(ActNames.of("pre", l), Kind.MLP) : null,
                    mlp ? point(ActNames.of("post", l), Kind.MLP) : null,
                    mlp ? point(ActNames.of("mlp_out", l), Kind.RESID) : null,
                    point(ActNames.of("resid_post", l), Kind.RESID)));
        }
        blocks = List.copyOf(bs);
        lnFinalScale = norm ? point(ActNames.of("scale"), Kind.SCALE) : null;
        lnFinalNormalized = norm ? point(ActNames.of("normalized"), Kind.RESID) : null;
        all = Collections.unmodifiableList(order);
        kinds = Collections.unmodifiableList(kindOrder);
    }

    private HookPoint point(String name, Kind kind) {
        HookPoint p = new HookPoint(name, order.size());
        order.add(p);
        kindOrder.add(kind);
        return p;
    }

    /** @return every hook point name in firing order */
    List<String> names() {
        List<String> out = new ArrayList<>(all.size());
        for (HookPoint p : all) {
            out.add(p.name());
        }
        return out;
    }
}
