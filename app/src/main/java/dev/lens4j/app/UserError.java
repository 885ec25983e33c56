package dev.lens4j.app;

/**
 * A problem with what the user asked for that is not a malformed command line: a missing folder, a
 * model without a tokenizer, an output path that is a file. {@link ErrorHandler} prints its message as
 * one line and exits with status 1. Command-line mistakes found while running (a head label outside
 * the model, a prompt longer than n_ctx) are picocli {@code ParameterException}s instead (status 2).
 */
final class UserError extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /**
     * @param message one line saying what is wrong, naming the file, option or value at fault
     */
    UserError(String message) {
        super(message);
    }
}
