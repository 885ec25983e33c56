package dev.lens4j.tensor.matmul;

import dev.lens4j.tensor.internal.ResidentMemory;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@link MatrixOperand#unloadMapping()}: the pages of a mapped view are released over exactly the view's
 * index range (row-major, transposed, a column block, 16-bit), the values read afterwards are the file's,
 * views that are not mapped are left alone, and the released pages leave the process's resident set.
 */
class MatrixOperandUnloadTest {

    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** The pages really leave the resident set ({@link ResidentMemory}, Linux), and only the view's. */
    @Test
    void thePagesLeaveTheResidentSet(@TempDir Path dir) throws IOException {
        Assumptions.assumeTrue(ResidentMemory.available(), "needs Linux's /proc/self/smaps");
        int rows = 1024, cols = 1024;   // 4 MiB
        Path file = dir.resolve("w.bin");
        write(file, rows * cols);
        String name = file.toRealPath().toString();
        try (Arena arena = Arena.ofShared(); FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            MemorySegment s = ch.map(FileChannel.MapMode.READ_ONLY, 0, Files.size(file), arena);
            MatrixOperand whole = MatrixOperand.rowMajor(s, 0, rows, cols);
            double sum = 0;
            for (int i = 0; i < rows; i++) {
                sum += whole.get(i, 0) + whole.get(i, cols - 1);   // touches every page
            }
            assertThat(sum).isPositive();
            assertThat(ResidentMemory.mappedBytes(name::equals)).as("touched").isEqualTo(4L * rows * cols);
            whole.rowRange(0, rows / 2).unloadMapping();
            assertThat(ResidentMemory.mappedBytes(name::equals)).as("the first half released, the second kept")
                    .isBetween(1L * rows * cols, 2L * rows * cols);
            whole.unloadMapping();
            assertThat(ResidentMemory.mappedBytes(name::equals)).as("all released").isZero();
            assertThat(whole.get(rows - 1, cols - 1)).as("read again from the file").isEqualTo((rows * cols - 1) * 0.5f);
        }
    }

    private static void write(Path file, int floats) throws IOException {
        try (Arena write = Arena.ofConfined(); FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW,
                StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            MemorySegment s = ch.map(FileChannel.MapMode.READ_WRITE, 0, 4L * floats, write);
            for (int i = 0; i < floats; i++) {
                s.setAtIndex(F32, i, i * 0.5f);
            }
        }
    }

    @Test
    void releasesTheViewsRangeAndKeepsItsValues(@TempDir Path dir) throws IOException {
        int rows = 300, cols = 200;
        Path file = dir.resolve("w.bin");
        write(file, rows * cols);
        Arena arena = Arena.ofShared();
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            MemorySegment s = ch.map(FileChannel.MapMode.READ_ONLY, 0, Files.size(file), arena);
            MatrixOperand whole = MatrixOperand.rowMajor(s, 0, rows, cols);
            assertThat(whole.unloadMapping()).isEqualTo(4L * rows * cols);
            assertThat(whole.transpose().unloadMapping()).as("the same elements transposed").isEqualTo(4L * rows * cols);
            // columns 10..29 of rows 0..299: from element 10 to element 299 * 200 + 29
            assertThat(whole.colRange(10, 20).unloadMapping()).isEqualTo(4L * (299 * 200 + 29 - 10 + 1));
            assertThat(whole.rowRange(5, 0).unloadMapping()).as("empty").isZero();
            MatrixOperand halves = MatrixOperand.of(StorageType.BF16, s, 100, 10, 10);
            assertThat(halves.unloadMapping()).as("2 bytes per element").isEqualTo(2L * 100);
            for (int i = 0; i < rows; i += 37) {
                for (int j = 0; j < cols; j += 13) {
                    assertThat(whole.get(i, j)).as("(%d, %d) read again from the file", i, j).isEqualTo((i * cols + j) * 0.5f);
                }
            }
            assertThat(MatrixOperand.rowMajor(new float[12], 0, 3, 4).unloadMapping()).as("heap").isZero();
            try (Arena nat = Arena.ofConfined()) {
                assertThat(MatrixOperand.rowMajor(nat.allocate(48), 0, 3, 4).unloadMapping()).as("native, not mapped").isZero();
            }
            arena.close();
            assertThatThrownBy(whole::unloadMapping).isInstanceOf(IllegalStateException.class);
        } finally {
            if (arena.scope().isAlive()) {
                arena.close();
            }
        }
    }
}
