package dev.lens4j.transformer.loading;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Every I/O error of a load names the file at fault, whatever the file system's own message says. */
class FileErrorsTest {

    @TempDir
    Path dir;

    private void copy(String... files) throws IOException {
        for (String f : files) {
            Files.copy(TinyGpt2.path(f), dir.resolve(Path.of(f).getFileName()));
        }
    }

    /** Before: "Is a directory". */
    @Test
    void aConfigThatIsAFolder() throws IOException {
        copy("hf/model.safetensors");
        Files.createDirectory(dir.resolve("config.json"));
        assertThatThrownBy(() -> Models.fromPretrained(dir)).isInstanceOf(FileSystemException.class)
                .hasMessage(dir.resolve("config.json") + ": is a directory, not a JSON file");
    }

    /** Before: "Input length = 1". */
    @Test
    void anIndexThatIsNotUtf8() throws IOException {
        copy("hf-sharded/config.json", "hf-sharded/model-00001-of-00002.safetensors", "hf-sharded/model-00002-of-00002.safetensors");
        Files.write(dir.resolve("model.safetensors.index.json"), new byte[] {'{', '"', (byte) 0xff, '"', ':', '1', '}'});
        assertThatThrownBy(() -> Models.fromPretrained(dir)).isInstanceOf(CheckpointFormatException.class)
                .hasMessage(dir.resolve("model.safetensors.index.json") + ": not valid UTF-8");
    }

    /** Before: an InvalidPathException without the index's name, or the folder itself opened as a shard. */
    @Test
    void shardNamesThatAreEmptyHoldNulOrLeaveTheFolder() throws IOException {
        copy("hf-sharded/config.json", "hf-sharded/model-00001-of-00002.safetensors", "hf-sharded/model-00002-of-00002.safetensors");
        Path index = dir.resolve("model.safetensors.index.json");
        String[][] cases = {{"", "is empty"}, {"a\\u0000b", "holds a NUL character"}, {".", "is outside the checkpoint folder"},
                {"../x.safetensors", "is outside the checkpoint folder"}};
        for (String[] c : cases) {
            Files.writeString(index, "{\"weight_map\": {\"transformer.wte.weight\": \"" + c[0] + "\"}}");
            assertThatThrownBy(() -> Models.fromPretrained(dir)).as(c[0]).isInstanceOf(CheckpointFormatException.class)
                    .hasMessage(index + ": weight_map names shard \"" + c[0] + "\", which " + c[1]);
        }
    }

    /** Before: "has neither model.safetensors nor model.safetensors.index.json", naming the folder. */
    @Test
    void aFolderOrABrokenLinkInPlaceOfTheWeights() throws IOException {
        copy("hf/config.json");
        Path weights = dir.resolve("model.safetensors");
        Files.createDirectory(weights);
        assertThatThrownBy(() -> Models.fromPretrained(dir)).isInstanceOf(FileSystemException.class)
                .hasMessage(weights + ": is a directory, not a safetensors file");
        Files.delete(weights);

        Files.createSymbolicLink(weights, dir.resolve("other"));
        Files.createSymbolicLink(dir.resolve("other"), weights);
        assertThatThrownBy(() -> Models.fromPretrained(dir)).isInstanceOf(FileSystemException.class)
                .hasMessageStartingWith(weights + ": Too many levels of symbolic links");
        Files.delete(dir.resolve("other"));
        assertThatThrownBy(() -> Models.fromPretrained(dir)).isInstanceOf(NoSuchFileException.class)
                .hasMessageStartingWith(weights.toString());
    }
}
