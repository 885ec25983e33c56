package dev.lens4j.tensor.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lens4j.tensor.Tensor;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafetensorsWriterTest {

    @TempDir
    Path dir;

    private static byte[] bytes(int... unsigned) {
        byte[] b = new byte[unsigned.length];
        for (int k = 0; k < b.length; k++) {
            b[k] = (byte) unsigned[k];
        }
        return b;
    }

    private static float[] iota(int n) {
        float[] f = new float[n];
        for (int k = 0; k < n; k++) {
            f[k] = k;
        }
        return f;
    }

    // The next three tests are the reference implementation's own serialization test vectors
    // (safetensors/src/tensor.rs: test_serialization, test_serialization_forced_alignement, test_empty).

    @Test
    void matchesReferenceVectorSerialization() throws IOException {
        Path p = dir.resolve("a.safetensors");
        new SafetensorsWriter().add("attn.0", DType.F32, iota(6), 1, 2, 3).write(p);
        assertThat(Files.readAllBytes(p)).isEqualTo(bytes(
                64, 0, 0, 0, 0, 0, 0, 0, 123, 34, 97, 116, 116, 110, 46, 48, 34, 58, 123, 34, 100,
                116, 121, 112, 101, 34, 58, 34, 70, 51, 50, 34, 44, 34, 115, 104, 97, 112, 101, 34,
                58, 91, 49, 44, 50, 44, 51, 93, 44, 34, 100, 97, 116, 97, 95, 111, 102, 102, 115,
                101, 116, 115, 34, 58, 91, 48, 44, 50, 52, 93, 125, 125, 0, 0, 0, 0, 0, 0, 128, 63,
                0, 0, 0, 64, 0, 0, 64, 64, 0, 0, 128, 64, 0, 0, 160, 64));
    }

    @Test
    void matchesReferenceVectorForcedAlignment() throws IOException {
        Path p = dir.resolve("a.safetensors");
        new SafetensorsWriter().add("attn0", DType.F32, iota(6), 1, 1, 2, 3).write(p);
        assertThat(Files.readAllBytes(p)).isEqualTo(bytes(
                72, 0, 0, 0, 0, 0, 0, 0, 123, 34, 97, 116, 116, 110, 48, 34, 58, 123, 34, 100, 116,
                121, 112, 101, 34, 58, 34, 70, 51, 50, 34, 44, 34, 115, 104, 97, 112, 101, 34, 58,
                91, 49, 44, 49, 44, 50, 44, 51, 93, 44, 34, 100, 97, 116, 97, 95, 111, 102, 102,
                115, 101, 116, 115, 34, 58, 91, 48, 44, 50, 52, 93, 125, 125, 32, 32, 32, 32, 32,
                32, 32, 0, 0, 0, 0, 0, 0, 128, 63, 0, 0, 0, 64, 0, 0, 64, 64, 0, 0, 128, 64, 0, 0,
                160, 64));
    }

    @Test
    void matchesReferenceVectorEmpty() throws IOException {
        Path p = dir.resolve("empty.safetensors");
        new SafetensorsWriter().write(p);
        assertThat(Files.readAllBytes(p)).isEqualTo(bytes(8, 0, 0, 0, 0, 0, 0, 0, 123, 125, 32, 32, 32, 32, 32, 32));

        new SafetensorsWriter().metadata("framework", "pt").write(p);
        assertThat(Files.readAllBytes(p)).isEqualTo(bytes(
                40, 0, 0, 0, 0, 0, 0, 0, 123, 34, 95, 95, 109, 101, 116, 97, 100, 97, 116, 97, 95,
                95, 34, 58, 123, 34, 102, 114, 97, 109, 101, 119, 111, 114, 107, 34, 58, 34, 112,
                116, 34, 125, 125, 32, 32, 32, 32, 32));
        try (SafetensorsFile f = SafetensorsFile.open(p)) {
            assertThat(f.names()).isEmpty();
            assertThat(f.metadata()).isEqualTo(Map.of("framework", "pt"));
        }
    }

    @Test
    void handBuiltFileHasLiteralHeaderPaddingAndData() throws IOException {
        Path p = dir.resolve("hand.safetensors");
        new SafetensorsWriter()
                .add("a", DType.F16, new float[] {65504f})                    // scalar []
                .add("b", DType.F32, new float[] {1f, -2f}, 2)
                .add("c", DType.BF16, new float[] {1.00390625f, 1.01171875f}, 2, 1)
                .metadata("format", "pt")
                .write(p);
        byte[] file = Files.readAllBytes(p);

        // Sorted by dtype alignment (F32, BF16, F16), then name; 196 bytes of JSON + 4 spaces = 200.
        String json = "{\"__metadata__\":{\"format\":\"pt\"},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"c\":{\"dtype\":\"BF16\",\"shape\":[2,1],\"data_offsets\":[8,12]},"
                + "\"a\":{\"dtype\":\"F16\",\"shape\":[],\"data_offsets\":[12,14]}";
        assertThat(json.length()).isEqualTo(196 - 1);
        json += "}";
        byte[] expected = new byte[8 + 200 + 14];
        expected[0] = (byte) 200;
        System.arraycopy((json + "    ").getBytes(StandardCharsets.US_ASCII), 0, expected, 8, 200);
        byte[] data = bytes(
                0x00, 0x00, 0x80, 0x3F, 0x00, 0x00, 0x00, 0xC0, // b: 1.0f, -2.0f
                0x80, 0x3F, 0x82, 0x3F,                         // c: bf16 1.0 (tie to even), 1.015625
                0xFF, 0x7B);                                    // a: f16 65504
        System.arraycopy(data, 0, expected, 208, data.length);
        assertThat(file).isEqualTo(expected);
    }

    @Test
    void roundTripsF32F16Bf16() throws IOException {
        float[] values = {0f, -0f, 1f, -1.5f, 3.14159265f, 1e-3f, 65504f, 65520f, 1e-7f, 0x1p-24f, 1e30f,
            Float.MIN_VALUE, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.NaN, 1.00390625f};
        Path p = dir.resolve("rt.safetensors");
        new SafetensorsWriter()
                .add("f32", DType.F32, values, 4, 4)
                .add("f16", DType.F16, values, 16)
                .add("bf16", DType.BF16, values, 2, 8)
                .add("empty", DType.BF16, new float[0], 0, 3)
                .write(p);
        try (SafetensorsFile f = SafetensorsFile.open(p)) {
            assertThat(f.names()).containsExactly("f32", "bf16", "empty", "f16"); // dtype alignment, then name
            assertThat(f.info("f32").shape()).containsExactly(4, 4);
            assertThat(f.info("empty").shape()).containsExactly(0, 3);
            assertThat(f.info("empty").byteLength()).isZero();
            assertThat(f.readFloats("f32")).isEqualTo(values); // bit-exact, NaN included
            float[] h = f.readFloats("f16");
            float[] b = f.readFloats("bf16");
            for (int k = 0; k < values.length; k++) {
                // floatToIntBits: NaN compares equal to NaN, -0 differs from 0.
                assertThat(Float.floatToIntBits(h[k])).isEqualTo(Float.floatToIntBits(Float16.f16ToF32(Float16.f32ToF16(values[k]))));
                assertThat(Float.floatToIntBits(b[k])).isEqualTo(Float.floatToIntBits(Float16.bf16ToF32(Float16.f32ToBf16(values[k]))));
            }
            // Spot checks against hand-computed values.
            assertThat(h[7]).isEqualTo(Float.POSITIVE_INFINITY); // 65520 overflows a half
            assertThat(h[9]).isEqualTo(0x1p-24f);
            assertThat(Float.floatToIntBits(h[1])).isEqualTo(0x8000_0000);  // -0 keeps its sign
            assertThat(h[14]).isNaN();                // smallest half subnormal survives
            assertThat(h[8]).isEqualTo(2 * 0x1p-24f);            // 1e-7 = 1.68 * 2^-24 rounds to 2 * 2^-24
            assertThat(b[15]).isEqualTo(1f);
            assertThat(b[14]).isNaN();
            assertThat(b[4]).isEqualTo(3.140625f);               // pi keeps 8 significant bits
            assertThat(f.readFloats("empty")).isEmpty();
        }
    }

    @Test
    void writesTensorsIncludingViewsAndLargeArraysAcrossChunks() throws IOException {
        int n = 300_000; // > 1 MiB of F32, so several staging chunks
        float[] big = new float[n];
        for (int k = 0; k < n; k++) {
            big[k] = (float) Math.sin(k);
        }
        Tensor x = Tensor.of(new float[] {1, 2, 3, 4, 5, 6}, 2, 3);
        Path p = dir.resolve("t.safetensors");
        new SafetensorsWriter()
                .add("big", DType.F32, Tensor.of(big, 600, 500))
                .add("bigh", DType.F16, big, n)
                .add("xT", DType.F32, x.transpose(0, 1)) // a strided view: written row-major [3, 2]
                .write(p);
        try (SafetensorsFile f = SafetensorsFile.open(p)) {
            assertThat(f.readFloats("big")).isEqualTo(big);
            assertThat(f.info("xT").shape()).containsExactly(3, 2);
            assertThat(f.readFloats("xT")).containsExactly(1, 4, 2, 5, 3, 6);
            float[] h = f.readFloats("bigh");
            for (int k = 0; k < n; k += 997) {
                assertThat(h[k]).isEqualTo(Float16.f16ToF32(Float16.f32ToF16(big[k])));
            }
        }
    }

    @Test
    void writesAMapOfTensorsInOneCall() throws IOException {
        Path p = dir.resolve("map.safetensors");
        Map<String, Tensor> m = new java.util.LinkedHashMap<>();
        m.put("W_U", Tensor.of(new float[] {1, 2, 3, 4, 5, 6}, 2, 3)); // [d_model, d_vocab]
        m.put("b_U", Tensor.of(new float[] {0.5f, -0.5f, 1}, 3));       // [d_vocab]
        SafetensorsWriter.write(p, m, DType.BF16, Map.of("format", "pt"));
        try (SafetensorsFile f = SafetensorsFile.open(p)) {
            assertThat(f.names()).containsExactly("W_U", "b_U");
            assertThat(f.info("W_U").dtype()).isEqualTo(DType.BF16);
            assertThat(f.tensor("W_U").shape()).containsExactly(2, 3);
            assertThat(f.readFloats("b_U")).containsExactly(0.5f, -0.5f, 1f);
            assertThat(f.metadata()).isEqualTo(Map.of("format", "pt"));
        }
    }

    @Test
    void copiesRawTensorsOfAnyDtype() throws IOException {
        Path src = dir.resolve("src.safetensors");
        new SafetensorsWriter().add("w", DType.BF16, new float[] {1, 2, 3}, 3).write(src);
        Path dst = dir.resolve("dst.safetensors");
        try (SafetensorsFile f = SafetensorsFile.open(src)) {
            new SafetensorsWriter()
                    .addRaw("w", DType.BF16, f.segment("w"), 3)
                    .addRaw("ids", DType.I64, MemorySegment.ofArray(new long[] {7, 8}), 2)
                    .write(dst);
        }
        try (SafetensorsFile g = SafetensorsFile.open(dst)) {
            assertThat(g.names()).containsExactly("ids", "w"); // I64 aligns to 8 and goes first
            assertThat(g.readFloats("w")).containsExactly(1, 2, 3);
            assertThat(g.readFloats("ids")).containsExactly(7, 8);
        }
    }

    @Test
    void sortsNamesInUtf8ByteOrderNotUtf16Order() {
        String bmpHigh = "\uFFFF";                       // U+FFFF, UTF-8 EF BF BF
        String astral = Character.toString(0x1F600);     // U+1F600, UTF-8 F0 9F 98 80, UTF-16 D83D DE00
        assertThat(bmpHigh.compareTo(astral)).isPositive(); // what String.compareTo says
        assertThat(SafetensorsWriter.compareCodePoints(bmpHigh, astral)).isNegative();
        assertThat(SafetensorsWriter.compareCodePoints("a", "ab")).isNegative();
        assertThat(SafetensorsWriter.compareCodePoints("ab", "ab")).isZero();
        assertThat(SafetensorsWriter.compareCodePoints("h.10", "h.2")).isNegative();
    }

    @Test
    void replacesAnExistingFileAndLeavesNoTemporaryFiles() throws IOException {
        Path p = dir.resolve("m.safetensors");
        Files.writeString(p, "old");
        new SafetensorsWriter().add("x", DType.F32, new float[] {5}, 1).write(p);
        try (SafetensorsFile f = SafetensorsFile.open(p)) {
            assertThat(f.readFloats("x")).containsExactly(5);
        }
        try (Stream<Path> s = Files.list(dir)) {
            assertThat(s.map(q -> q.getFileName().toString()).toList()).containsExactly("m.safetensors");
        }
    }

    @Test
    void aFailedWriteLeavesTheTargetUntouched() throws IOException {
        Path p = dir.resolve("keep.safetensors");
        Files.writeString(p, "old");
        MemorySegment dead;
        try (Arena arena = Arena.ofConfined()) {
            dead = arena.allocate(4);
        }
        SafetensorsWriter w = new SafetensorsWriter().addRaw("x", DType.F32, dead, 1);
        assertThatThrownBy(() -> w.write(p)).isInstanceOf(IllegalStateException.class);
        assertThat(Files.readString(p)).isEqualTo("old");
        try (Stream<Path> s = Files.list(dir)) {
            assertThat(s.toList()).containsExactly(p);
        }
    }

    @Test
    void rejectsBadInputNamingTheTensor() {
        SafetensorsWriter w = new SafetensorsWriter().add("x", DType.F32, new float[2], 2);
        assertThatThrownBy(() -> w.add("x", DType.F32, new float[2], 2))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("\"x\" was already added");
        assertThatThrownBy(() -> w.add("y", DType.F32, new float[5], 2, 3))
                .hasMessageContaining("tensor \"y\"").hasMessageContaining("[2, 3] has 6 elements but the data has 5");
        assertThatThrownBy(() -> w.add("z", DType.F32, new float[0], 2, -1))
                .hasMessageContaining("tensor \"z\"").hasMessageContaining("negative dimension");
        assertThatThrownBy(() -> w.add("i", DType.I32, new float[1], 1))
                .hasMessageContaining("tensor \"i\"").hasMessageContaining("cannot write float data as I32");
        assertThatThrownBy(() -> w.add("__metadata__", DType.F32, new float[1], 1))
                .hasMessageContaining("reserved");
        assertThatThrownBy(() -> w.addRaw("r", DType.F16, MemorySegment.ofArray(new byte[3]), 2))
                .hasMessageContaining("tensor \"r\"").hasMessageContaining("needs 32 bits but 3 bytes");
        assertThatThrownBy(() -> w.add("bad\uD800", DType.F32, new float[1], 1))
                .hasMessageContaining("unpaired surrogate");
    }

    @Test
    void nonAsciiNamesAndMetadataRoundTrip() throws IOException {
        Path p = dir.resolve("u.safetensors");
        String name = "caf\u00e9." + Character.toString(0x1F600) + ".\"quoted\"\\n";
        new SafetensorsWriter().add(name, DType.F32, new float[] {1}, 1).metadata("note", "tab\there").write(p);
        try (SafetensorsFile f = SafetensorsFile.open(p)) {
            assertThat(f.names()).containsExactly(name);
            assertThat(f.metadata()).containsEntry("note", "tab\there");
        }
        byte[] file = Files.readAllBytes(p);
        int n = (int) java.nio.ByteBuffer.wrap(file).order(java.nio.ByteOrder.LITTLE_ENDIAN).getLong();
        String header = new String(file, 8, n, StandardCharsets.UTF_8);
        // Non-ASCII is written as raw UTF-8, as serde_json does; quotes, backslashes and tabs are escaped.
        assertThat(header).startsWith("{\"__metadata__\":{\"note\":\"tab\\there\"},\"caf\u00e9."
                + Character.toString(0x1F600) + ".\\\"quoted\\\"\\\\n\":");
    }
}
