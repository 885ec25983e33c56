package dev.lens4j.transformer.loading;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Finds model snapshots in the Hugging Face hub cache, the layout {@code huggingface_hub} downloads
 * into:
 *
 * <pre>
 * HF_HUB_CACHE/                       (default ~/.cache/huggingface/hub)
 *   models--openai-community--gpt2/   (repo id "openai-community/gpt2"; "gpt2" is models--gpt2)
 *     refs/main                       (the commit hash main points at)
 *     snapshots/COMMIT/config.json, model.safetensors, ...
 * </pre>
 *
 * <p>Only reads the cache; never downloads.
 */
public final class HfCache {

    private static final Pattern COMMIT = Pattern.compile("[0-9a-f]{40}");

    private HfCache() {}

    /**
     * The default cache folder, as {@code huggingface_hub} resolves it: {@code $HF_HUB_CACHE}, else
     * {@code $HF_HOME/hub}, else {@code ~/.cache/huggingface/hub}.
     *
     * @return the cache folder (which may not exist)
     */
    public static Path defaultRoot() {
        String hub = System.getenv("HF_HUB_CACHE");
        if (hub != null && !hub.isEmpty()) {
            return Path.of(hub);
        }
        String home = System.getenv("HF_HOME");
        if (home != null && !home.isEmpty()) {
            return Path.of(home, "hub");
        }
        return Path.of(System.getProperty("user.home"), ".cache", "huggingface", "hub");
    }

    /**
     * The cache folder name of a repository.
     *
     * @param repoId a repository id, {@code "gpt2"} or {@code "openai-community/gpt2"}
     * @return its folder name in the cache, {@code "models--gpt2"} or {@code "models--openai-community--gpt2"}
     */
    public static String folderName(String repoId) {
        return "models--" + repoId.replace("/", "--");
    }

    /**
     * The repository a cache folder holds.
     *
     * @param folder a cache folder name such as {@code "models--openai-community--gpt2"}
     * @return the repository id ({@code "openai-community/gpt2"}), or null if the name is not a model folder
     */
    public static String repoIdOf(String folder) {
        if (!folder.startsWith("models--") || folder.length() == "models--".length()) {
            return null;
        }
        return folder.substring("models--".length()).replace("--", "/");
    }

    /**
     * Finds the snapshot {@code main} points at of a repository in a cache.
     *
     * @param root the cache folder
     * @param repoId the repository id
     * @return the snapshot {@code main} points at
     * @throws NoSuchFileException naming what is missing
     * @throws IOException if the cache cannot be read
     */
    public static Path findSnapshot(Path root, String repoId) throws IOException {
        return snapshot(root.resolve(folderName(repoId)), "main", true);
    }

    /**
     * The snapshot a revision points at, in a model's cache folder.
     *
     * @param repoFolder a folder such as {@code .../hub/models--gpt2}
     * @param revision a branch or tag name (a file under {@code refs/}) or a 40-hex commit
     * @return the snapshot folder
     * @throws NoSuchFileException naming what is missing
     * @throws IOException if the cache cannot be read
     */
    public static Path snapshot(Path repoFolder, String revision) throws IOException {
        return snapshot(repoFolder, revision, false);
    }

    /**
     * The snapshot {@code main} points at. When there is no {@code refs/main} but exactly one
     * snapshot, that one.
     *
     * @param repoFolder a folder such as {@code .../hub/models--gpt2}
     * @return the snapshot folder
     * @throws NoSuchFileException naming what is missing
     * @throws IOException if the cache cannot be read
     */
    public static Path snapshot(Path repoFolder) throws IOException {
        return snapshot(repoFolder, "main", true);
    }

    /**
     * Whether a folder looks like a model's cache folder.
     *
     * @param dir a folder
     * @return true when it has a {@code snapshots/} folder
     */
    public static boolean isRepoFolder(Path dir) {
        return Files.isDirectory(dir.resolve("snapshots"));
    }

    private static Path snapshot(Path repoFolder, String revision, boolean soleSnapshotFallback) throws IOException {
        if (!Files.isDirectory(repoFolder)) {
            throw new NoSuchFileException(repoFolder.toString(), null, "no such Hugging Face cache folder");
        }
        Path snapshots = repoFolder.resolve("snapshots");
        String commit;
        if (COMMIT.matcher(revision).matches()) {
            commit = revision;
        } else {
            if (revision.contains("..")) {
                throw new IllegalArgumentException("bad revision name '" + revision + "'");
            }
            Path ref = repoFolder.resolve("refs").resolve(revision);
            if (Files.isRegularFile(ref)) {
                try {
                    commit = Files.readString(ref, StandardCharsets.UTF_8).strip();
                } catch (IOException e) {
                    throw dev.lens4j.tensor.io.FileErrors.naming(ref, e);
                }
                if (!COMMIT.matcher(commit).matches()) {
                    throw new CheckpointFormatException(ref.toString(), "does not hold a 40-hex commit hash");
                }
            } else if (soleSnapshotFallback) {
                List<Path> all = list(snapshots);
                if (all.size() != 1) {
                    throw new NoSuchFileException(ref.toString(), null, "missing, and " + snapshots + " holds "
                            + all.size() + " snapshots, so which one is meant is unclear");
                }
                return all.get(0);
            } else {
                throw new NoSuchFileException(ref.toString(), null, "no such revision");
            }
        }
        Path snap = snapshots.resolve(commit);
        if (!Files.isDirectory(snap)) {
            throw new NoSuchFileException(snap.toString(), null, "revision " + revision + " points at a snapshot that is not in the cache");
        }
        return snap;
    }

    private static List<Path> list(Path dir) throws IOException {
        List<Path> out = new ArrayList<>();
        if (!Files.isDirectory(dir)) {
            return out;
        }
        try (DirectoryStream<Path> s = Files.newDirectoryStream(dir, Files::isDirectory)) {
            s.forEach(out::add);
        }
        return out;
    }
}
