package dev.lens4j.transformer;

import dev.lens4j.tensor.Functional;
import dev.lens4j.tensor.Shapes;
import dev.lens4j.tensor.Tensor;

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
     * The norm's name in prose, for captions and messages.
     *
     * @return {@code "LayerNorm"}, {@code "RMSNorm"}, or {@code "no norm"} for {@link #NONE}
     */
    public String displayName() {
        return switch (this) {
            case LN, LN_PRE -> "LayerNorm";
            case RMS, RMS_PRE -> "RMSNorm";
            case NONE -> "no norm";
        };
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
     * This normalisation applied to each row (the last axis) of a tensor with the row's own statistics,
     * as the model's norm module computes its output (TransformerLens's {@code LayerNorm},
     * {@code LayerNormPre}, {@code RMSNorm}, {@code RMSNormPre} modules): for the logit lens and other
     * analyses that run a norm on values the model never normalised itself.
     *
     * @param x {@code [..., d_model]}
     * @param w {@code [d_model]} the weight ({@link #LN}, {@link #RMS}), else ignored
     * @param b {@code [d_model]} the bias ({@link #LN}), else ignored
     * @param eps the epsilon inside the square root
     * @return {@code [..., d_model]}: {@code (x - mean) / scale * w + b} for LN, without weight and bias
     *     for LNPre, {@code x / scale * w} for RMS, {@code x / scale} for RMSPre, {@code x} itself for none
     * @throws IllegalArgumentException if the weight or bias the norm needs is missing or of the wrong shape
     */
    public Tensor apply(Tensor x, Tensor w, Tensor b, float eps) {
        if (hasWeight() && w == null) {
            throw new IllegalArgumentException(tlName + " normalisation needs a weight");
        }
        if (this == LN && b == null) {
            throw new IllegalArgumentException("LN normalisation needs a bias");
        }
        return switch (this) {
            case NONE -> x;
            case LN, LN_PRE -> Functional.layerNorm(x, this == LN ? w : null, this == LN ? b : null, eps).normalized();
            case RMS, RMS_PRE -> {
                int d = x.dim(-1);
                if (w != null && this == RMS) {
                    w.requireShape("RMSNorm weight for input " + Shapes.str(x.shape()), d);
                }
                float[] src = x.contiguous().toArray();
                float[] out = new float[src.length];
                for (int r = 0; d > 0 && r < src.length / d; r++) {
                    Norm.rmsRow(src, r * d, out, r * d, d, eps); // the forward pass's own row function
                }
                Tensor n = Tensor.of(out, x.shape());
                yield this == RMS ? n.mul(w) : n;
            }
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
