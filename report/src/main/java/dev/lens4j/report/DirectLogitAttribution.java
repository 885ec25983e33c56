package dev.lens4j.report;

import java.util.Comparator;
import java.util.List;

/**
 * Direct logit attribution of components (usually every head) on the repeated half.
 *
 * @param metric what was attributed and how it was averaged, e.g.
 *               {@code "logit of the correct next token, mean over the repeated half"}
 * @param values one attribution per component, in logits
 */
public record DirectLogitAttribution(String metric, List<LabelledValue> values) {

    /**
     * Validates the components.
     *
     * @throws IllegalArgumentException if there are no values
     */
    public DirectLogitAttribution {
        Checks.notNull("direct logit attribution values", values);
        if (values.isEmpty()) {
            throw new IllegalArgumentException("direct logit attribution needs at least one component");
        }
        values = List.copyOf(values);
        metric = metric == null ? "" : metric;
    }

    /**
     * Returns the values, largest first.
     *
     * @return the values, largest first
     */
    public List<LabelledValue> sortedDescending() {
        return values.stream().sorted(Comparator.comparingDouble(LabelledValue::value).reversed()).toList();
    }
}
