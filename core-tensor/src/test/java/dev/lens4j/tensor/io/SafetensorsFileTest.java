package dev.lens4j.tensor.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.lens4j.tensor.Tensor;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafetensorsFileTest {

    @TempDir
    Path dir;

    private final AtomicInteger counter = new AtomicInteger();

    /** A file with the given 8-byte length field, header bytes and byte buffer. */
    private Path raw(long n, byte[] header, byte[] data) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(8 + header.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(n).put(header).put(data);
        Path p = dir.resolve("f" + counter.incrementAndGet() + ".safetensors");
        Files.write(p, b.array());
        return p;
    }

    /** A file whose header is {@code json} (its true length) followed by {@code dataBytes} zero bytes. */
    private Path file(String json, int dataBytes) throws IOException {
        byte[] h = json.getBytes(StandardCharsets.UTF_8);
        return raw(h.length, h, new byte[dataBytes]);
    }

    private static String entry(String name, String dtype, String shape, long begin, long end) {
        return "\"" + name + "\":{\"dtype\":\"" + dtype + "\",\"shape\":" + shape + ",\"data_offsets\":[" + begin + "," + end + "]}";
    }

    /** Opens {@code p}, expecting a format error that names the file (and {@code tensor} when not null). */
    private static SafetensorsFormatException fails(Path p, String tensor, String problem) {
        SafetensorsFormatException e = catchThrowableOfType(SafetensorsFormatException.class, () -> SafetensorsFile.open(p));
        assertThat(e).as("opening %s should fail", p).isNotNull();
        assertThat(e.getMessage()).startsWith(p.toString() + ": ").contains(problem);
        assertThat(e.file()).isEqualTo(p);
        assertThat(e.tensor()).isEqualTo(tensor);
        if (tensor != null) {
            assertThat(e.getMessage()).contains("tensor \"" + tensor + "\"");
        }
        return e;
    }

    // ------------------------------------------------------------------ malformed files

    @Test
    void fileShorterThanTheLengthField() throws IOException {
        Path empty = dir.resolve("empty.safetensors");
        Files.write(empty, new byte[0]);
        fails(empty, null, "file is 0 bytes, shorter than the 8-byte header length");
        Path five = dir.resolve("five.safetensors");
        Files.write(five, new byte[5]);
        fails(five, null, "file is 5 bytes");
    }

    @Test
    void headerLengthPastTheEndOrTooLarge() throws IOException {
        fails(raw(1000, "{}".getBytes(StandardCharsets.US_ASCII), new byte[0]), null,
                "header length 1000 runs past the end of the file (10 bytes, so at most 2)");
        fails(raw(-1, new byte[0], new byte[0]), null, "header length 18446744073709551615 is larger than the 100000000-byte limit");
        fails(raw(100_000_001, new byte[0], new byte[0]), null, "larger than the 100000000-byte limit");
    }

    @Test
    void headerNotUtf8() throws IOException {
        byte[] h = {'{', '"', (byte) 0xC3, '"', ':', '1', '}'}; // 0xC3 starts a 2-byte sequence, '"' cannot continue it
        fails(raw(h.length, h, new byte[0]), null, "header is not valid UTF-8 (bad byte sequence at byte 10 of the file)");
        byte[] overlong = {'{', (byte) 0xC0, (byte) 0xAF, '}'};
        fails(raw(overlong.length, overlong, new byte[0]), null, "not valid UTF-8");
    }

    @Test
    void headerNotJsonOrNotAnObject() throws IOException {
        fails(file("{\"a\":", 0), null, "header is not a valid JSON object: malformed JSON at offset 5");
        fails(file("[1, 2]", 0), null, "expected a JSON object, found array");
        fails(file("{\"x\":1,\"x\":2}", 0), null, "duplicate key \"x\"");
        SafetensorsFormatException e = fails(file("{} trailing", 0), null, "trailing");
        assertThat(e.getCause()).isInstanceOf(IllegalArgumentException.class);
        fails(file("{\"w\":[1]}", 0), "w", "header entry is a JSON array, expected an object");
    }

    @Test
    void spacesAfterTheJsonAreAllowed() throws IOException {
        Path p = file("{" + entry("w", "F32", "[1]", 0, 4) + "}      ", 4);
        try (SafetensorsFile f = SafetensorsFile.open(p)) {
            assertThat(f.readFloats("w")).containsExactly(0f);
        }
    }

    @Test
    void unknownDtype() throws IOException {
        fails(file("{" + entry("w", "F128", "[1]", 0, 16) + "}", 16), "w", "unknown dtype \"F128\" (known: BOOL, F4,");
        fails(file("{" + entry("w", "f32", "[1]", 0, 4) + "}", 4), "w", "unknown dtype \"f32\"");
        fails(file("{\"w\":{\"dtype\":7,\"shape\":[1],\"data_offsets\":[0,4]}}", 4), "w", "dtype is a JSON number");
    }

    @Test
    void badShapes() throws IOException {
        fails(file("{" + entry("w", "F32", "[2,-3]", 0, 24) + "}", 24), "w", "shape [2, -3] has a negative dimension");
        fails(file("{" + entry("w", "F32", "[2.5]", 0, 8) + "}", 8), "w", "non-integer dimension 2.5");
        fails(file("{" + entry("w", "F32", "[4294967296]", 0, 8) + "}", 8), "w", "dimension over 2^31-1");
        fails(file("{" + entry("w", "F32", "3", 0, 12) + "}", 12), "w", "shape is a JSON number, expected an array");
        fails(file("{" + entry("w", "F64", "[2147483647,2147483647,2147483647]", 0, 8) + "}", 8), "w",
                "overflows a 64-bit byte count");
    }

    @Test
    void missingFields() throws IOException {
        fails(file("{\"w\":{\"shape\":[1],\"data_offsets\":[0,4]}}", 4), "w", "header entry has no \"dtype\"");
        fails(file("{\"w\":{\"dtype\":\"F32\",\"data_offsets\":[0,4]}}", 4), "w", "has no \"shape\"");
        fails(file("{\"w\":{\"dtype\":\"F32\",\"shape\":[1]}}", 4), "w", "has no \"data_offsets\"");
    }

    @Test
    void dataOffsetsNotMatchingDtypeAndShape() throws IOException {
        fails(file("{" + entry("w", "F32", "[2,3]", 0, 20) + "}", 20), "w",
                "data_offsets [0, 20] span 20 bytes, but dtype F32 and shape [2, 3] need 24");
        fails(file("{" + entry("w", "BF16", "[]", 0, 4) + "}", 4), "w", "need 2");
        fails(file("{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0]}}", 4), "w",
                "data_offsets is [0], expected [begin, end] as two integers");
        fails(file("{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4.0]}}", 4), "w", "two integers");
        fails(file("{" + entry("w", "F32", "[1]", 8, 4) + "}", 8), "w", "must satisfy 0 <= begin <= end");
        fails(file("{" + entry("w", "F32", "[0]", -4, -4) + "}", 0), "w", "must satisfy 0 <= begin <= end");
        // Sub-byte dtypes must fill whole bytes.
        fails(file("{" + entry("w", "F4", "[3]", 0, 2) + "}", 2), "w", "is 12 bits, not a whole number of bytes");
    }

    @Test
    void offsetsOutsideTheFile() throws IOException {
        fails(file("{" + entry("w", "F32", "[2]", 0, 8) + "}", 4), "w",
                "data_offsets [0, 8] run past the end of the file (the byte buffer after the header is 4 bytes)");
    }

    @Test
    void overlappingTensors() throws IOException {
        String h = "{" + entry("a", "F32", "[2]", 0, 8) + "," + entry("b", "F32", "[2]", 4, 12) + "}";
        fails(file(h, 12), "b", "data_offsets [4, 12] overlap tensor \"a\", which ends at 8");
        // The same range twice is an overlap too.
        String twice = "{" + entry("a", "F32", "[1]", 0, 4) + "," + entry("b", "F32", "[1]", 0, 4) + "}";
        fails(file(twice, 4), "b", "overlap tensor \"a\"");
    }

    @Test
    void holesAndUnindexedBytes() throws IOException {
        String gap = "{" + entry("a", "F32", "[1]", 0, 4) + "," + entry("b", "F32", "[1]", 8, 12) + "}";
        fails(file(gap, 12), "b", "bytes [4, 8) of the byte buffer before this tensor (after \"a\") belong to no tensor");
        String lead = "{" + entry("a", "F32", "[1]", 4, 8) + "}";
        fails(file(lead, 8), "a", "bytes [0, 4) of the byte buffer before this tensor belong to no tensor");
        String tail = "{" + entry("a", "F32", "[1]", 0, 4) + "}";
        fails(file(tail, 7), null, "the last 3 bytes of the byte buffer (after \"a\") belong to no tensor");
        fails(file("{}", 1), null, "the last 1 bytes of the byte buffer belong to no tensor");
    }

    @Test
    void metadataMustBeStrings() throws IOException {
        fails(file("{\"__metadata__\":{\"epoch\":3}}", 0), null,
                "__metadata__ value for key \"epoch\" is a JSON number; metadata values must be strings");
        fails(file("{\"__metadata__\":[\"x\"]}", 0), null, "__metadata__ is a JSON array");
        try (SafetensorsFile f = SafetensorsFile.open(file("{\"__metadata__\":null}", 0))) {
            assertThat(f.metadata()).isEmpty();
        }
    }

    // ------------------------------------------------------------------ reading

    @Test
    void readsHeaderOrderInfoMetadataAndUnknownFieldsAreIgnored() throws IOException {
        String h = "{\"__metadata__\":{\"format\":\"pt\",\"b\":\"2\"},"
                + entry("z.weight", "F32", "[2]", 0, 8) + ","
                + "\"a.bias\":{\"dtype\":\"F16\",\"shape\":[],\"data_offsets\":[8,10],\"comment\":\"ignored\"}}";
        byte[] json = h.getBytes(StandardCharsets.UTF_8);
        byte[] data = {0, 0, (byte) 0x80, 0x3F, 0, 0, 0, (byte) 0xC0, 0x00, 0x3C};
        Path p = raw(json.length, json, data);
        try (SafetensorsFile f = SafetensorsFile.open(p)) {
            assertThat(f.path()).isEqualTo(p);
            assertThat(f.names()).containsExactly("z.weight", "a.bias");
            assertThat(f.metadata()).containsExactly(java.util.Map.entry("format", "pt"), java.util.Map.entry("b", "2"));
            TensorInfo z = f.info("z.weight");
            assertThat(z.dtype()).isEqualTo(DType.F32);
            assertThat(z.shape()).containsExactly(2);
            assertThat(z.fileOffset()).isEqualTo(8 + json.length);
            assertThat(z.byteLength()).isEqualTo(8);
            assertThat(f.info("a.bias").fileOffset()).isEqualTo(8 + json.length + 8);
            assertThat(f.info("a.bias").rank()).isZero();
            assertThat(f.info("a.bias").numel()).isEqualTo(1);
            assertThat(f.readFloats("z.weight")).containsExactly(1f, -2f);
            assertThat(f.readFloats("a.bias")).containsExactly(1f);
            assertThat(f.contains("a.bias")).isTrue();
            assertThat(f.contains("nope")).isFalse();
        }
    }

    @Test
    void f32SegmentAndTensorAreZeroCopySlicesOfTheMapping() throws IOException {
        Path p = dir.resolve("zc.safetensors");
        new SafetensorsWriter()
                .add("w", DType.F32, new float[] {1, 2, 3, 4, 5, 6}, 2, 3)
                .add("h", DType.BF16, new float[] {1, 2}, 2)
                .write(p);
        Tensor w;
        try (SafetensorsFile f = SafetensorsFile.open(p)) {
            MemorySegment mapping = f.mapping();
            assertThat(mapping.isMapped()).isTrue();
            assertThat(mapping.byteSize()).isEqualTo(Files.size(p));
            MemorySegment seg = f.segment("w");
            assertThat(seg.address()).isEqualTo(mapping.address() + f.info("w").fileOffset());
            assertThat(seg.address()).isBetween(mapping.address(), mapping.address() + mapping.byteSize() - seg.byteSize());
            assertThat(seg.isReadOnly()).isTrue();
            assertThat(mapping.asSlice(f.dataStart()).address()).isEqualTo(seg.address()); // w is first

            w = f.tensor("w");
            assertThat(w.isHeap()).isFalse();
            assertThat(w.shape()).containsExactly(2, 3);
            assertThat(w.get(1, 2)).isEqualTo(6f);
            assertThat(w.toArray()).containsExactly(1, 2, 3, 4, 5, 6);
            assertThatThrownBy(() -> w.set(0f, 0, 0)).isInstanceOf(RuntimeException.class); // read-only mapping

            Tensor h = f.tensor("h");
            assertThat(h.isHeap()).isTrue();
            assertThat(h.toArray()).containsExactly(1, 2);
        }
        // Closing unmaps: the zero-copy tensor and new reads are no longer usable.
        assertThatThrownBy(() -> w.get(0, 0)).isInstanceOf(IllegalStateException.class);
        SafetensorsFile closed = SafetensorsFile.open(p);
        closed.close();
        closed.close(); // idempotent
        assertThatThrownBy(() -> closed.readFloats("w")).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining(p + " is closed");
        assertThat(closed.info("w").shape()).containsExactly(2, 3); // the header stays readable
    }

    @Test
    void missingTensorNamesFileTensorAndCloseNames() throws IOException {
        Path p = dir.resolve("m.safetensors");
        new SafetensorsWriter()
                .add("transformer.h.0.attn.c_attn.weight", DType.F32, new float[1], 1)
                .add("transformer.h.0.attn.c_attn.bias", DType.F32, new float[1], 1)
                .add("wte.weight", DType.F32, new float[1], 1)
                .write(p);
        try (SafetensorsFile f = SafetensorsFile.open(p)) {
            NoSuchTensorException e = catchThrowableOfType(NoSuchTensorException.class, () -> f.info("h.0.attn.c_attn.weight"));
            assertThat(e.getMessage()).isEqualTo("no tensor \"h.0.attn.c_attn.weight\" in " + p
                    + "; did you mean \"transformer.h.0.attn.c_attn.weight\"?");
            assertThat(e.file()).isEqualTo(p);
            assertThat(e.tensor()).isEqualTo("h.0.attn.c_attn.weight");

            e = catchThrowableOfType(NoSuchTensorException.class, () -> f.readFloats("wte.weigth"));
            assertThat(e.suggestions()).containsExactly("wte.weight");

            e = catchThrowableOfType(NoSuchTensorException.class, () -> f.segment("lm_head.weight"));
            assertThat(e.suggestions()).isEmpty();
            assertThat(e.getMessage()).isEqualTo("no tensor \"lm_head.weight\" in " + p);
            assertThat(e).isInstanceOf(IllegalArgumentException.class);
        }
    }

    /** A file of one tensor "t" of {@code count} elements of {@code dtype}, with the given bytes. */
    private Path rawOne(String dtype, int count, byte[] data) throws IOException {
        byte[] h = ("{" + entry("t", dtype, "[" + count + "]", 0, data.length) + "}").getBytes(StandardCharsets.UTF_8);
        return raw(h.length, h, data);
    }

    private static byte[] le(int width, long... values) {
        ByteBuffer b = ByteBuffer.allocate(width * values.length).order(ByteOrder.LITTLE_ENDIAN);
        for (long v : values) {
            switch (width) {
                case 1 -> b.put((byte) v);
                case 2 -> b.putShort((short) v);
                case 4 -> b.putInt((int) v);
                default -> b.putLong(v);
            }
        }
        return b.array();
    }

    private float[] read(String dtype, int width, long... values) throws IOException {
        try (SafetensorsFile f = SafetensorsFile.open(rawOne(dtype, values.length, le(width, values)))) {
            return f.readFloats("t");
        }
    }

    @Test
    void readsOtherDtypesAsFloat() throws IOException {
        assertThat(read("BOOL", 1, 0, 1, 2)).containsExactly(0, 1, 1);
        assertThat(read("U8", 1, 0, 255, 128)).containsExactly(0, 255, 128);
        assertThat(read("I8", 1, 0, -1, -128, 127)).containsExactly(0, -1, -128, 127);
        assertThat(read("I16", 2, -32768, 32767, 5)).containsExactly(-32768, 32767, 5);
        assertThat(read("U16", 2, 65535, 1)).containsExactly(65535, 1);
        assertThat(read("I32", 4, -7, 16_777_216, -16_777_216, 1 << 30)).containsExactly(-7, 16_777_216, -16_777_216, 0x1p30f);
        assertThat(read("U32", 4, 0xFFFF_FF00L, 3)).containsExactly(0xFFFF_FF00L, 3);
        assertThat(read("I64", 8, 50256, -1, 1L << 40, Long.MIN_VALUE)).containsExactly(50256, -1, 0x1p40f, -0x1p63f);
        assertThat(read("U64", 8, 1L << 63, 0xFFFF_FF00_0000_0000L)).containsExactly(0x1p63f, 0xFFFFFFp40f);
        assertThat(read("F64", 8, Double.doubleToLongBits(0.1), Double.doubleToLongBits(-1e300)))
                .containsExactly(0.1f, Float.NEGATIVE_INFINITY);
        assertThat(read("F8_E4M3", 1, 0x7E, 0x38, 0xB8)).containsExactly(448, 1, -1);
        assertThat(read("F8_E5M2", 1, 0x3C, 0x7C)).containsExactly(1, Float.POSITIVE_INFINITY);
        assertThat(read("F8_E8M0", 1, 127, 130)).containsExactly(1, 8);
        assertThat(read("F16", 2, 0x7BFF, 0x0001)).containsExactly(65504f, 0x1p-24f);
        assertThat(read("BF16", 2, 0x3F80, 0xC040)).containsExactly(1f, -3f);
    }

    @Test
    void decodeFloatsConvertsFromAnOffsetIntoAnIndex() {
        ByteBuffer b = ByteBuffer.allocate(3 + 2 * 8).order(ByteOrder.LITTLE_ENDIAN);
        b.position(3);
        b.putDouble(0.1).putDouble(-2.5);
        MemorySegment src = MemorySegment.ofArray(b.array());
        float[] dst = {9, 9, 9, 9};
        SafetensorsFile.decodeFloats(DType.F64, src, 3, dst, 1, 2);
        assertThat(dst).containsExactly(9, 0.1f, -2.5f, 9);
        ByteBuffer h = ByteBuffer.allocate(5).order(ByteOrder.LITTLE_ENDIAN);
        h.position(1);
        h.putShort((short) 0x3F80).putShort((short) 0xC040);
        SafetensorsFile.decodeFloats(DType.BF16, MemorySegment.ofArray(h.array()), 1, dst, 2, 2);
        assertThat(dst).containsExactly(9, 0.1f, 1f, -3f);
        assertThatThrownBy(() -> SafetensorsFile.decodeFloats(DType.I32, src, 0, dst, 0, 1))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("I32");
    }

    @Test
    void refusesIntegersFloat32CannotHoldAndNonRealTypes() throws IOException {
        assertThatThrownBy(() -> read("I32", 4, 1, 16_777_217))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("tensor \"t\": element 1 of I32 tensor is 16777217, which float32 cannot hold exactly")
                .hasMessageContaining(dir.toString());
        assertThatThrownBy(() -> read("I64", 8, Long.MAX_VALUE)).hasMessageContaining("9223372036854775807");
        assertThatThrownBy(() -> read("U64", 8, -1L)).hasMessageContaining("element 0 of U64 tensor is 18446744073709551615");
        assertThatThrownBy(() -> read("C64", 8, 0))
                .hasMessageContaining("tensor \"t\" has dtype C64, which cannot be read as float32");
        assertThatThrownBy(() -> read("F4", 1, 0x12)) // shape [1] of F4 is 4 bits: rejected at open
                .isInstanceOf(SafetensorsFormatException.class).hasMessageContaining("4 bits");
        Path f4 = rawOne("F4", 2, new byte[] {0x12});
        try (SafetensorsFile f = SafetensorsFile.open(f4)) {
            assertThat(f.info("t").byteLength()).isEqualTo(1);
            assertThat(f.segment("t").byteSize()).isEqualTo(1);
            assertThatThrownBy(() -> f.readFloats("t")).hasMessageContaining("dtype F4, which cannot be read as float32");
            assertThatThrownBy(() -> f.tensor("t")).hasMessageContaining("dtype F4");
        }
    }

    @Test
    void dtypeNamesAndSizes() {
        assertThat(DType.fromSafetensorsName("BF16")).isEqualTo(DType.BF16);
        assertThat(DType.F32.byteSize()).isEqualTo(4);
        assertThat(DType.F64.byteSize()).isEqualTo(8);
        assertThat(DType.F6_E2M3.bitSize()).isEqualTo(6);
        assertThatThrownBy(DType.F4::byteSize).isInstanceOf(UnsupportedOperationException.class);
        assertThat(DType.BF16.isFloatingPoint()).isTrue();
        assertThat(DType.I64.isFloatingPoint()).isFalse();
        assertThat(List.of(DType.values())).startsWith(DType.BOOL, DType.F4).endsWith(DType.F64, DType.I64, DType.U64);
    }
}
