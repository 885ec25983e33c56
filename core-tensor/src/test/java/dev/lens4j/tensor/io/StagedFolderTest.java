package dev.lens4j.tensor.io;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class StagedFolderTest {

    @TempDir
    Path root;

    private List<String> entries(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void aNewFolderAppearsWithEveryFileAtOnce() throws IOException {
        Path target = root.resolve("a/b/ckpt");
        try (StagedFolder out = StagedFolder.begin(target)) {
            assertThat(out.dir().getParent()).isEqualTo(target.getParent().toAbsolutePath());
            assertThat(out.dir().getFileName().toString()).startsWith(".ckpt.lens4j-new-");
            Files.writeString(out.dir().resolve("config.json"), "{}");
            Files.writeString(out.dir().resolve("weights"), "w");
            assertThat(target).doesNotExist();
            out.commit();
        }
        assertThat(entries(target)).containsExactly("config.json", "weights");
        assertThat(entries(target.getParent())).containsExactly("ckpt");
    }

    @Test
    void replacesTheStagedNamesAndKeepsEverythingElseTheFolderHeld() throws IOException {
        Path target = root.resolve("ckpt");
        Files.createDirectories(target.resolve("notes/deeper"));
        Files.writeString(target.resolve("config.json"), "old config");
        Files.writeString(target.resolve("weights"), "old weights");
        Files.writeString(target.resolve("README.md"), "keep me");
        Files.writeString(target.resolve("notes/deeper/n.txt"), "keep me too");
        Files.createSymbolicLink(target.resolve("link"), Path.of("README.md"));
        try (StagedFolder out = StagedFolder.begin(target)) {
            Files.writeString(out.dir().resolve("config.json"), "new config");
            Files.writeString(out.dir().resolve("weights"), "new weights");
            out.commit();
        }
        assertThat(entries(target)).containsExactly("README.md", "config.json", "link", "notes", "weights");
        assertThat(Files.readString(target.resolve("config.json"))).isEqualTo("new config");
        assertThat(Files.readString(target.resolve("weights"))).isEqualTo("new weights");
        assertThat(Files.readString(target.resolve("README.md"))).isEqualTo("keep me");
        assertThat(Files.readString(target.resolve("notes/deeper/n.txt"))).isEqualTo("keep me too");
        assertThat(Files.readSymbolicLink(target.resolve("link"))).isEqualTo(Path.of("README.md"));
        assertThat(entries(root)).as("no staged or old folder is left beside it").containsExactly("ckpt");
    }

    @Test
    void aFailureBeforeTheCommitLeavesTheFolderAsItWas() throws IOException {
        Path target = root.resolve("ckpt");
        Files.createDirectories(target);
        Files.writeString(target.resolve("config.json"), "old config");
        Files.writeString(target.resolve("weights"), "old weights");
        assertThatThrownBy(() -> {
            try (StagedFolder out = StagedFolder.begin(target)) {
                Files.writeString(out.dir().resolve("config.json"), "new config");
                throw new IOException("disk full while writing the weights");
            }
        }).hasMessage("disk full while writing the weights");
        assertThat(entries(target)).containsExactly("config.json", "weights");
        assertThat(Files.readString(target.resolve("config.json"))).isEqualTo("old config");
        assertThat(entries(root)).as("the staged folder is deleted").containsExactly("ckpt");
    }

    @Test
    void followsALinkToTheFolderAndKeepsTheLink() throws IOException {
        Path real = root.resolve("real");
        Files.createDirectories(real);
        Files.writeString(real.resolve("config.json"), "old");
        Path link = Files.createSymbolicLink(root.resolve("link"), real);
        try (StagedFolder out = StagedFolder.begin(link)) {
            Files.writeString(out.dir().resolve("config.json"), "new");
            out.commit();
        }
        assertThat(Files.isSymbolicLink(link)).isTrue();
        assertThat(Files.readString(real.resolve("config.json"))).isEqualTo("new");
    }

    /** Renaming the working directory away would leave the process (and its shell) in a deleted folder. */
    @Test
    void aFolderHoldingTheWorkingDirectoryKeepsItsIdentity() throws IOException {
        Path target = root.resolve("ckpt");
        Files.createDirectories(target.resolve("cwd"));
        Files.writeString(target.resolve("config.json"), "old");
        Files.writeString(target.resolve("README.md"), "keep me");
        Object inode = Files.getAttribute(target, "unix:ino");
        try (StagedFolder out = StagedFolder.begin(target, target.resolve("cwd"))) {
            Files.writeString(out.dir().resolve("config.json"), "new");
            Files.writeString(out.dir().resolve("weights"), "w");
            out.commit();
        }
        assertThat(Files.getAttribute(target, "unix:ino")).isEqualTo(inode);
        assertThat(entries(target)).containsExactly("README.md", "config.json", "cwd", "weights");
        assertThat(Files.readString(target.resolve("config.json"))).isEqualTo("new");
        assertThat(entries(root)).containsExactly("ckpt");
    }

    @Test
    void refusesAFileAndASecondCommit() throws IOException {
        Path file = Files.writeString(root.resolve("file"), "x");
        assertThatThrownBy(() -> StagedFolder.begin(file)).isInstanceOf(NotDirectoryException.class).hasMessageContaining(file.toString());
        try (StagedFolder out = StagedFolder.begin(root.resolve("d"))) {
            out.commit();
            assertThatThrownBy(out::commit).isInstanceOf(IllegalStateException.class).hasMessageContaining("already committed");
        }
        assertThat(root.resolve("d")).isEmptyDirectory();
    }
}
