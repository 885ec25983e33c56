package dev.lens4j.report;

/**
 * A count with its unit, singular when the count is 1: {@code Plural.of(1, "token")} is
 * {@code "1 token"}, {@code Plural.of(3, "token")} is {@code "3 tokens"}. Every message of the reports
 * and the command line that prints a count with a unit goes through it, so that none says "1 tokens".
 * The count is printed in plain digits, as {@code String.valueOf} prints it.
 */
public final class Plural {

    private Plural() {}

    /**
     * A count and a unit whose plural adds an "s".
     *
     * @param count the count
     * @param singular the unit for a count of 1, e.g. {@code "token"} or {@code "hook point"}
     * @return e.g. {@code "1 token"}, {@code "0 tokens"}, {@code "12 tokens"}
     */
    public static String of(long count, String singular) {
        return of(count, singular, singular + "s");
    }

    /**
     * A count and a unit with an irregular plural.
     *
     * @param count the count
     * @param singular the unit for a count of 1, e.g. {@code "query"}
     * @param plural the unit for any other count, e.g. {@code "queries"}
     * @return e.g. {@code "1 query"}, {@code "2 queries"}
     */
    public static String of(long count, String singular, String plural) {
        return count + " " + (count == 1 ? singular : plural);
    }
}
