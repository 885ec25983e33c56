package dev.lens4j.tensor.io;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SafetensorsInMemoryTest {

    @Test
    void bytesInMemoryReadLikeTheMappedFileAndErrorsNameTheResource(@TempDir Path tmp) throws IOException {
        Path file = tmp.resolve("m.safetensors");
        new SafetensorsWriter()
                .add("w", DType.F32, new float[] {1, 2, 3, 4, 5, 6}, 2, 3)
                .add("h", DType.F16, new float[] {0.5f, -2f}, 2)
                .write(file);
        byte[] bytes = Files.readAllBytes(file);
        try (SafetensorsFile mapped = SafetensorsFile.open(file);
             SafetensorsFile mem = SafetensorsFile.of(MemorySegment.ofArray(bytes), Path.of("res/m.safetensors"))) {
            assertThat(mem.names()).containsExactlyElementsOf(mapped.names());
            assertThat(mem.tensor("w").toArray()).containsExactly(1, 2, 3, 4, 5, 6);
            assertThat(mem.tensor("w").shape()).containsExactly(2, 3);
            assertThat(mem.readFloats("h")).containsExactly(0.5f, -2f);
            assertThat(mem.path()).isEqualTo(Path.of("res/m.safetensors"));
        }
        byte[] truncated = Arrays.copyOf(bytes, bytes.length - 4);
        assertThatThrownBy(() -> SafetensorsFile.of(MemorySegment.ofArray(truncated), Path.of("res/broken.safetensors")))
                .isInstanceOf(SafetensorsFormatException.class)
                .hasMessageContaining("res/broken.safetensors").hasMessageContaining("past the end");
        assertThatThrownBy(() -> SafetensorsFile.of(MemorySegment.ofArray(new byte[3]), Path.of("tiny")))
                .isInstanceOf(SafetensorsFormatException.class).hasMessageContaining("tiny").hasMessageContaining("3 bytes");
    }
}
