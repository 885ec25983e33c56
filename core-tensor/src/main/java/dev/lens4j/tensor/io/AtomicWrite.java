package dev.lens4j.tensor.io;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Writes a file so that readers see either the old file or the complete new one, never a torn write:
 * the bytes go to a hidden temporary file in the same folder, are forced to disk, then the temporary
 * file is renamed over the target. On failure the temporary file is deleted and the target untouched.
 */
final class AtomicWrite {

    private AtomicWrite() {}

    /** Writes the file's content to an open channel positioned at 0. */
    @FunctionalInterface
    interface Body {
        void writeTo(FileChannel ch) throws IOException;
    }

    /** Writes the file; an error names {@code target}. */
    static void write(Path target, Body body) throws IOException {
        try {
            writeAtomically(target, body);
        } catch (IOException e) {
            throw FileErrors.naming(target, e);
        }
    }

    private static void writeAtomically(Path target, Body body) throws IOException {
        Path abs = target.toAbsolutePath();
        Path dir = abs.getParent();
        Path tmp = null;
        FileChannel ch = null;
        // Not Files.createTempFile: that would give the final file owner-only permissions.
        for (int attempt = 0; ch == null; attempt++) {
            tmp = dir.resolve("." + abs.getFileName() + "." + Long.toHexString(ThreadLocalRandom.current().nextLong()) + ".tmp");
            try {
                ch = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
            } catch (FileAlreadyExistsException e) {
                if (attempt > 100) {
                    throw e;
                }
            }
        }
        boolean done = false;
        try {
            try (FileChannel c = ch) {
                body.writeTo(c);
                c.force(true);
            }
            try {
                Files.move(tmp, abs, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, abs, StandardCopyOption.REPLACE_EXISTING);
            }
            done = true;
        } finally {
            if (!done) {
                Files.deleteIfExists(tmp);
            }
        }
    }

    /** Writes every remaining byte of {@code buf}. */
    static void writeFully(FileChannel ch, java.nio.ByteBuffer buf) throws IOException {
        while (buf.hasRemaining()) {
            ch.write(buf);
        }
    }
}
