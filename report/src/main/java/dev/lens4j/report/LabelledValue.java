package dev.lens4j.report;

/**
 * A number about one model component, such as a head's direct logit attribution.
 *
 * @param label the component, e.g. {@code "L1H3"} for a head, {@code "embed"} or {@code "pos_embed"}
 * @param value the number
 */
public record LabelledValue(String label, double value) {

    /**
     * Validates the components.
     *
     * @throws IllegalArgumentException if the label is missing or the value is not finite
     */
    public LabelledValue {
        Checks.notNull("component label", label);
        Checks.finite("value of " + label, value);
    }
}
