package dev.lens4j.report;

import java.util.List;

/**
 * Attention patterns of one sequence, for the interactive viewer.
 *
 * <p>The heads may be all of the model's heads or a chosen subset (a large model's full set makes a
 * large page); the viewer lists exactly these heads, in this order.
 *
 * @param description what the sequence is, e.g. {@code "repeated random tokens (seed 0)"}
 * @param tokens the sequence as strings, one per position (TransformerLens's {@code to_str_tokens})
 * @param heads one pattern per head shown
 */
public record AttentionPatterns(String description, List<String> tokens, List<HeadPattern> heads) {

    /**
     * The attention pattern of one head on the sequence.
     *
     * @param head the head
     * @param pattern {@code [query_pos, key_pos]} attention weights (rows sum to one, zero above the diagonal)
     */
    public record HeadPattern(HeadId head, double[][] pattern) {

        /**
         * Validates the components.
         *
         * @throws IllegalArgumentException if the pattern is not square or holds a non-finite weight
         */
        public HeadPattern {
            Checks.notNull("attention head", head);
            if (pattern == null) {
                throw new IllegalArgumentException("attention pattern of " + head + " is missing");
            }
            Checks.matrix("attention pattern of " + head, pattern, pattern.length, pattern.length);
            for (double[] row : pattern) {
                Checks.finite("attention pattern of " + head, row);
            }
        }

        /**
         * Returns the query-by-key size of the pattern.
         *
         * @return the query-by-key size of the pattern
         */
        public int size() {
            return pattern.length;
        }
    }

    /**
     * Validates the components.
     *
     * @throws IllegalArgumentException if a pattern's size differs from the number of tokens or a head repeats
     */
    public AttentionPatterns {
        Checks.notNull("attention token list", tokens);
        Checks.notNull("attention head list", heads);
        if (tokens.isEmpty()) {
            throw new IllegalArgumentException("attention patterns need at least one token");
        }
        tokens = List.copyOf(tokens);
        heads = List.copyOf(heads);
        description = description == null ? "" : description;
        var seen = new java.util.HashSet<HeadId>();
        for (HeadPattern hp : heads) {
            if (hp.size() != tokens.size()) {
                throw new IllegalArgumentException("attention pattern of " + hp.head() + " is [" + hp.size() + ", "
                        + hp.size() + "] but there are " + Plural.of(tokens.size(), "token"));
            }
            if (!seen.add(hp.head())) {
                throw new IllegalArgumentException("attention pattern of " + hp.head() + " appears twice");
            }
        }
    }

    /**
     * Finds a head's pattern.
     *
     * @param head a head
     * @return its pattern, or null if this report does not show that head
     */
    public HeadPattern find(HeadId head) {
        for (HeadPattern hp : heads) {
            if (hp.head().equals(head)) {
                return hp;
            }
        }
        return null;
    }
}
