package dev.lens4j.app;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The folder a command writes its files to ({@code --out}, {@code --save}), made ready before the
 * command's work: a mistake in it found after minutes of training or a whole investigation would
 * waste them, and a half-written result would be worse.
 */
final class OutputFolder {

    private OutputFolder() {}

    /**
     * Refuses a path that is a file, creates the folder (and its parents) when needed, and checks
     * that it can be written.
     *
     * @param option the option that named it, for the message ({@code --out})
     * @param dir the folder
     * @param purpose what goes into it, for the message ("the report"), or empty
     * @throws UserError naming the option and the folder when it cannot be used
     */
    static void prepare(String option, Path dir, String purpose) {
        if (Files.exists(dir) && !Files.isDirectory(dir)) {
            throw new UserError(option + " " + dir + " is a file; give a folder" + (purpose.isEmpty() ? "" : " for " + purpose));
        }
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UserError(option + " " + dir + ": cannot create the folder (" + ErrorHandler.message(e) + ")");
        }
        if (!Files.isWritable(dir)) {
            throw new UserError(option + " " + dir + ": the folder is not writable");
        }
    }

    /**
     * {@link #prepare}, for a folder whose files are written as a whole
     * ({@link dev.lens4j.tensor.io.StagedFolder}): its parent must be writable too, since the files
     * go into a new folder beside it that is then renamed into its place.
     *
     * @param option the option that named it, for the message ({@code --out})
     * @param dir the folder
     * @param purpose what goes into it, for the message ("the checkpoint"), or empty
     * @throws UserError naming the option and the folder when it cannot be used
     */
    static void prepareWhole(String option, Path dir, String purpose) {
        prepare(option, dir, purpose);
        Path parent = dir.toAbsolutePath().normalize().getParent();
        if (parent == null || !Files.isWritable(parent)) {
            throw new UserError(option + " " + dir + ": its parent folder " + parent + " is not writable (the files are "
                    + "written into a new folder beside it, then renamed into place, so that they are never half-written)");
        }
    }
}
