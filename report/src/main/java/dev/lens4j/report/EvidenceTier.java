package dev.lens4j.report;

/**
 * How strong a kind of evidence is: an attention pattern only hints at a mechanism, an intervention
 * on activations shows the model uses it on this data, and the weights show it is built in.
 */
public enum EvidenceTier {
    /** attention patterns and head-detector scores */
    CLUE("clue", "attention patterns"),
    /** direct logit attribution and ablation */
    ACTIVATION("activation-level evidence", "attribution, ablation"),
    /** QK and OV circuits and composition scores */
    WEIGHT("weight-level evidence", "QK, OV, composition");

    private final String text;
    private final String sources;

    EvidenceTier(String text, String sources) {
        this.text = text;
        this.sources = sources;
    }

    /**
     * Returns the tier as shown in reports, e.g. {@code "weight-level evidence"}.
     *
     * @return the tier as shown in reports, e.g. {@code "weight-level evidence"}
     */
    public String text() {
        return text;
    }

    /**
     * Returns what kinds of analysis give evidence of this tier, e.g. {@code "attribution, ablation"}.
     *
     * @return what kinds of analysis give evidence of this tier, e.g. {@code "attribution, ablation"}
     */
    public String sources() {
        return sources;
    }

    /**
     * Reads a tier written by {@link #text()}.
     *
     * @param text a tier as {@link #text()} writes it
     * @return the tier
     * @throws IllegalArgumentException if the text names no tier
     */
    public static EvidenceTier fromText(String text) {
        for (EvidenceTier t : values()) {
            if (t.text.equals(text)) {
                return t;
            }
        }
        throw new IllegalArgumentException("unknown evidence tier \"" + text
                + "\" (expected clue, activation-level evidence or weight-level evidence)");
    }
}
