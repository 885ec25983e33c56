package dev.lens4j.report;

import java.util.Comparator;
import java.util.List;

/**
 * The loss change when each head is ablated, one at a time.
 *
 * @param method how heads were ablated and on what data, e.g.
 *               {@code "zero-ablation of hook_z, repeated half of 32 sequences"}
 * @param baselineLoss the loss with no ablation, in nats
 * @param lossChange per head, ablated loss minus baseline loss, in nats (positive: the head helped)
 */
public record HeadAblation(String method, double baselineLoss, List<LabelledValue> lossChange) {

    /**
     * Validates the components.
     *
     * @throws IllegalArgumentException if there are no values or the baseline is not finite
     */
    public HeadAblation {
        Checks.notNull("ablation loss changes", lossChange);
        if (lossChange.isEmpty()) {
            throw new IllegalArgumentException("head ablation needs at least one head");
        }
        Checks.finite("baseline loss", baselineLoss);
        lossChange = List.copyOf(lossChange);
        method = method == null ? "" : method;
    }

    /**
     * Returns the loss changes, largest increase first.
     *
     * @return the loss changes, largest increase first
     */
    public List<LabelledValue> sortedDescending() {
        return lossChange.stream().sorted(Comparator.comparingDouble(LabelledValue::value).reversed()).toList();
    }
}
