package dev.lens4j.transformer;

/**
 * Which keys a layer's attention may see, with TransformerLens's {@code attn_types} names.
 */
public enum AttentionType {
    /** Every earlier position and the current one (the causal mask). */
    GLOBAL("global"),
    /** Only the last {@code window_size} positions, the current one included (a sliding window). */
    LOCAL("local");

    private final String tlName;

    AttentionType(String tlName) {
        this.tlName = tlName;
    }

    /**
     * Returns TransformerLens's name.
     *
     * @return {@code "global"} or {@code "local"}
     */
    public String tlName() {
        return tlName;
    }

    /**
     * Parses TransformerLens's name.
     *
     * @param name {@code "global"} or {@code "local"}
     * @return the attention type
     * @throws IllegalArgumentException naming the value
     */
    public static AttentionType fromTlName(String name) {
        for (AttentionType t : values()) {
            if (t.tlName.equals(name)) {
                return t;
            }
        }
        throw new IllegalArgumentException("attention type \"" + name + "\" is not supported (global, local)");
    }
}
