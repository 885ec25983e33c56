package dev.lens4j.tensor.internal;

/**
 * How far apart two names are, for the "close names" and "did you mean" parts of lens4j's error messages
 * (tensor names in a checkpoint, hook point names, command-line commands and options).
 */
public final class EditDistance {

    private EditDistance() {}

    /**
     * The optimal string alignment distance: the fewest insertions, deletions, substitutions and swaps of two
     * neighbouring characters that turn one string into the other ({@code "promt"} to {@code "prompt"} is 1,
     * {@code "atteniton"} to {@code "attention"} is 1).
     *
     * @param a one string
     * @param b the other
     * @return the distance, 0 for equal strings
     */
    public static int of(String a, String b) {
        int[] before = new int[b.length() + 1];
        int[] prev = new int[b.length() + 1];
        int[] cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            prev[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                cur[j] = Math.min(prev[j - 1] + cost, Math.min(prev[j], cur[j - 1]) + 1);
                if (i > 1 && j > 1 && a.charAt(i - 1) == b.charAt(j - 2) && a.charAt(i - 2) == b.charAt(j - 1)) {
                    cur[j] = Math.min(cur[j], before[j - 2] + 1);
                }
            }
            int[] t = before;
            before = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.length()];
    }

    /**
     * The distance, or {@code limit + 1} when it is larger than {@code limit} (found at once when the lengths
     * alone differ by more).
     *
     * @param a one string
     * @param b the other
     * @param limit the largest distance of interest
     * @return {@code min(of(a, b), limit + 1)}
     */
    public static int atMost(String a, String b, int limit) {
        if (Math.abs(a.length() - b.length()) > limit) {
            return limit + 1;
        }
        return Math.min(of(a, b), limit + 1);
    }
}
