package dev.lens4j.hooks;

import dev.lens4j.tensor.internal.EditDistance;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;

/** Suggestions of close names for error messages. */
final class Names {

    private Names() {}

    /**
     * Returns {@code "; close names: [a, b]"}, or {@code "; available: [...]"} when nothing is close, or an empty string when nothing is known.
     *
     * @param wanted the name that was not found
     * @param known the names that exist
     * @return {@code "; close names: [a, b]"}, or {@code "; available: [...]"} when nothing is close,
     *     or an empty string when nothing is known
     */
    static String closeNamesHint(String wanted, Collection<String> known) {
        if (known.isEmpty()) {
            return "; nothing is available";
        }
        List<String> close = closeNames(wanted, known, 6);
        if (!close.isEmpty()) {
            return "; close names: " + close;
        }
        List<String> some = new ArrayList<>(known);
        return "; available (" + some.size() + "): " + (some.size() <= 12 ? some : some.subList(0, 12) + " ...");
    }

    /** The known names closest to {@code wanted} by edit distance, at most {@code limit}. */
    static List<String> closeNames(String wanted, Collection<String> known, int limit) {
        record Scored(String name, int score) {}
        List<Scored> scored = new ArrayList<>();
        String w = wanted.toLowerCase();
        for (String k : known) {
            int d = EditDistance.of(w, k.toLowerCase());
            boolean related = k.contains(wanted) || wanted.contains(k) || lastPart(k).equals(lastPart(wanted));
            int threshold = Math.max(3, wanted.length() / 3);
            if (d <= threshold || related) {
                scored.add(new Scored(k, related ? Math.min(d, threshold) : d));
            }
        }
        scored.sort(Comparator.comparingInt(Scored::score).thenComparing(Scored::name));
        List<String> out = new ArrayList<>();
        for (int i = 0; i < Math.min(limit, scored.size()); i++) {
            out.add(scored.get(i).name);
        }
        return out;
    }

    private static String lastPart(String name) {
        int i = name.lastIndexOf('.');
        return i < 0 ? name : name.substring(i + 1);
    }
}
