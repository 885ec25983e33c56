package dev.lens4j.tensor.io;

import dev.lens4j.tensor.internal.Json;
import dev.lens4j.tensor.fuzz.Fuzz;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Mutated safetensors files are read, or refused with a {@link SafetensorsFormatException} naming the
 * file; reading a tensor of a file that opened gives its values or an {@link IllegalArgumentException}
 * naming the file (a dtype float32 cannot hold, an integer it cannot hold exactly). Nothing else: no
 * {@code NullPointerException}, {@code IndexOutOfBoundsException}, {@code ArithmeticException},
 * {@code OutOfMemoryError}. One case in 25 goes through a real file ({@link SafetensorsFile#open}), the
 * rest through the same parser in memory ({@link SafetensorsFile#of}).
 */
class SafetensorsFuzzTest {

    /** Cases in CI: a few seconds (each case is parsed in memory; the test output gives the time). */
    static final int CASES = Fuzz.cases(20_000);

    private static final String[] DTYPE_NAMES = {"F32", "F16", "BF16", "F64", "I64", "I32", "I16", "I8", "U8", "U16", "U32",
            "U64", "BOOL", "F8_E4M3", "F8_E5M2", "F8_E8M0", "F4", "F6_E2M3", "F6_E3M2", "C64", "f32", "", "F128"};

    @TempDir
    Path dir;

    /** Valid files that cover every dtype, scalar and empty shapes, metadata, and a file of no tensors. */
    private List<byte[]> seeds() throws IOException {
        List<SafetensorsWriter> ws = new ArrayList<>();
        ws.add(new SafetensorsWriter().metadata("format", "pt")
                .add("a", DType.F32, new float[] {1, 2, 3, 4, 5, 6}, 2, 3)
                .add("b", DType.F16, new float[] {0.5f, -1, 65504, 0}, 4)
                .add("c", DType.BF16, new float[] {3f}));
        ws.add(new SafetensorsWriter()
                .addRaw("x", DType.I64, le(8, 1, -2, 1L << 40), 3)
                .addRaw("y", DType.U8, MemorySegment.ofArray(new byte[0]), 0)
                .addRaw("z", DType.BOOL, MemorySegment.ofArray(new byte[] {0, 1, 2, 0}), 2, 2)
                .addRaw("w", DType.F64, le(8, Double.doubleToLongBits(1e300), Double.doubleToLongBits(-0.25)), 1, 1, 2)
                .addRaw("v", DType.I32, le(4, 7, 1 << 25 | 1), 2));
        float[] big = new float[256];
        for (int i = 0; i < big.length; i++) {
            big[i] = i * 0.25f - 3;
        }
        ws.add(new SafetensorsWriter().metadata("k", "v").metadata("other", "é").add("big", DType.F32, big, 16, 16));
        ws.add(new SafetensorsWriter()
                .addRaw("e", DType.F8_E4M3, MemorySegment.ofArray(new byte[] {0, 0x38, (byte) 0xff, 0x7e, 1}), 5)
                .addRaw("i", DType.I8, MemorySegment.ofArray(new byte[0]), 3, 0, 2)
                .addRaw("u", DType.U16, le(2, 65535, 1), 2)
                .addRaw("t", DType.U64, le(8, -1L), 1)
                .addRaw("s", DType.I16, le(2, -32768, 5, 0), 3)
                .addRaw("m", DType.F4, MemorySegment.ofArray(new byte[] {0x12, 0x34}), 4)
                .addRaw("q", DType.C64, le(4, 0, 0), 1));
        ws.add(new SafetensorsWriter());
        List<byte[]> out = new ArrayList<>();
        for (int k = 0; k < ws.size(); k++) {
            Path p = dir.resolve("seed" + k + ".safetensors");
            ws.get(k).write(p);
            out.add(Files.readAllBytes(p));
        }
        return out;
    }

    /** Little-endian integers of {@code width} bytes. */
    private static MemorySegment le(int width, long... values) {
        ByteBuffer b = ByteBuffer.allocate(width * values.length).order(ByteOrder.LITTLE_ENDIAN);
        for (long v : values) {
            switch (width) {
                case 2 -> b.putShort((short) v);
                case 4 -> b.putInt((int) v);
                default -> b.putLong(v);
            }
        }
        return MemorySegment.ofArray(b.array());
    }

    @Test
    void everyMutatedFileIsReadOrRefusedNamingTheFile() throws IOException {
        List<byte[]> seeds = seeds();
        Path file = dir.resolve("case.safetensors");
        Map<String, Integer> outcomes = Fuzz.run("safetensors", CASES, (r, input) -> {
            byte[] bytes = mutate(Fuzz.pick(r, seeds), r, input);
            input.bytes(bytes);
            if (r.nextInt(25) == 0) {
                Files.write(file, bytes);
                try (SafetensorsFile f = openOrNull(file, () -> SafetensorsFile.open(file))) {
                    return f == null ? lastRefusal : readAll(f, file);
                }
            }
            try (SafetensorsFile f = openOrNull(file, () -> SafetensorsFile.of(MemorySegment.ofArray(bytes), file))) {
                return f == null ? lastRefusal : readAll(f, file);
            }
        });
        // the mutations get past the first checks: valid files, and refusals of many kinds
        assertThat(outcomes.getOrDefault("ok", 0)).as("cases that opened").isGreaterThan(CASES / 50);
        assertThat(outcomes.keySet().stream().filter(k -> k.startsWith("SafetensorsFormatException")).count())
                .as("distinct refusals").isGreaterThanOrEqualTo(Math.min(25, CASES / 200));
        assertThat(outcomes.keySet()).as("a tensor read refused").anyMatch(k -> k.startsWith("read IllegalArgumentException"));
    }


    private String lastRefusal;

    @FunctionalInterface
    private interface Opener {
        SafetensorsFile open() throws IOException;
    }

    /** Opens, or records the refusal (which must name the file) and returns null. */
    private SafetensorsFile openOrNull(Path file, Opener opener) throws IOException {
        try {
            return opener.open();
        } catch (SafetensorsFormatException e) {
            assertThat(e.getMessage()).startsWith(file + ": ");
            assertThat(e.file()).isEqualTo(file);
            lastRefusal = Fuzz.kind(file.toString(), e);
            return null;
        }
    }

    /** Reads every tensor every way; a refusal must be an IllegalArgumentException naming the file. */
    private static String readAll(SafetensorsFile f, Path file) {
        String outcome = "ok";
        for (String name : f.names()) {
            TensorInfo t = f.info(name);
            assertThat(f.segment(name).byteSize()).isEqualTo(t.byteLength());
            try {
                float[] v = f.readFloats(name);
                assertThat((long) v.length).isEqualTo(t.numel());
                assertThat(f.tensor(name).size()).isEqualTo(v.length);
            } catch (IllegalArgumentException e) {
                assertThat(e.getMessage()).startsWith(file + ": tensor \"" + name + "\"");
                outcome = "read " + Fuzz.kind(file.toString(), e);
            }
        }
        return outcome;
    }

    // ------------------------------------------------------------------ mutations

    /** Mutates the header as JSON (most cases), its length, its text, or the bytes; sometimes several of these. */
    static byte[] mutate(byte[] seed, SplittableRandom r, Fuzz.Input input) {
        ByteBuffer b = ByteBuffer.wrap(seed).order(ByteOrder.LITTLE_ENDIAN);
        int n = (int) b.getLong(0);
        String json = new String(seed, 8, n, StandardCharsets.UTF_8);
        byte[] data = java.util.Arrays.copyOfRange(seed, 8 + n, seed.length);
        int choice = r.nextInt(10);
        if (choice < 6) {
            @SuppressWarnings("unchecked")
            Map<String, Object> header = (Map<String, Object>) Json.parse(json);
            int steps = 1 + r.nextInt(3);
            for (int k = 0; k < steps; k++) {
                data = mutateHeader(header, data, r, input);
            }
            json = Json.write(header);
            if (r.nextInt(20) == 0) {
                json = duplicateAKey(json, r, input);
            }
        } else if (choice == 6) {
            json = r.nextBoolean() ? "[".repeat(600) + "]".repeat(600) : "{\"a\":".repeat(600) + "1" + "}".repeat(600);
            input.step("nest 600 deep");
        }
        byte[] text = json.getBytes(StandardCharsets.UTF_8);
        int padded = r.nextInt(8) == 0 ? text.length : (text.length + 7) / 8 * 8;
        long length = padded;
        if (choice == 7) {
            length = Fuzz.nudge(padded, r);
            input.step("header length " + padded + " -> " + length);
        }
        ByteBuffer out = ByteBuffer.allocate(8 + padded + data.length).order(ByteOrder.LITTLE_ENDIAN);
        out.putLong(length).put(text);
        while (out.position() < 8 + padded) {
            out.put((byte) ' ');
        }
        out.put(data);
        byte[] file = out.array();
        if (choice == 8) {
            file = Fuzz.mutateBytes(file, 8, 8 + padded, r, input); // inside the header text
        } else if (choice == 9 || r.nextInt(10) == 0) {
            file = Fuzz.mutateBytes(file, r, input);
        }
        return file;
    }

    /** One change to the parsed header; returns the (possibly extended) byte buffer. */
    @SuppressWarnings("unchecked")
    private static byte[] mutateHeader(Map<String, Object> header, byte[] data, SplittableRandom r, Fuzz.Input input) {
        List<String> names = new ArrayList<>(header.keySet());
        names.remove(SafetensorsFile.METADATA_KEY);
        int op = r.nextInt(names.isEmpty() ? 3 : 12);
        if (op == 0) {
            // a new tensor appended to the buffer, exactly sized: a valid file with one more dtype to read
            String dtype = Fuzz.pick(r, DTYPE_NAMES);
            int bits = dtype.equals("") || dtype.equals("f32") || dtype.equals("F128") ? 32 : DType.fromSafetensorsName(dtype).bitSize();
            int count = r.nextInt(6) * (bits == 4 ? 2 : bits == 6 ? 4 : 1); // whole bytes
            long bytes = (long) count * bits / 8;
            Map<String, Object> e = new LinkedHashMap<>();
            e.put("dtype", dtype);
            e.put("shape", List.of((long) count));
            e.put("data_offsets", List.of((long) data.length, data.length + bytes));
            String name = "new" + r.nextInt(3);
            header.put(name, e);
            byte[] more = new byte[(int) bytes];
            r.nextBytes(more);
            input.step("append tensor " + name + " " + dtype + "[" + count + "]");
            byte[] out = java.util.Arrays.copyOf(data, data.length + more.length);
            System.arraycopy(more, 0, out, data.length, more.length);
            return out;
        }
        if (op == 1) {
            Map<String, Object> strings = new LinkedHashMap<>();
            strings.put("k", Fuzz.jsonValue(r));
            Object m = r.nextBoolean() ? Fuzz.jsonValue(r) : strings;
            header.put(SafetensorsFile.METADATA_KEY, m);
            input.step("__metadata__ = " + Json.write(m));
            return data;
        }
        if (op == 2) {
            int cut = r.nextInt(data.length + 1);
            input.step("buffer cut from " + data.length + " to " + cut + " bytes");
            return java.util.Arrays.copyOf(data, r.nextBoolean() ? cut : data.length + 1 + r.nextInt(16));
        }
        String name = Fuzz.pick(r, names);
        Object v = header.get(name);
        if (!(v instanceof Map<?, ?>)) {
            header.put(name, Fuzz.jsonValue(r));
            return data;
        }
        Map<String, Object> e = (Map<String, Object>) v;
        switch (op) {
            case 3 -> {
                Object d = r.nextInt(4) == 0 ? Fuzz.jsonValue(r) : Fuzz.pick(r, DTYPE_NAMES);
                e.put("dtype", d);
                input.step(name + ".dtype = " + Json.write(d));
            }
            case 4 -> {
                List<Object> shape = e.get("shape") instanceof List<?> l ? new ArrayList<>(l) : new ArrayList<>();
                switch (r.nextInt(5)) {
                    case 0 -> {
                        if (!shape.isEmpty()) {
                            int at = r.nextInt(shape.size());
                            shape.set(at, shape.get(at) instanceof Long d ? Fuzz.nudge(d, r) : Fuzz.interestingLong(r));
                        }
                    }
                    case 1 -> shape.add(r.nextBoolean() ? 1L : Fuzz.interestingLong(r));
                    case 2 -> {
                        if (!shape.isEmpty()) {
                            shape.removeLast();
                        }
                    }
                    case 3 -> shape.add(0, Fuzz.jsonValue(r));
                    default -> shape = null;
                }
                Object s = shape == null ? Fuzz.jsonValue(r) : shape;
                e.put("shape", s);
                input.step(name + ".shape = " + Json.write(s));
            }
            case 5 -> {
                List<Object> off = e.get("data_offsets") instanceof List<?> l ? new ArrayList<>(l) : new ArrayList<>();
                if (!off.isEmpty() && r.nextInt(4) > 0) {
                    int at = r.nextInt(off.size());
                    off.set(at, off.get(at) instanceof Long d ? Fuzz.nudge(d, r) : Fuzz.interestingLong(r));
                } else if (r.nextBoolean()) {
                    off.add(Fuzz.interestingLong(r));
                } else if (!off.isEmpty()) {
                    off.removeFirst();
                }
                e.put("data_offsets", off);
                input.step(name + ".data_offsets = " + Json.write(off));
            }
            case 6 -> {
                String other = Fuzz.pick(r, names);
                if (header.get(other) instanceof Map<?, ?> o) {
                    Object a = e.get("data_offsets");
                    e.put("data_offsets", o.get("data_offsets"));
                    ((Map<String, Object>) o).put("data_offsets", a);
                    input.step("swap data_offsets of " + name + " and " + other);
                }
            }
            case 7 -> {
                String key = Fuzz.pick(r, "dtype", "shape", "data_offsets");
                e.remove(key);
                input.step("remove " + name + "." + key);
            }
            case 8 -> {
                e.put(Fuzz.pick(r, "extra", "DTYPE", "offsets"), Fuzz.jsonValue(r));
                input.step("extra key in " + name);
            }
            case 9 -> {
                String to = Fuzz.pick(r, "", SafetensorsFile.METADATA_KEY, "é\u0000", names.getFirst(), "a.b");
                header.remove(name);
                header.put(to, e);
                input.step("rename " + name + " to " + Json.write(to));
            }
            case 10 -> {
                header.remove(name);
                input.step("remove tensor " + name);
            }
            default -> {
                Object x = Fuzz.jsonValue(r);
                header.put(name, x);
                input.step(name + " = " + Json.write(x));
            }
        }
        return data;
    }

    /** Repeats the first tensor entry of the JSON text under the same name, which the format forbids. */
    private static String duplicateAKey(String json, SplittableRandom r, Fuzz.Input input) {
        int close = json.indexOf('}');
        if (close < 0 || !json.startsWith("{\"")) {
            return json;
        }
        String first = json.substring(1, close + 1);
        input.step("duplicate the first key");
        return "{" + first + "," + json.substring(1);
    }
}
