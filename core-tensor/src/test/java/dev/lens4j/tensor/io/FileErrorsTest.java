package dev.lens4j.tensor.io;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The readers and writers name the file whatever the file system's own message says. */
class FileErrorsTest {

    @TempDir
    Path dir;

    /** Before: "IOException: No such device", from mapping a folder, with no name. */
    @Test
    void foldersInPlaceOfFilesAreNamed() throws IOException {
        Path st = Files.createDirectory(dir.resolve("model.safetensors"));
        assertThatThrownBy(() -> SafetensorsFile.open(st)).isInstanceOf(FileSystemException.class)
                .hasMessage(st + ": is a directory, not a safetensors file");
        Path npy = Files.createDirectory(dir.resolve("x.npy"));
        assertThatThrownBy(() -> Npy.read(npy)).isInstanceOf(FileSystemException.class)
                .hasMessage(npy + ": is a directory, not a .npy file");
        // writing over a folder: the rename fails; the error names the target
        assertThatThrownBy(() -> Npy.write(npy, new float[] {1f}, 1)).isInstanceOf(IOException.class)
                .hasMessageContaining(npy + ": Is a directory");
    }

    @Test
    void anErrorWithoutTheNameIsWrappedAndOneWithItKept() {
        Path f = dir.resolve("a.bin");
        IOException bare = new IOException("No space left on device");
        IOException named = FileErrors.naming(f, bare);
        assertThat(named).isInstanceOf(FileSystemException.class).hasMessage(f + ": No space left on device").hasCause(bare);
        IOException already = new NpyFormatException(f, "bad");
        assertThat(FileErrors.naming(f, already)).isSameAs(already);
        assertThat(FileErrors.naming(f, new IOException())).hasMessage(f + ": IOException");
    }
}
