package dev.lens4j.tensor.io;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A {@code .npy} file lens4j cannot read: not the NumPy format, or a layout it does not support
 * (big-endian, Fortran order, a dtype other than little-endian f2/f4/f8). The message names the file.
 */
public final class NpyFormatException extends IOException {

    private static final long serialVersionUID = 1L;

    private final transient Path file;

    /**
     * Creates the exception.
     *
     * @param file the file at fault
     * @param problem what is wrong
     */
    public NpyFormatException(Path file, String problem) {
        super(file + ": " + problem);
        this.file = file;
    }

    /**
     * The file at fault.
     *
     * @return the file at fault
     */
    public Path file() {
        return file;
    }
}
