package dev.lens4j.report;

/**
 * One claim of the investigation and what the evidence says about it.
 *
 * @param statement the claim, e.g. {@code "L1H2 is an induction head"}
 * @param verdict supported, not supported, inconclusive or not applicable
 * @param numbers the numbers behind the verdict, as text, e.g. {@code "induction score 0.91 (next best 0.12)"}
 * @param tier the kind of evidence the numbers are
 */
public record Claim(String statement, Verdict verdict, String numbers, EvidenceTier tier) {

    /**
     * Validates the components.
     *
     * @throws IllegalArgumentException if the statement, verdict or tier is missing
     */
    public Claim {
        Checks.notNull("claim statement", statement);
        Checks.notNull("verdict of \"" + statement + "\"", verdict);
        Checks.notNull("evidence tier of \"" + statement + "\"", tier);
        numbers = numbers == null ? "" : numbers;
    }
}
