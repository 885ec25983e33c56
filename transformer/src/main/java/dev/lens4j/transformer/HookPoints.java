package dev.lens4j.transformer;

import dev.lens4j.hooks.HookPoint;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The hook points of one model, in TransformerLens's firing order, each with its shape in
 * TransformerLens dimension names. Components register their own points while the model is
 * assembled ({@link #add}), in the order they fire; every name comes from
 * {@link dev.lens4j.hooks.ActNames}, TransformerLens's {@code get_act_name}, or is built from a
 * component's TransformerLens module path ({@code blocks.0.attn.q_norm}).
 */
final class HookPoints {

    /** A dimension of a hook point's value, sized by the config and the pass. */
    enum Dim {
        /** sequences in the batch */
        BATCH("batch"),
        /** positions run by the pass */
        POS("pos"),
        /** query positions (the pass's positions) */
        QUERY_POS("query_pos"),
        /** key positions (cached + new) */
        KEY_POS("key_pos"),
        /** the residual width */
        D_MODEL("d_model"),
        /** query heads */
        N_HEADS("head_index"),
        /** key/value heads ({@code n_key_value_heads}, or n_heads without grouping) */
        N_KV_HEADS("kv_head_index"),
        /** head width */
        D_HEAD("d_head"),
        /** MLP width */
        D_MLP("d_mlp"),
        /** a dimension of size one (a norm's scale) */
        ONE("1"),
        /** batch * pos * n_heads rows (TransformerLens flattens queries to this for their norm) */
        QUERY_ROWS("batch*pos*head_index"),
        /** batch * pos * n_kv_heads rows (likewise keys) */
        KEY_ROWS("batch*pos*kv_head_index");

        final String tlName;

        Dim(String tlName) {
            this.tlName = tlName;
        }

        int size(TransformerConfig c, int batch, int pos, int keys) {
            return switch (this) {
                case BATCH -> batch;
                case POS, QUERY_POS -> pos;
                case KEY_POS -> keys;
                case D_MODEL -> c.dModel();
                case N_HEADS -> c.nHeads();
                case N_KV_HEADS -> c.nKvHeads();
                case D_HEAD -> c.dHead();
                case D_MLP -> c.dMlp();
                case ONE -> 1;
                case QUERY_ROWS -> batch * pos * c.nHeads();
                case KEY_ROWS -> batch * pos * c.nKvHeads();
            };
        }
    }

    private final TransformerConfig cfg;
    private final List<HookPoint> order = new ArrayList<>();
    private final List<Dim[]> dims = new ArrayList<>();
    private final Map<String, String> switchedOff = new LinkedHashMap<>();
    /** Every point in firing order; {@code all.get(i).index() == i}. */
    final List<HookPoint> all = Collections.unmodifiableList(order);

    HookPoints(TransformerConfig cfg) {
        this.cfg = cfg;
    }

    /**
     * Registers the next point in firing order.
     *
     * @param name its TransformerLens name
     * @param shape its dimensions
     * @return the point
     */
    HookPoint add(String name, Dim... shape) {
        for (HookPoint p : order) {
            if (p.name().equals(name)) {
                throw new IllegalStateException("hook point " + name + " registered twice");
            }
        }
        HookPoint p = new HookPoint(name, order.size());
        order.add(p);
        dims.add(shape.clone());
        return p;
    }

    /** Registers a point only when {@code present}; else returns null. */
    HookPoint addIf(boolean present, String name, Dim... shape) {
        return present ? add(name, shape) : null;
    }

    /**
     * Registers a point that one of TransformerLens's switches adds, when it is on; else remembers which switch
     * left it out ({@link #switchedOff}) and returns null.
     *
     * @param sw the switch
     * @param on whether it is on in this model
     * @param name the point's name
     * @param shape its dimensions
     * @return the point, or null
     */
    HookPoint addIf(HookSwitch sw, boolean on, String name, Dim... shape) {
        if (!on) {
            switchedOff.put(name, sw.hint());
        }
        return addIf(on, name, shape);
    }

    /**
     * The points a switch left out of this model, each with why and how to get it.
     *
     * @return name to message
     */
    Map<String, String> switchedOff() {
        return Collections.unmodifiableMap(switchedOff);
    }

    /**
     * The shape of a point's value in a pass.
     *
     * @param p the point
     * @param batch sequences
     * @param pos positions of the pass
     * @param keys key positions (cached + new)
     * @return the shape
     */
    int[] shape(HookPoint p, int batch, int pos, int keys) {
        Dim[] d = dims.get(p.index());
        int[] s = new int[d.length];
        for (int i = 0; i < d.length; i++) {
            s[i] = d[i].size(cfg, batch, pos, keys);
        }
        return s;
    }

    /**
     * A point's dimensions in TransformerLens names.
     *
     * @param p the point
     * @return e.g. {@code [batch, head_index, query_pos, key_pos]}
     */
    List<String> dimNames(HookPoint p) {
        List<String> out = new ArrayList<>();
        for (Dim d : dims.get(p.index())) {
            out.add(d.tlName);
        }
        return out;
    }

    /** @return every hook point name in firing order */
    List<String> names() {
        List<String> out = new ArrayList<>(order.size());
        for (HookPoint p : order) {
            out.add(p.name());
        }
        return out;
    }
}
