package dev.lens4j.tensor.io;

import java.io.IOException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * I/O errors that name their file. Java's file APIs do not always: reading a folder fails with a bare
 * {@code IOException("Is a directory")} (or "No such device" when mapping it), a full disk with
 * "No space left on device", a malformed byte sequence with "Input length = 1". lens4j's readers and
 * writers pass such errors through {@link #naming} so that every message says which file.
 */
public final class FileErrors {

    private FileErrors() {}

    /**
     * The error, naming the file: returned as it is when its message already names the file,
     * otherwise a {@link FileSystemException} for the file with the error's message as the reason
     * and the error as the cause.
     *
     * @param file the file being read or written
     * @param e the error
     * @return an error whose message names {@code file}
     */
    public static IOException naming(Path file, IOException e) {
        String msg = e.getMessage();
        if (msg != null && msg.contains(file.toString())) {
            return e;
        }
        FileSystemException named = new FileSystemException(file.toString(), null,
                msg == null || msg.isBlank() ? e.getClass().getSimpleName() : msg);
        named.initCause(e);
        return named;
    }

    /**
     * Refuses a folder where a file is expected, before opening it gives a message without its name.
     *
     * @param file the path that must not be a folder
     * @param what what the file should be, for the message ("a safetensors file")
     * @throws FileSystemException naming the path, if it is a folder
     */
    public static void requireNotDirectory(Path file, String what) throws FileSystemException {
        if (Files.isDirectory(file)) {
            throw new FileSystemException(file.toString(), null, "is a directory, not " + what);
        }
    }
}
