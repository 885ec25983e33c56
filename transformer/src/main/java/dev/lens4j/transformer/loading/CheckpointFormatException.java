package dev.lens4j.transformer.loading;

import java.io.IOException;

/**
 * A checkpoint whose files exist and parse but do not describe a model lens4j can build: a missing
 * or ill-typed config key, a missing tensor, a tensor whose shape or dtype does not match the config.
 * The message names the file (or class-path resource), the key or tensor, and what is wrong, e.g.
 * {@code /models/gpt2/model.safetensors: tensor "h.0.attn.c_attn.weight" has shape [768, 2304], but
 * config.json (n_embd 1024) needs [1024, 3072]}.
 *
 * <p>A file that is not valid safetensors at all is reported by the reader as a
 * {@link dev.lens4j.tensor.io.SafetensorsFormatException}; a missing file or folder as a
 * {@link java.nio.file.NoSuchFileException}.
 */
public final class CheckpointFormatException extends IOException {

    /** Serialisation version. */
    private static final long serialVersionUID = 1L;

    /** The file at fault: a path or a class-path resource name. */
    private final String file;

    /**
     * Creates the exception; the message is {@code file + ": " + problem}.
     *
     * @param file the file at fault (a path or a class-path resource name)
     * @param problem what is wrong with it
     */
    public CheckpointFormatException(String file, String problem) {
        super(file + ": " + problem);
        this.file = file;
    }

    /**
     * Creates the exception with a cause; the message is {@code file + ": " + problem}.
     *
     * @param file the file at fault (a path or a class-path resource name)
     * @param problem what is wrong with it
     * @param cause the underlying error
     */
    public CheckpointFormatException(String file, String problem, Throwable cause) {
        super(file + ": " + problem, cause);
        this.file = file;
    }

    /**
     * The file at fault.
     *
     * @return a path or a class-path resource name
     */
    public String file() {
        return file;
    }
}
