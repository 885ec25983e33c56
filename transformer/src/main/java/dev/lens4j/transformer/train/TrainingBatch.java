package dev.lens4j.transformer.train;

/**
 * One batch of training sequences, as a {@link TrainingData} source draws it.
 *
 * @param tokens {@code [batch, pos]} token ids, row-major, BOS first in every row
 * @param targets {@code [batch, pos]} the token each position predicts (usually {@code tokens[b, t + 1]}),
 *                or -1 where nothing is predicted (the last position)
 * @param repeated {@code [batch, pos]} true where the target is one the data makes predictable by looking
 *                 back (the predictable tokens of a copied block); the trainer reports the loss on these
 *                 and on the others apart. All false for data without such tokens (natural text).
 * @param batch number of sequences
 * @param pos sequence length
 */
public record TrainingBatch(int[] tokens, int[] targets, boolean[] repeated, int batch, int pos) {

    /**
     * Checks the arrays' lengths.
     *
     * @throws IllegalArgumentException if an array is not {@code batch * pos} long
     */
    public TrainingBatch {
        if (batch <= 0 || pos <= 0 || tokens.length != batch * pos || targets.length != batch * pos
                || repeated.length != batch * pos) {
            throw new IllegalArgumentException("a batch of " + batch + " x " + pos + " needs arrays of " + batch * pos
                    + " elements, got tokens " + tokens.length + ", targets " + targets.length + ", repeated " + repeated.length);
        }
    }

    /**
     * Returns the tokens as rows.
     *
     * @return {@code [batch][pos]} token ids (a copy)
     */
    public int[][] tokenRows() {
        return rows(tokens);
    }

    /**
     * Returns the targets as rows.
     *
     * @return {@code [batch][pos]} targets, -1 where nothing is predicted (a copy)
     */
    public int[][] targetRows() {
        return rows(targets);
    }

    private int[][] rows(int[] flat) {
        int[][] out = new int[batch][];
        for (int b = 0; b < batch; b++) {
            out[b] = java.util.Arrays.copyOfRange(flat, b * pos, (b + 1) * pos);
        }
        return out;
    }

    /**
     * Sequences whose every position but the last predicts the next token.
     *
     * @param rows {@code [batch][pos]} token ids, all of one length
     * @return the batch, with no repeated targets
     * @throws IllegalArgumentException if the rows are empty or of different lengths
     */
    public static TrainingBatch nextTokens(int[][] rows) {
        if (rows.length == 0 || rows[0].length == 0) {
            throw new IllegalArgumentException("no sequences");
        }
        int B = rows.length, T = rows[0].length;
        int[] tokens = new int[B * T], targets = new int[B * T];
        for (int b = 0; b < B; b++) {
            if (rows[b].length != T) {
                throw new IllegalArgumentException("sequence " + b + " has " + rows[b].length + " tokens, sequence 0 has " + T);
            }
            for (int t = 0; t < T; t++) {
                tokens[b * T + t] = rows[b][t];
                targets[b * T + t] = t + 1 < T ? rows[b][t + 1] : -1;
            }
        }
        return new TrainingBatch(tokens, targets, new boolean[B * T], B, T);
    }
}
