package dev.lens4j.transformer;

/**
 * An MLP activation function, with TransformerLens's {@code act_fn} names.
 */
public enum Activation {
    /** GPT-2's tanh approximation: {@code 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))}. */
    GELU_NEW("gelu_new"),
    /** The exact GELU, {@code 0.5 x (1 + erf(x / sqrt 2))}. */
    GELU("gelu"),
    /** PyTorch's {@code gelu(approximate="tanh")}: the same function as {@link #GELU_NEW} (Gemma's GeGLU). */
    GELU_PYTORCH_TANH("gelu_pytorch_tanh"),
    /** {@code max(0, x)}. */
    RELU("relu"),
    /** {@code x sigmoid(x)} (SwiGLU's gate in Llama, Mistral, Qwen2). */
    SILU("silu");

    private final String tlName;

    Activation(String tlName) {
        this.tlName = tlName;
    }

    /**
     * Returns TransformerLens's name.
     *
     * @return TransformerLens's name, e.g. {@code "gelu_new"}
     */
    public String tlName() {
        return tlName;
    }

    /**
     * Parses TransformerLens's (or Hugging Face's) name.
     *
     * @param name e.g. {@code "gelu_new"}, {@code "silu"} ({@code "swish"} is read as silu)
     * @return the activation
     * @throws IllegalArgumentException naming the value and the supported ones
     */
    public static Activation fromTlName(String name) {
        if ("swish".equals(name)) {
            return SILU;
        }
        for (Activation a : values()) {
            if (a.tlName.equals(name)) {
                return a;
            }
        }
        throw new IllegalArgumentException("act_fn \"" + name + "\" is not supported (gelu_new, gelu, gelu_pytorch_tanh, relu, silu)");
    }
}
