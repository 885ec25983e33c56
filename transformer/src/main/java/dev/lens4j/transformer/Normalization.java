package dev.lens4j.transformer;

/**
 * How a model normalises the residual stream before a block reads it, with TransformerLens's
 * {@code normalization_type} names.
 */
public enum Normalization {
    /** LayerNorm with a weight and a bias: {@code (x - mean) / scale * w + b}. */
    LN("LN"),
    /** LayerNorm whose weight and bias were folded into the next linear map: {@code (x - mean) / scale}. */
    LN_PRE("LNPre"),
    /** RMSNorm with a weight: {@code x / scale * w}, {@code scale = sqrt(mean(x^2) + eps)}. */
    RMS("RMS"),
    /** RMSNorm whose weight was folded into the next linear map: {@code x / scale}. */
    RMS_PRE("RMSPre"),
    /** No normalisation (TransformerLens's {@code None}). */
    NONE(null);

    private final String tlName;

    Normalization(String tlName) {
        this.tlName = tlName;
    }

    /**
     * Returns TransformerLens's name.
     *
     * @return TransformerLens's name ({@code "LN"}, {@code "LNPre"}, {@code "RMS"}, {@code "RMSPre"}), or null for {@link #NONE}
     */
    public String tlName() {
        return tlName;
    }

    /**
     * Whether the norm has a learned weight (and, for {@link #LN}, a bias).
     *
     * @return true for {@link #LN} and {@link #RMS}
     */
    public boolean hasWeight() {
        return this == LN || this == RMS;
    }

    /**
     * Whether the norm subtracts the mean first.
     *
     * @return true for {@link #LN} and {@link #LN_PRE}
     */
    public boolean centers() {
        return this == LN || this == LN_PRE;
    }

    /**
     * Whether this is an RMS norm.
     *
     * @return true for {@link #RMS} and {@link #RMS_PRE}
     */
    public boolean isRms() {
        return this == RMS || this == RMS_PRE;
    }

    /**
     * The norm left after folding its weight (and bias) into the next linear map.
     *
     * @return {@link #LN_PRE} for {@link #LN}, {@link #RMS_PRE} for {@link #RMS}, else this
     */
    public Normalization folded() {
        return switch (this) {
            case LN -> LN_PRE;
            case RMS -> RMS_PRE;
            default -> this;
        };
    }

    /**
     * Parses TransformerLens's name.
     *
     * @param name {@code "LN"}, {@code "LNPre"}, {@code "RMS"}, {@code "RMSPre"}, or null for none
     * @return the normalisation
     * @throws IllegalArgumentException naming the value and the supported ones
     */
    public static Normalization fromTlName(String name) {
        for (Normalization n : values()) {
            if (java.util.Objects.equals(n.tlName, name)) {
                return n;
            }
        }
        throw new IllegalArgumentException("normalization_type \"" + name + "\" is not supported (LN, LNPre, RMS, RMSPre or null)");
    }
}
