package dev.lens4j.tensor.internal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Predicate;

/**
 * How much of this process's file mappings is resident in memory, from Linux's {@code /proc/self/smaps}:
 * what a memory test and a benchmark read to see a checkpoint's mapping paged in, or released once
 * packed copies replace it ({@code MatrixOperand.unloadMapping()}).
 */
public final class ResidentMemory {

    private static final Path SMAPS = Path.of("/proc/self/smaps");

    private ResidentMemory() {}

    /**
     * Whether this system tells resident mappings ({@code /proc/self/smaps} is readable).
     *
     * @return true on Linux
     */
    public static boolean available() {
        return Files.isReadable(SMAPS);
    }

    /**
     * The resident bytes of every mapping whose file path passes {@code file}, summed.
     *
     * @param file which mapped files to count, by the path {@code smaps} shows (the real path)
     * @return bytes resident now
     * @throws IOException if {@code /proc/self/smaps} cannot be read (not Linux: see {@link #available()})
     */
    public static long mappedBytes(Predicate<String> file) throws IOException {
        long kb = 0;
        boolean counted = false;
        for (String line : Files.readAllLines(SMAPS)) {
            if (line.matches("^[0-9a-f]+-[0-9a-f]+ .*")) {
                // "start-end perms offset dev inode   path": the path is whatever follows the inode
                String[] f = line.split("\\s+", 6);
                counted = f.length == 6 && file.test(f[5]);
            } else if (counted && line.startsWith("Rss:")) {
                kb += Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        return kb * 1024;
    }
}
