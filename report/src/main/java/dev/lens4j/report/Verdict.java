package dev.lens4j.report;

/** What the evidence says about a claim. */
public enum Verdict {
    /** the numbers support the claim */
    SUPPORTED("supported"),
    /** the numbers contradict the claim */
    NOT_SUPPORTED("not supported"),
    /** the numbers neither support nor contradict it clearly */
    INCONCLUSIVE("inconclusive"),
    /**
     * the model lacks what the claim is about (no induction-head candidate in a one-layer model, no
     * previous-token head to feed one, composition within one layer), so there is nothing to judge
     */
    NOT_APPLICABLE("not applicable");

    private final String text;

    Verdict(String text) {
        this.text = text;
    }

    /**
     * Returns the verdict as shown in reports, e.g. {@code "not supported"}.
     *
     * @return the verdict as shown in reports, e.g. {@code "not supported"}
     */
    public String text() {
        return text;
    }

    /**
     * Reads a verdict written by {@link #text()}.
     *
     * @param text a verdict as {@link #text()} writes it
     * @return the verdict
     * @throws IllegalArgumentException if the text names no verdict
     */
    public static Verdict fromText(String text) {
        for (Verdict v : values()) {
            if (v.text.equals(text)) {
                return v;
            }
        }
        throw new IllegalArgumentException("unknown verdict \"" + text + "\" (expected supported, not supported, inconclusive or not applicable)");
    }
}
