package dev.lens4j.analysis.attribution;

import dev.lens4j.tensor.Shapes;
import dev.lens4j.tensor.Tensor;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * A stack of labelled components along the first dimension, what TransformerLens returns from
 * {@code decompose_resid(return_labels=True)} and its relatives: {@code values[i]} is the part of
 * the residual stream (or the attribution) that {@code labels.get(i)} names.
 *
 * <pre>{@code
 * ComponentStack heads = stream.stackHeadResults(-1, false, false);   // [n_layers * n_heads, batch, pos, d_model]
 * heads.labels();                                                     // [L0H0, L0H1, ..., L1H3]
 * Tensor h13 = heads.get("L1H3");                                     // [batch, pos, d_model]
 * Tensor total = heads.sum();                                         // [batch, pos, d_model]
 * }</pre>
 *
 * @param values {@code [component, ...]}, e.g. {@code [component, batch, pos, d_model]} for a
 *               residual-stream stack or {@code [component, batch, pos]} for logit attributions
 * @param labels one distinct label per component, in order ({@code "embed"}, {@code "0_attn_out"}, {@code "L1H4"}, ...)
 */
public record ComponentStack(Tensor values, List<String> labels) {

    /** Checks that there is one distinct label per component. */
    public ComponentStack {
        if (values == null || labels == null) {
            throw new IllegalArgumentException("a component stack needs values and labels");
        }
        if (values.rank() < 1 || values.dim(0) != labels.size()) {
            throw new IllegalArgumentException("component stack " + Shapes.str(values.shape()) + " needs one label per component along "
                    + "dimension 0, got " + labels.size() + " labels");
        }
        labels = List.copyOf(labels);
        Set<String> seen = new HashSet<>();
        for (String l : labels) {
            if (!seen.add(l)) {
                throw new IllegalArgumentException("component label '" + l + "' appears twice in " + labels);
            }
        }
    }

    /**
     * The number of components.
     *
     * @return the number of components
     */
    public int size() {
        return labels.size();
    }

    /**
     * The index of a labelled component.
     *
     * @param label a component label
     * @return its index
     * @throws IllegalArgumentException naming the label and the labels there are
     */
    public int indexOf(String label) {
        int i = labels.indexOf(label);
        if (i < 0) {
            throw new IllegalArgumentException("no component '" + label + "' in stack of " + labels.size() + " components "
                    + preview(labels));
        }
        return i;
    }

    /**
     * One component by its label.
     *
     * @param label a component label
     * @return that component, {@code values[indexOf(label)]} (a view)
     */
    public Tensor get(String label) {
        return values.select(0, indexOf(label));
    }

    /**
     * One component by its index.
     *
     * @param index a component index (negative counts from the end)
     * @return that component (a view)
     */
    public Tensor get(int index) {
        return values.select(0, index);
    }

    /**
     * The components added up.
     *
     * @return the sum over components, {@code values.sum(0)}: the shape of one component
     */
    public Tensor sum() {
        return values.sum(0, false);
    }

    /**
     * The components with the given labels, in the order given.
     *
     * @param wanted labels of this stack
     * @return a new stack
     */
    public ComponentStack select(String... wanted) {
        int[] idx = new int[wanted.length];
        for (int i = 0; i < wanted.length; i++) {
            idx[i] = indexOf(wanted[i]);
        }
        return new ComponentStack(values.indexSelect(0, idx), List.of(wanted));
    }

    /**
     * This stack followed by another, like {@code torch.cat} of two stacks and their label lists.
     *
     * @param other a stack whose components have the same shape and whose labels differ from these
     * @return the joined stack
     */
    public ComponentStack concat(ComponentStack other) {
        List<String> all = new ArrayList<>(labels);
        all.addAll(other.labels);
        return new ComponentStack(Tensor.concat(0, values, other.values), all);
    }

    /**
     * One position of every component of a {@code [component, batch, pos, ...]} stack.
     *
     * @param pos the position (negative counts from the end)
     * @return {@code [component, batch, ...]}
     */
    public ComponentStack atPosition(int pos) {
        if (values.rank() < 3) {
            throw new IllegalArgumentException("atPosition needs a [component, batch, pos, ...] stack, got " + Shapes.str(values.shape()));
        }
        return new ComponentStack(values.select(2, pos), labels);
    }

    private static String preview(List<String> labels) {
        return labels.size() <= 12 ? labels.toString()
                : labels.subList(0, 6) + "... " + labels.subList(labels.size() - 3, labels.size());
    }

    @Override
    public String toString() {
        return "ComponentStack" + Shapes.str(values.shape()) + " " + preview(labels);
    }
}
