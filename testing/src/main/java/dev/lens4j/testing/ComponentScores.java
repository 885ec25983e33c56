package dev.lens4j.testing;

import dev.lens4j.tensor.Shapes;
import dev.lens4j.tensor.Tensor;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.DoubleFunction;
import java.util.function.Predicate;

/**
 * One number per labelled component — a head ({@code "L1H2"}), an embedding ({@code "embed"}), an
 * MLP ({@code "0_mlp_out"}) — together with what the number measures, so that an assertion about one
 * component can say how it compares with the others.
 *
 * <pre>{@code
 * ComponentScores s = Measurements.inductionScores(model, RepeatedTokens.forModel(model));
 * s.value("L1H2");     // 0.91
 * s.rank("L1H2");      // 1: no component scores higher
 * s.top(3);            // [L1H2 0.91, L1H0 0.85, L1H1 0.70]
 * }</pre>
 *
 * <p>Ranks are by value, highest first; tied components share the better rank. The scores are
 * immutable.
 */
public final class ComponentScores {

    /**
     * One component's score and its rank among all components.
     *
     * @param label the component's label
     * @param value its score
     * @param rank 1 for the highest score; ties share the better rank
     */
    public record Score(String label, float value, int rank) {
        @Override
        public String toString() {
            return label + " " + Messages.num(value);
        }
    }

    private final String measure;
    private final String details;
    private final List<String> labels;
    private final float[] values;

    private ComponentScores(String measure, String details, List<String> labels, float[] values) {
        if (measure == null || measure.isBlank()) {
            throw new IllegalArgumentException("component scores need the name of what they measure");
        }
        if (labels == null || values == null || labels.size() != values.length) {
            throw new IllegalArgumentException("component scores need one value per label, got "
                    + (labels == null ? "no" : labels.size()) + " labels and " + (values == null ? "no" : values.length) + " values");
        }
        Set<String> seen = new HashSet<>();
        for (String l : labels) {
            if (l == null || !seen.add(l)) {
                throw new IllegalArgumentException("component label '" + l + "' is null or appears twice in " + labels);
            }
        }
        this.measure = measure;
        this.details = details == null ? "" : details;
        this.labels = List.copyOf(labels);
        this.values = values.clone();
    }

    /**
     * Scores of labelled components.
     *
     * @param measure what the values are, as a noun phrase: {@code "direct logit attribution"}
     * @param details how they were measured (which sequences, which positions), or empty
     * @param labels one distinct label per component
     * @param values one value per label
     * @return the scores
     */
    public static ComponentScores of(String measure, String details, List<String> labels, float[] values) {
        return new ComponentScores(measure, details, labels, values);
    }

    /**
     * Scores of every attention head, labelled {@code "L{layer}H{head}"} in layer-major order.
     *
     * @param measure what the values are: {@code "induction score"}
     * @param details how they were measured, or empty
     * @param scores {@code [n_layers, n_heads]}
     * @return the scores
     */
    public static ComponentScores ofHeads(String measure, String details, Tensor scores) {
        if (scores == null || scores.rank() != 2) {
            throw new IllegalArgumentException("head scores must be [n_layers, n_heads], got "
                    + (scores == null ? "null" : Shapes.str(scores.shape())));
        }
        List<String> labels = new ArrayList<>();
        for (int l = 0; l < scores.dim(0); l++) {
            for (int h = 0; h < scores.dim(1); h++) {
                labels.add(Messages.head(l, h));
            }
        }
        return new ComponentScores(measure, details, labels, scores.contiguous().toArray());
    }

    /**
     * The name of what the scores measure.
     *
     * @return what the values are, e.g. {@code "induction score"}
     */
    public String measure() {
        return measure;
    }

    /**
     * How the scores were measured.
     *
     * @return how the values were measured, or an empty string
     */
    public String details() {
        return details;
    }

    /**
     * The component labels.
     *
     * @return the labels in their original order
     */
    public List<String> labels() {
        return labels;
    }

    /**
     * The scores.
     *
     * @return the values in label order (a copy)
     */
    public float[] values() {
        return values.clone();
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
     * Returns true when there is a component of that label.
     *
     * @param label a component label
     * @return true when there is a component of that label
     */
    public boolean contains(String label) {
        return labels.contains(label);
    }

    /**
     * The score of a component.
     *
     * @param label a component label
     * @return its value
     * @throws IllegalArgumentException naming the label and the labels there are
     */
    public float value(String label) {
        return values[indexOf(label)];
    }

    /**
     * The score of a head.
     *
     * @param layer the layer
     * @param head the head
     * @return the value of head {@code L{layer}H{head}}
     */
    public float value(int layer, int head) {
        return value(Messages.head(layer, head));
    }

    /**
     * The rank of a component: 1 for the highest score.
     *
     * @param label a component label
     * @return 1 plus the number of components with a strictly higher value; a NaN value ranks below
     *     every number
     */
    public int rank(String label) {
        float v = value(label);
        int above = 0;
        for (float x : values) {
            if (Float.isNaN(v) ? !Float.isNaN(x) : x > v) {
                above++;
            }
        }
        return above + 1;
    }

    /**
     * Every component with its rank.
     *
     * @return every component, highest value first (ties keep label order)
     */
    public List<Score> ranked() {
        Integer[] order = new Integer[values.length];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        Arrays.sort(order, Comparator.comparingDouble((Integer i) -> -values[i]).thenComparingInt(i -> i));
        List<Score> out = new ArrayList<>(order.length);
        for (Integer i : order) {
            out.add(new Score(labels.get(i), values[i], rank(labels.get(i))));
        }
        return out;
    }

    /**
     * Returns the {@code k} highest-scoring components (fewer if there are fewer), highest first.
     *
     * @param k how many
     * @return the {@code k} highest-scoring components (fewer if there are fewer), highest first
     */
    public List<Score> top(int k) {
        List<Score> r = ranked();
        return r.subList(0, Math.min(Math.max(k, 0), r.size()));
    }

    /**
     * The components whose labels a filter accepts, with the same measure and details.
     *
     * @param filter accepts the labels to keep
     * @return the kept components, in their original order
     */
    public ComponentScores filter(Predicate<String> filter) {
        List<String> keep = new ArrayList<>();
        List<Float> v = new ArrayList<>();
        for (int i = 0; i < labels.size(); i++) {
            if (filter.test(labels.get(i))) {
                keep.add(labels.get(i));
                v.add(values[i]);
            }
        }
        float[] out = new float[v.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = v.get(i);
        }
        return new ComponentScores(measure, details, keep, out);
    }

    /**
     * The scores of the attention heads alone.
     *
     * @return only the attention heads (labels {@code L{layer}H{head}})
     */
    public ComponentScores heads() {
        return filter(l -> l.matches("L\\d+H\\d+"));
    }

    /**
     * The top of the ranking for a failure message: {@code "L1H0 4.02, L1H3 3.15, L1H2 2.31"}, and
     * when {@code subject} is not among the first {@code k}, {@code ", ..., L0H1 0.0320 (7th)"}.
     */
    String describeTop(String subject, int k, DoubleFunction<String> format) {
        StringBuilder b = new StringBuilder();
        boolean shown = false;
        for (Score s : top(k)) {
            if (!b.isEmpty()) {
                b.append(", ");
            }
            b.append(s.label()).append(' ').append(format.apply(s.value()));
            shown |= s.label().equals(subject);
        }
        if (!shown && subject != null && contains(subject)) {
            b.append(", ..., ").append(subject).append(' ').append(format.apply(value(subject)))
                    .append(" (").append(Messages.ordinal(rank(subject))).append(')');
        }
        return b.toString();
    }

    private int indexOf(String label) {
        int i = labels.indexOf(label);
        if (i < 0) {
            throw new IllegalArgumentException("no component '" + label + "' among the " + size() + " scored by " + measure + ": "
                    + (labels.size() <= 16 ? labels : labels.subList(0, 16) + " ..."));
        }
        return i;
    }

    @Override
    public String toString() {
        return measure + ": " + describeTop(null, 5, Messages::num) + (size() > 5 ? ", ... (" + size() + " components)" : "");
    }
}
