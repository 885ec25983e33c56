package dev.lens4j.transformer.tokenizer;

import java.io.IOException;

/**
 * A tokenizer file that exists but cannot be used: malformed JSON, not valid UTF-8, a merge line
 * that is not two tokens, a merge naming a token the vocabulary lacks, an unsupported
 * {@code tokenizer.json} feature. The message names the file and what is wrong with it.
 */
public final class TokenizerFileException extends IOException {

    /** The file at fault, as named in the message. */
    private final String file;

    /**
     * Creates the exception.
     *
     * @param file the file at fault (a path, or a class-path resource name)
     * @param problem what is wrong with it
     */
    public TokenizerFileException(String file, String problem) {
        super(file + ": " + problem);
        this.file = file;
    }

    /**
     * Creates the exception with its cause.
     *
     * @param file the file at fault (a path, or a class-path resource name)
     * @param problem what is wrong with it
     * @param cause the underlying error
     */
    public TokenizerFileException(String file, String problem, Throwable cause) {
        super(file + ": " + problem, cause);
        this.file = file;
    }

    /**
     * The file at fault.
     *
     * @return the file, as named in the message
     */
    public String file() {
        return file;
    }
}
