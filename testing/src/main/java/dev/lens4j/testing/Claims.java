package dev.lens4j.testing;

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

    static String amongTop(ComponentScores s, String label, int k, DoubleFunction<String> format) {
        if (k < 1) {
            throw new IllegalArgumentException("rank bound must be at least 1, got " + k);
        }
        int rank = s.rank(label);
        if (rank <= k) {
            return null;
        }
        return "expected " + label + " to rank " + (k == 1 ? "first" : "among the top " + k) + " by " + s.measure() + ", but it ranked "
                + Messages.ordinal(rank) + " with " + format.apply(s.value(label)) + "; top: "
                + s.describeTop(label, Math.max(TOP, k), format) + details(s);
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
