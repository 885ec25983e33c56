package dev.lens4j.transformer;

/**
 * How a model tells positions apart, with TransformerLens's {@code positional_embedding_type} names.
 */
public enum PositionalEmbedding {
    /** A learned table {@code W_pos [n_ctx, d_model]} added to the token embedding ({@code hook_pos_embed}). */
    STANDARD("standard"),
    /** Rotary embeddings applied to queries and keys inside attention ({@code hook_rot_q}, {@code hook_rot_k}). */
    ROTARY("rotary"),
    /** No positional information beyond the causal mask. */
    NONE("none");

    private final String tlName;

    PositionalEmbedding(String tlName) {
        this.tlName = tlName;
    }

    /**
     * Returns TransformerLens's name.
     *
     * @return TransformerLens's name, e.g. {@code "rotary"}
     */
    public String tlName() {
        return tlName;
    }

    /**
     * Parses TransformerLens's name.
     *
     * @param name {@code "standard"}, {@code "rotary"} or {@code "none"}
     * @return the positional embedding type
     * @throws IllegalArgumentException naming the value and the supported ones ({@code "shortformer"},
     *     {@code "alibi"} and {@code "relative_positional_bias"} are not implemented)
     */
    public static PositionalEmbedding fromTlName(String name) {
        for (PositionalEmbedding p : values()) {
            if (p.tlName.equals(name)) {
                return p;
            }
        }
        throw new IllegalArgumentException("positional_embedding_type \"" + name + "\" is not supported (standard, rotary, none)");
    }
}
