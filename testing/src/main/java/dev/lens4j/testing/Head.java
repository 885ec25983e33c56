package dev.lens4j.testing;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * An attention head by layer and index, labelled as TransformerLens's {@code stack_head_results}
 * labels it: {@code L1H2} is head 2 of layer 1.
 *
 * @param layer the layer, from 0
 * @param head the head within the layer, from 0
 */
public record Head(int layer, int head) {

    private static final Pattern LABEL = Pattern.compile("L(\\d+)H(\\d+)");

    /** Checks that both indices are non-negative. */
    public Head {
        if (layer < 0 || head < 0) {
            throw new IllegalArgumentException("head L" + layer + "H" + head + " has a negative index");
        }
    }

    /**
     * Parses a head label.
     *
     * @param label a label such as {@code "L1H2"}
     * @return the head it names
     * @throws IllegalArgumentException if the label is not of that form
     */
    public static Head parse(String label) {
        Matcher m = label == null ? null : LABEL.matcher(label);
        if (m == null || !m.matches()) {
            throw new IllegalArgumentException("'" + label + "' is not a head label like L1H2");
        }
        return new Head(Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)));
    }

    /**
     * The head's label.
     *
     * @return {@code "L{layer}H{head}"}
     */
    public String label() {
        return Messages.head(layer, head);
    }

    @Override
    public String toString() {
        return label();
    }
}
