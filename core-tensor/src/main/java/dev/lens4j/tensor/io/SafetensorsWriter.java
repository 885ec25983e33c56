package dev.lens4j.tensor.io;

import dev.lens4j.tensor.internal.Json;
import dev.lens4j.tensor.Tensor;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.CharBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Collects tensors and writes them as one safetensors file that Python's {@code safetensors} (and
 * {@link SafetensorsFile}) reads.
 *
 * <p>The layout is the reference implementation's, byte for byte: tensors sorted by decreasing dtype
 * alignment, then by name (UTF-8 byte order); the header is compact JSON with {@code "__metadata__"}
 * first, each tensor's keys in the order {@code dtype, shape, data_offsets}, and space padding up to a
 * multiple of 8 bytes so that the byte buffer starts 8-byte aligned. Float data is converted on the fly
 * to F32, F16 or BF16 (round to nearest even). The file is written atomically: a temporary file in the
 * same folder, renamed over the target once complete.
 *
 * <pre>{@code
 * new SafetensorsWriter()
 *         .metadata("format", "pt")
 *         .add("W_E", DType.BF16, wE, 50257, 768)   // float[] [d_vocab, d_model]
 *         .add("b_U", DType.F32, bU, 50257)          // float[] [d_vocab]
 *         .write(Path.of("model.safetensors"));
 * }</pre>
 *
 * <p>Arrays and segments are kept by reference until {@link #write}: do not modify them in between.
 */
public final class SafetensorsWriter {

    /** Bytes staged per write call. */
    private static final int CHUNK_BYTES = 1 << 20;

    /** One tensor to write: exactly one of {@code floats}, {@code tensor} and {@code raw} is non-null. */
    private record Entry(String name, DType dtype, int[] shape, long byteLength, float[] floats, Tensor tensor,
                         MemorySegment raw) {}

    private final Map<String, Entry> entries = new LinkedHashMap<>();
    private final Map<String, String> metadata = new LinkedHashMap<>();

    /** Creates an empty writer. */
    public SafetensorsWriter() {}

    /**
     * Writes a map of tensors, all stored as {@code dtype}, in one call.
     *
     * @param path the target; replaced atomically if it exists
     * @param tensors name to tensor (each keeps its own shape)
     * @param dtype {@link DType#F32}, {@link DType#F16} or {@link DType#BF16}
     * @param metadata the {@code __metadata__} strings (may be empty)
     * @throws IllegalArgumentException as {@link #add(String, DType, Tensor)}
     * @throws IOException if writing fails; the target is then left as it was
     */
    public static void write(Path path, Map<String, Tensor> tensors, DType dtype, Map<String, String> metadata)
            throws IOException {
        SafetensorsWriter w = new SafetensorsWriter();
        tensors.forEach((name, t) -> w.add(name, dtype, t));
        metadata.forEach(w::metadata);
        w.write(path);
    }

    /**
     * Adds a float tensor, stored as {@code dtype}.
     *
     * @param name the tensor's name; must be new and not {@code "__metadata__"}
     * @param dtype {@link DType#F32}, {@link DType#F16} or {@link DType#BF16}
     * @param data the values, row-major, {@code numel(shape)} of them
     * @param shape the shape ({@code []} for a scalar)
     * @return this writer
     * @throws IllegalArgumentException if the name is taken or reserved, the dtype is not a supported
     *     float type, a dimension is negative, or {@code data.length} does not match the shape
     */
    public SafetensorsWriter add(String name, DType dtype, float[] data, int... shape) {
        checkFloatDType(name, dtype);
        long numel = checkNameAndShape(name, shape);
        if (numel != data.length) {
            throw new IllegalArgumentException("tensor \"" + name + "\": shape " + Arrays.toString(shape) + " has "
                    + numel + " elements but the data has " + data.length);
        }
        entries.put(name, new Entry(name, dtype, shape.clone(), numel * dtype.byteSize(), data, null, null));
        return this;
    }

    /**
     * Adds a {@link Tensor} (any layout: views are written in row-major order of their shape), stored
     * as {@code dtype}. Its elements are read when {@link #write} runs, one tensor at a time.
     *
     * @param name the tensor's name; must be new and not {@code "__metadata__"}
     * @param dtype {@link DType#F32}, {@link DType#F16} or {@link DType#BF16}
     * @param tensor the tensor; its shape is the stored shape
     * @return this writer
     * @throws IllegalArgumentException if the name is taken or reserved or the dtype is not a supported float type
     */
    public SafetensorsWriter add(String name, DType dtype, Tensor tensor) {
        checkFloatDType(name, dtype);
        int[] shape = tensor.shape();
        long numel = checkNameAndShape(name, shape);
        entries.put(name, new Entry(name, dtype, shape, numel * dtype.byteSize(), null, tensor, null));
        return this;
    }

    /**
     * Adds a tensor of any dtype from bytes already in the file format (little-endian, row-major), for
     * instance a {@link SafetensorsFile#segment} copied from another file.
     *
     * @param name the tensor's name; must be new and not {@code "__metadata__"}
     * @param dtype its element type
     * @param bytes its bytes, exactly {@code numel(shape) * dtype bits / 8} of them
     * @param shape the shape
     * @return this writer
     * @throws IllegalArgumentException if the name is taken or reserved, a dimension is negative, or the
     *     byte count does not match dtype and shape
     */
    public SafetensorsWriter addRaw(String name, DType dtype, MemorySegment bytes, int... shape) {
        long numel = checkNameAndShape(name, shape);
        long bits = Math.multiplyExact(numel, dtype.bitSize());
        if (bits % 8 != 0 || bits / 8 != bytes.byteSize()) {
            throw new IllegalArgumentException("tensor \"" + name + "\": " + dtype + " of shape " + Arrays.toString(shape)
                    + " needs " + bits + " bits but " + bytes.byteSize() + " bytes were given");
        }
        entries.put(name, new Entry(name, dtype, shape.clone(), bits / 8, null, null, bytes));
        return this;
    }

    /**
     * Adds (or replaces) one {@code __metadata__} entry; the Python library reads the whole map as
     * {@code dict[str, str]}, and PyTorch users conventionally set {@code "format": "pt"}.
     *
     * @param key the key
     * @param value the value
     * @return this writer
     */
    public SafetensorsWriter metadata(String key, String value) {
        metadata.put(checkUtf8(key, "metadata key"), checkUtf8(value, "metadata value"));
        return this;
    }

    private static void checkFloatDType(String name, DType dtype) {
        if (dtype != DType.F32 && dtype != DType.F16 && dtype != DType.BF16) {
            throw new IllegalArgumentException("tensor \"" + name + "\": cannot write float data as " + dtype
                    + "; use F32, F16 or BF16 (or addRaw for bytes already encoded)");
        }
    }

    private long checkNameAndShape(String name, int[] shape) {
        checkUtf8(name, "tensor name");
        if (name.equals(SafetensorsFile.METADATA_KEY)) {
            throw new IllegalArgumentException("\"" + SafetensorsFile.METADATA_KEY + "\" is reserved for metadata, not a tensor name");
        }
        if (entries.containsKey(name)) {
            throw new IllegalArgumentException("tensor \"" + name + "\" was already added");
        }
        long numel = 1;
        for (int d : shape) {
            if (d < 0) {
                throw new IllegalArgumentException("tensor \"" + name + "\": shape " + Arrays.toString(shape)
                        + " has a negative dimension");
            }
            numel = Math.multiplyExact(numel, d);
        }
        return numel;
    }

    /** Rejects strings Python could not have written: unpaired UTF-16 surrogates have no UTF-8 form. */
    private static String checkUtf8(String s, String what) {
        try {
            StandardCharsets.UTF_8.newEncoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).encode(CharBuffer.wrap(s));
        } catch (CharacterCodingException e) {
            throw new IllegalArgumentException(what + " \"" + s + "\" contains an unpaired surrogate and has no UTF-8 form");
        }
        return s;
    }

    /** The reference implementation's order: larger dtypes first, then names in UTF-8 byte order. */
    private List<Entry> sortedEntries() {
        List<Entry> sorted = new ArrayList<>(entries.values());
        sorted.sort(Comparator.comparing(Entry::dtype, Comparator.reverseOrder())
                .thenComparing(Entry::name, SafetensorsWriter::compareCodePoints));
        return sorted;
    }

    /** Code point order equals UTF-8 byte order (String.compareTo compares UTF-16 units, which differs). */
    static int compareCodePoints(String a, String b) {
        int i = 0;
        int j = 0;
        while (i < a.length() && j < b.length()) {
            int ca = a.codePointAt(i);
            int cb = b.codePointAt(j);
            if (ca != cb) {
                return Integer.compare(ca, cb);
            }
            i += Character.charCount(ca);
            j += Character.charCount(cb);
        }
        return Boolean.compare(i < a.length(), j < b.length());
    }

    /**
     * The bytes before the byte buffer: the 8-byte little-endian header length, then the padded JSON.
     *
     * @return the file's first {@code 8 + N} bytes
     */
    byte[] headerBytes() {
        Map<String, Object> header = new LinkedHashMap<>();
        if (!metadata.isEmpty()) {
            header.put(SafetensorsFile.METADATA_KEY, metadata);
        }
        long offset = 0;
        for (Entry e : sortedEntries()) {
            Map<String, Object> info = new LinkedHashMap<>();
            info.put("dtype", e.dtype().name());
            info.put("shape", e.shape());
            info.put("data_offsets", List.of(offset, offset + e.byteLength()));
            header.put(e.name(), info);
            offset += e.byteLength();
        }
        byte[] json = Json.write(header).getBytes(StandardCharsets.UTF_8);
        int padded = (json.length + 7) & ~7;
        if (padded > SafetensorsFile.MAX_HEADER_BYTES) {
            throw new IllegalArgumentException("safetensors header would be " + padded + " bytes, over the "
                    + SafetensorsFile.MAX_HEADER_BYTES + "-byte limit readers enforce");
        }
        ByteBuffer out = ByteBuffer.allocate(8 + padded).order(ByteOrder.LITTLE_ENDIAN);
        out.putLong(padded).put(json);
        while (out.hasRemaining()) {
            out.put((byte) ' ');
        }
        return out.array();
    }

    /**
     * Writes the file atomically (temporary file in the same folder, then a rename over {@code path}).
     *
     * @param path the target; replaced if it exists
     * @throws IOException if writing fails; the target is then left as it was
     */
    public void write(Path path) throws IOException {
        byte[] header = headerBytes();
        List<Entry> sorted = sortedEntries();
        AtomicWrite.write(path, ch -> {
            AtomicWrite.writeFully(ch, ByteBuffer.wrap(header));
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment stage = arena.allocate(CHUNK_BYTES, 8);
                for (Entry e : sorted) {
                    writeData(ch, e, stage);
                }
            }
        });
    }

    private static void writeData(FileChannel ch, Entry e, MemorySegment stage) throws IOException {
        if (e.raw() != null) {
            for (long done = 0; done < e.byteLength(); ) {
                long n = Math.min(stage.byteSize(), e.byteLength() - done);
                MemorySegment.copy(e.raw(), done, stage, 0, n);
                AtomicWrite.writeFully(ch, stage.asSlice(0, n).asByteBuffer());
                done += n;
            }
            return;
        }
        int size = e.dtype().byteSize();
        int perChunk = (int) (stage.byteSize() / size);
        float[] src = e.floats() != null ? e.floats() : e.tensor().toArray();
        for (int done = 0; done < src.length; ) {
            int n = Math.min(perChunk, src.length - done);
            switch (e.dtype()) {
                case F32 -> MemorySegment.copy(src, done, stage, SafetensorsFile.FLOAT_LE, 0, n);
                case F16 -> Float16.f32ToF16(src, done, stage, 0, n);
                case BF16 -> Float16.f32ToBf16(src, done, stage, 0, n);
                default -> throw new AssertionError(e.dtype()); // rejected by add()
            }
            AtomicWrite.writeFully(ch, stage.asSlice(0, (long) n * size).asByteBuffer());
            done += n;
        }
    }
}
