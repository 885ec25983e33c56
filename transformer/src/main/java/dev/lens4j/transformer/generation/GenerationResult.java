package dev.lens4j.transformer.generation;

import dev.lens4j.tensor.Tensor;

import java.util.Arrays;
import java.util.List;

/**
 * A prompt and its continuation.
 *
 * @param tokens the prompt followed by the generated tokens {@code [pos]}
 * @param promptLength how many of {@code tokens} are the prompt
 * @param stepLogits when asked for ({@link GenerationConfig#keepLogits()}), the last-position logits
 *                   {@code [d_vocab]} that chose each new token; otherwise empty
 */
public record GenerationResult(int[] tokens, int promptLength, List<Tensor> stepLogits) {

    /** Copies the arrays. */
    public GenerationResult {
        tokens = tokens.clone();
        stepLogits = List.copyOf(stepLogits);
    }

    /**
     * Returns the prompt followed by the generated tokens (a copy).
     *
     * @return {@code [pos]}
     */
    @Override
    public int[] tokens() {
        return tokens.clone();
    }

    /**
     * Returns only the generated tokens.
     *
     * @return only the generated tokens
     */
    public int[] newTokens() {
        return Arrays.copyOfRange(tokens, promptLength, tokens.length);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof GenerationResult g && Arrays.equals(g.tokens, tokens) && g.promptLength == promptLength
                && g.stepLogits.equals(stepLogits);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(tokens) * 31 + promptLength;
    }

    @Override
    public String toString() {
        return "GenerationResult[prompt=" + Arrays.toString(Arrays.copyOf(tokens, promptLength)) + ", new="
                + Arrays.toString(newTokens()) + "]";
    }
}
