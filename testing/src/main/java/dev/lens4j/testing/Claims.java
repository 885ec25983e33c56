package dev.lens4j.testing;

import java.util.ArrayList;
import java.util.List;
import java.util.function.DoubleFunction;

/**
 * The failure messages of the claims every assertion makes about ranked scores. Each method returns
 * null when the claim holds and otherwise the message: what was measured, how it compares with the
 * bound, and the top competitors, then the measurement's details on a second line.
 */
final class Claims {

    /** How many competitors a failure message lists. */
    static final int TOP = 3;

    private Claims() {}

    static String above(ComponentScores s, String label, double threshold) {
        float v = s.value(label);
        if (v > threshold) {
            return null;
        }
        return "expected the " + s.measure() + " of " + label + " to be above " + Messages.num(threshold) + ", but it was "
                + Messages.num(v) + "; top: " + s.describeTop(label, TOP, Messages::num) + details(s);
    }

    static String below(ComponentScores s, String label, double threshold) {
        float v = s.value(label);
        if (v < threshold) {
            return null;
        }
        return "expected the " + s.measure() + " of " + label + " to be below " + Messages.num(threshold) + ", but it was "
                + Messages.num(v) + "; top: " + s.describeTop(label, TOP, Messages::num) + details(s);
    }

    static String ranksFirst(ComponentScores s, String label) {
        return amongTop(s, label, 1, Messages::num);
    }

    /**
     * Fewer than {@code k} other components score as high as {@code label} or higher. A tie counts
     * against the claim: components that tie (all at zero, say) do not rank first, however
     * {@link ComponentScores#rank} shares the better rank between them; a NaN value never ranks.
     */
    static String amongTop(ComponentScores s, String label, int k, DoubleFunction<String> format) {
        if (k < 1) {
            throw new IllegalArgumentException("rank bound must be at least 1, got " + k);
        }
        float v = s.value(label);
        List<String> tied = new ArrayList<>();
        int asHigh = 0;
        for (ComponentScores.Score other : s.ranked()) {
            if (other.label().equals(label)) {
                continue;
            }
            if (Float.isNaN(v) || other.value() >= v) {
                asHigh++;
                if (other.value() == v) {
                    tied.add(other.label());
                }
            }
        }
        if (!Float.isNaN(v) && asHigh < k) {
            return null;
        }
        String place = tied.isEmpty() ? "it ranked " + Messages.ordinal(s.rank(label)) + " with " + format.apply(v)
                : "it tied with " + describe(tied) + " at " + format.apply(v) + " (" + asHigh + " other component"
                + (asHigh == 1 ? "" : "s") + " as high or higher)";
        return "expected " + label + " to rank " + (k == 1 ? "first" : "among the top " + k) + " by " + s.measure() + ", but "
                + place + "; top: " + s.describeTop(label, Math.max(TOP, k), format) + details(s);
    }

    /** Up to {@value #TOP} labels, then how many more. */
    private static String describe(List<String> labels) {
        String shown = String.join(", ", labels.subList(0, Math.min(TOP, labels.size())));
        return labels.size() <= TOP ? shown : shown + " and " + (labels.size() - TOP) + " more";
    }

    static String someAbove(ComponentScores s, double threshold, String where) {
        if (s.size() > 0 && s.top(1).getFirst().value() > threshold) {
            return null;
        }
        return "expected some component" + where + " to have " + article(s.measure()) + " " + s.measure() + " above " + Messages.num(threshold) + ", but "
                + (s.size() == 0 ? "there was none" : "the highest was " + s.top(1).getFirst().label() + " with "
                + Messages.num(s.top(1).getFirst().value()) + "; top: " + s.describeTop(null, TOP, Messages::num)) + details(s);
    }

    /** "an" before a vowel sound we can see (induction, OV), else "a". */
    static String article(String noun) {
        return !noun.isEmpty() && "aeiouAEIO".indexOf(noun.charAt(0)) >= 0 ? "an" : "a";
    }

    static String details(ComponentScores s) {
        return s.details().isEmpty() ? "" : "\n(" + s.measure() + ": " + s.details() + ")";
    }
}
