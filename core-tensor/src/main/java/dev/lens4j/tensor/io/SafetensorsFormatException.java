package dev.lens4j.tensor.io;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A safetensors file that does not follow the format: its message names the file, the tensor when one
 * is at fault, and what is wrong, e.g.
 * {@code /models/gpt2.safetensors: tensor "h.0.ln_1.weight": shape [768, -1] has a negative dimension}.
 */
public final class SafetensorsFormatException extends IOException {

    private static final long serialVersionUID = 1L;

    private final transient Path file;
    /** The tensor at fault (for NoSuchTensorException: the missing name), or null. */
    private final String tensor;

    /**
     * Creates the exception.
     *
     * @param file the file at fault
     * @param tensor the tensor at fault, or {@code null} when the problem is not one tensor's
     * @param problem what is wrong
     */
    public SafetensorsFormatException(Path file, String tensor, String problem) {
        this(file, tensor, problem, null);
    }

    /**
     * Creates the exception with a cause.
     *
     * @param file the file at fault
     * @param tensor the tensor at fault, or {@code null} when the problem is not one tensor's
     * @param problem what is wrong
     * @param cause the underlying error, or {@code null}
     */
    public SafetensorsFormatException(Path file, String tensor, String problem, Throwable cause) {
        super(file + ": " + (tensor == null ? "" : "tensor \"" + tensor + "\": ") + problem, cause);
        this.file = file;
        this.tensor = tensor;
    }

    /**
     * The file at fault.
     *
     * @return the file at fault
     */
    public Path file() {
        return file;
    }

    /**
     * The tensor at fault.
     *
     * @return the tensor at fault, or {@code null} when the problem concerns the whole file
     */
    public String tensor() {
        return tensor;
    }
}
