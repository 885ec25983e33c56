package dev.lens4j.tensor.io;

import java.nio.file.Path;
import java.util.List;

/**
 * A tensor name that a checkpoint does not hold. The message names the tensor and the file and, when
 * some names are close (a few edits apart, or one a prefix-stripped form of the other), suggests them:
 * {@code no tensor "h.0.attn.c_attn.weight" in /m/model.safetensors; did you mean "transformer.h.0.attn.c_attn.weight"?}
 */
public final class NoSuchTensorException extends IllegalArgumentException {

    private static final long serialVersionUID = 1L;

    private final transient Path file;
    /** The tensor at fault (for NoSuchTensorException: the missing name), or null. */
    private final String tensor;
    /** Close names found in the file, best first. */
    private final List<String> suggestions;

    /**
     * Creates the exception.
     *
     * @param file the file searched
     * @param tensor the missing name
     * @param suggestions close names found in the file, best first (may be empty)
     */
    public NoSuchTensorException(Path file, String tensor, List<String> suggestions) {
        super("no tensor \"" + tensor + "\" in " + file + suggestionText(suggestions));
        this.file = file;
        this.tensor = tensor;
        this.suggestions = List.copyOf(suggestions);
    }

    private static String suggestionText(List<String> suggestions) {
        if (suggestions.isEmpty()) {
            return "";
        }
        return "; did you mean \"" + String.join("\" or \"", suggestions) + "\"?";
    }

    /**
     * The file searched.
     *
     * @return the file searched
     */
    public Path file() {
        return file;
    }

    /**
     * The missing name.
     *
     * @return the missing name
     */
    public String tensor() {
        return tensor;
    }

    /**
     * Close names found in the file.
     *
     * @return close names in the file, best first; empty when none is close
     */
    public List<String> suggestions() {
        return suggestions;
    }
}
