package dev.lens4j.tensor.io;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Replaces several files of a folder as a whole: a reader of the folder sees either all the old
 * files or all the new ones, never a mixture, whenever the writing process stops (an exception,
 * Ctrl-C, a kill, a power cut after {@link #commit} returned).
 *
 * <p>The new files are written into a hidden folder beside the target ({@link #dir()}). {@link #commit}
 * then brings over whatever else the target holds (hard links where the file system allows them,
 * copies otherwise, so that nothing of the target is lost), forces the files to disk, and renames:
 * the target aside, the staged folder into its place, and deletes the old one. Each rename is atomic;
 * between the two (microseconds) the target is absent, the complete old folder sitting under a hidden
 * name beside it. A JVM that is shutting down (Ctrl-C, SIGTERM) waits for a commit in progress to
 * finish, so only a hard kill or a power cut in those microseconds can leave the target missing, and
 * then the old folder is there to recover. A staged folder that is never committed is deleted by
 * {@link #close()} or, on Ctrl-C, by the shutdown (which renames it before deleting it, so that a thread
 * still writing into it cannot keep it alive); one left by a hard kill is a hidden folder beside the
 * target ({@code .NAME.lens4j-new-*}, or {@code .NAME.lens4j-new-*-gone} if the kill came during that
 * shutdown) that nothing reads.
 *
 * <pre>{@code
 * try (StagedFolder out = StagedFolder.begin(Path.of("checkpoint"))) {
 *     Files.writeString(out.dir().resolve("config.json"), json);
 *     weights.write(out.dir().resolve("model.safetensors"));
 *     out.commit();                       // checkpoint/ now holds both new files, and whatever else it held
 * }
 * }</pre>
 *
 * <p>The target's parent folder must be writable (the staged folder and the rename happen there). A
 * target that is a symbolic link to a folder is followed: the folder it points at is replaced. A
 * target that holds the working directory (such as {@code .}) is not renamed, which would leave the
 * process (and the shell that started it) in a deleted folder: its new files are moved in one by one
 * instead, each move atomic. A failure while writing still leaves it as it was; only a process stopped
 * during those moves (milliseconds) leaves some files new and some old.
 */
public final class StagedFolder implements AutoCloseable {

    private static final String NEW = ".lens4j-new-";
    private static final String OLD = ".lens4j-old-";

    /** Guards {@link #committing} and {@link #shuttingDown}; see {@link ShutdownGuard}. */
    private static final Object LOCK = new Object();
    private static int committing;
    private static boolean shuttingDown;
    /** Staged folders not yet committed or closed, and replaced folders not yet deleted: deleted if the JVM shuts down first. */
    private static final Set<Path> ACTIVE = ConcurrentHashMap.newKeySet();

    private final Path target;
    private final Path staging;
    private final Path workingDirectory;
    private boolean done;

    private StagedFolder(Path target, Path staging, Path workingDirectory) {
        this.target = target;
        this.staging = staging;
        this.workingDirectory = workingDirectory;
    }

    /**
     * Starts replacing files of a folder: creates the empty staged folder beside it.
     *
     * @param target the folder (created by {@link #commit} when absent, with its parents now)
     * @return the staged folder; write the new files into {@link #dir()}, then {@link #commit}
     * @throws NotDirectoryException if {@code target} exists and is not a folder
     * @throws IOException naming the target if the staged folder cannot be created beside it
     */
    public static StagedFolder begin(Path target) throws IOException {
        return begin(target, Path.of("").toAbsolutePath());
    }

    /** {@link #begin(Path)} with the working directory given (tests). */
    static StagedFolder begin(Path target, Path workingDirectory) throws IOException {
        Path t;
        if (Files.exists(target)) {
            if (!Files.isDirectory(target)) {
                throw new NotDirectoryException(target.toString());
            }
            t = target.toRealPath();
        } else {
            t = target.toAbsolutePath().normalize();
        }
        Path parent = t.getParent();
        if (parent == null) {
            throw new FileSystemException(target.toString(), null, "the root folder cannot be replaced as a whole");
        }
        Files.createDirectories(parent);
        ShutdownGuard.install();
        Path staging = null;
        for (int attempt = 0; staging == null; attempt++) {
            Path p = sibling(t, NEW);
            // under the lock, so that a shutdown either sees the new folder in ACTIVE or refuses it
            synchronized (LOCK) {
                if (shuttingDown) {
                    throw new FileSystemException(target.toString(), null, "not written: the JVM is shutting down");
                }
                try {
                    Files.createDirectory(p);
                    staging = p;
                    ACTIVE.add(p);
                } catch (FileAlreadyExistsException e) {
                    if (attempt > 100) {
                        throw e;
                    }
                } catch (IOException e) {
                    throw named(target, "cannot create the folder " + p.getFileName() + " beside it in " + parent
                            + " (lens4j writes the new files there, then renames that folder into place)", e);
                }
            }
        }
        return new StagedFolder(t, staging, workingDirectory);
    }

    /**
     * The folder to write the new files into (empty at first; a hidden sibling of the target).
     *
     * @return the staged folder
     */
    public Path dir() {
        return staging;
    }

    /**
     * The folder being replaced, as an absolute path (real, when it existed).
     *
     * @return the target folder
     */
    public Path target() {
        return target;
    }

    /**
     * Makes the staged files the target's: entries of the target that the staged folder does not
     * hold are kept, those it holds are replaced, all at once.
     *
     * @throws IOException naming the target if a step fails; the target is then as it was
     * @throws IllegalStateException if already committed or closed
     */
    public void commit() throws IOException {
        if (done) {
            throw new IllegalStateException("staged folder for " + target + " was already committed or closed");
        }
        boolean existed = Files.isDirectory(target);
        if (existed && holdsWorkingDirectory()) {
            moveEntriesIn();
            return;
        }
        try {
            forceTree(staging); // the new files; what keepOthers brings over is already on disk
            if (existed) {
                keepOthers(target, staging);
                forceDirectory(staging);
            }
        } catch (IOException e) {
            throw named(target, "cannot prepare the new folder " + staging.getFileName(), e);
        }
        Path old = null;
        synchronized (LOCK) {
            if (shuttingDown) {
                throw new FileSystemException(target.toString(), null, "not replaced: the JVM is shutting down");
            }
            committing++;
        }
        try {
            if (existed) {
                old = sibling(target, OLD);
                move(target, old);
                try {
                    move(staging, target);
                } catch (IOException e) {
                    move(old, target);
                    throw e;
                }
                ACTIVE.add(old);
            } else {
                move(staging, target);
            }
        } catch (IOException e) {
            throw named(target, "cannot rename the new folder " + staging.getFileName() + " into place", e);
        } finally {
            synchronized (LOCK) {
                committing--;
                LOCK.notifyAll();
            }
        }
        done = true;
        ACTIVE.remove(staging);
        forceDirectory(target.getParent());
        if (old != null) {
            deleteTree(old); // the old files, kept until now; what remains if this fails is a hidden folder nothing reads
            ACTIVE.remove(old);
        }
    }

    /** Whether the target is the working directory or one of its ancestors. */
    private boolean holdsWorkingDirectory() {
        try {
            return workingDirectory.toRealPath().startsWith(target);
        } catch (IOException e) {
            return false;
        }
    }

    /** The commit for a target that must keep its identity: each staged entry renamed over its namesake. */
    private void moveEntriesIn() throws IOException {
        try {
            forceTree(staging);
            synchronized (LOCK) {
                if (shuttingDown) {
                    throw new FileSystemException(target.toString(), null, "not replaced: the JVM is shutting down");
                }
                committing++;
            }
            try (DirectoryStream<Path> entries = Files.newDirectoryStream(staging)) {
                for (Path e : entries) {
                    Files.move(e, target.resolve(e.getFileName().toString()), StandardCopyOption.ATOMIC_MOVE,
                            StandardCopyOption.REPLACE_EXISTING);
                }
            } finally {
                synchronized (LOCK) {
                    committing--;
                    LOCK.notifyAll();
                }
            }
        } catch (IOException e) {
            throw named(target, "cannot move the new files in from " + staging.getFileName(), e);
        }
        done = true;
        ACTIVE.remove(staging);
        forceDirectory(target);
        deleteTree(staging);
    }

    /** Deletes the staged folder unless it was committed. */
    @Override
    public void close() {
        if (!done) {
            done = true;
            ACTIVE.remove(staging);
            deleteTree(staging);
        }
    }

    @Override
    public String toString() {
        return "StagedFolder[" + target + " <- " + staging.getFileName() + "]";
    }

    private static Path sibling(Path target, String kind) {
        return target.resolveSibling("." + target.getFileName() + kind + Long.toHexString(ThreadLocalRandom.current().nextLong()));
    }

    private static void move(Path from, Path to) throws IOException {
        Files.move(from, to, StandardCopyOption.ATOMIC_MOVE);
    }

    /** An I/O error whose message names the folder being replaced and what failed. */
    private static IOException named(Path target, String what, IOException cause) {
        String reason = cause instanceof FileSystemException f && f.getReason() != null
                ? (f.getFile() == null ? "" : f.getFile() + ": ") + f.getReason()
                : cause.getMessage() != null ? cause.getMessage() : cause.getClass().getSimpleName();
        IOException e = new FileSystemException(target.toString(), null, what + ": " + reason);
        e.initCause(cause);
        return e;
    }

    /** Brings into {@code staging} every entry of {@code from} that it does not hold: hard links, else copies. */
    private static void keepOthers(Path from, Path staging) throws IOException {
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(from)) {
            for (Path e : entries) {
                Path to = staging.resolve(e.getFileName().toString());
                if (!Files.exists(to, LinkOption.NOFOLLOW_LINKS)) {
                    copyTree(e, to);
                }
            }
        }
    }

    private static void copyTree(Path from, Path to) throws IOException {
        Files.walkFileTree(from, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) throws IOException {
                Files.createDirectory(to.resolve(from.relativize(dir).toString()));
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                Path dest = to.resolve(from.relativize(file).toString());
                if (attrs.isSymbolicLink()) {
                    Files.createSymbolicLink(dest, Files.readSymbolicLink(file));
                } else if (attrs.isRegularFile()) {
                    try {
                        Files.createLink(dest, file);
                    } catch (IOException | UnsupportedOperationException e) {
                        Files.copy(file, dest, StandardCopyOption.COPY_ATTRIBUTES);
                    }
                } else {
                    Files.copy(file, dest, LinkOption.NOFOLLOW_LINKS);
                }
                return FileVisitResult.CONTINUE;
            }
        });
    }

    /** Forces every regular file of a tree, and its folders, to disk. */
    private static void forceTree(Path root) throws IOException {
        Files.walkFileTree(root, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                if (attrs.isRegularFile()) {
                    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) { // fsync needs no write access
                        ch.force(true);
                    }
                }
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path dir, IOException e) throws IOException {
                if (e != null) {
                    throw e;
                }
                forceDirectory(dir);
                return FileVisitResult.CONTINUE;
            }
        });
    }

    /** Forces a folder's entries to disk where the platform allows it (Linux does; others may refuse). */
    private static void forceDirectory(Path dir) {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException e) {
            // not every platform can open a folder to force it; the renames are atomic regardless
        }
    }

    /** Deletes a tree without following links, best effort. */
    static void deleteTree(Path root) {
        if (!Files.exists(root, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try {
            Files.walkFileTree(root, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                    Files.deleteIfExists(file);
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFileFailed(Path file, IOException e) {
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult postVisitDirectory(Path dir, IOException e) throws IOException {
                    Files.deleteIfExists(dir);
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException e) {
            // best effort: what is left is a hidden folder beside the target that nothing reads
        }
    }

    /**
     * On JVM shutdown (Ctrl-C, SIGTERM, {@code System.exit}): waits for a commit in progress, refuses
     * new ones, and deletes the staged folders not committed and the replaced ones.
     */
    private static final class ShutdownGuard {
        private static volatile boolean installed;

        static void install() {
            if (installed) {
                return;
            }
            synchronized (ShutdownGuard.class) {
                if (installed) {
                    return;
                }
                try {
                    Runtime.getRuntime().addShutdownHook(new Thread(ShutdownGuard::run, "lens4j-staged-folder-shutdown"));
                } catch (IllegalStateException alreadyShuttingDown) {
                    // too late for a hook; the JVM halts once the running hooks end, whatever this thread does
                }
                installed = true;
            }
        }

        private static void run() {
            synchronized (LOCK) {
                shuttingDown = true;
                while (committing > 0) {
                    try {
                        LOCK.wait();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        return;
                    }
                }
            }
            // The writing thread runs on until the JVM halts and may be creating files in a staged folder;
            // deleting under it races with those creations (a loaded machine lost that race). So each folder
            // is first renamed to a name nobody writes to: the writer's paths then name nothing, and every
            // file it creates from then on fails. What a halt between the rename and the deletion leaves is
            // a hidden folder beside the target that nothing reads.
            for (Path p : ACTIVE) {
                Path gone = p.resolveSibling(p.getFileName() + "-gone");
                try {
                    move(p, gone);
                } catch (IOException e) {
                    gone = p; // no longer there, or the file system refused: delete where it is
                }
                deleteTree(gone);
                ACTIVE.remove(p);
            }
        }
    }
}
