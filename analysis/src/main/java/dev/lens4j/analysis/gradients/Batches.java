package dev.lens4j.analysis.gradients;

/** Checks of the token batches the attributions compare. */
final class Batches {

    private Batches() {}

    /**
     * Checks that two batches of token sequences have one shape.
     *
     * @param clean {@code [batch][pos]}
     * @param corrupted {@code [batch][pos]}
     * @throws IllegalArgumentException naming both shapes when they differ or a batch is empty
     */
    static void requireSameShape(int[][] clean, int[][] corrupted) {
        if (clean == null || corrupted == null || clean.length == 0 || clean.length != corrupted.length
                || clean[0] == null || corrupted[0] == null || clean[0].length != corrupted[0].length) {
            throw new IllegalArgumentException("clean and corrupted tokens must have the same [batch][pos] shape, got "
                    + dims(clean) + " and " + dims(corrupted));
        }
    }

    private static String dims(int[][] t) {
        return t == null ? "null" : "[" + t.length + "][" + (t.length == 0 || t[0] == null ? 0 : t[0].length) + "]";
    }
}
