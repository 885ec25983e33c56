package dev.lens4j.report;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One attention head, named as TransformerLens and lens4j's attribution stacks name it: {@code "L1H3"}
 * is head 3 of layer 1 (both counted from zero).
 *
 * @param layer the layer, from 0
 * @param head the head within the layer, from 0
 */
public record HeadId(int layer, int head) implements Comparable<HeadId> {

    private static final Pattern LABEL = Pattern.compile("L(\\d+)H(\\d+)");

    /**
     * Validates the components.
     *
     * @throws IllegalArgumentException if the layer or head is negative
     */
    public HeadId {
        if (layer < 0 || head < 0) {
            throw new IllegalArgumentException("head index must not be negative: layer " + layer + ", head " + head);
        }
    }

    /**
     * Parses a label such as {@code "L1H3"}.
     *
     * @param label the label
     * @return the head
     * @throws IllegalArgumentException if the label is not of the form {@code L<layer>H<head>}
     */
    public static HeadId parse(String label) {
        Matcher m = label == null ? null : LABEL.matcher(label);
        if (m == null || !m.matches()) {
            throw new IllegalArgumentException("not a head label (expected e.g. \"L1H3\"): " + label);
        }
        return new HeadId(Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)));
    }

    /**
     * Whether a string is a head label such as {@code "L1H3"}.
     *
     * @param label a component label
     * @return true if {@link #parse} accepts it
     */
    public static boolean isLabel(String label) {
        return label != null && LABEL.matcher(label).matches();
    }

    /**
     * Returns the label, e.g. {@code "L1H3"}.
     *
     * @return the label, e.g. {@code "L1H3"}
     */
    public String label() {
        return "L" + layer + "H" + head;
    }

    @Override
    public int compareTo(HeadId o) {
        return layer != o.layer ? Integer.compare(layer, o.layer) : Integer.compare(head, o.head);
    }

    @Override
    public String toString() {
        return label();
    }
}
