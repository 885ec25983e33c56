package dev.lens4j.tensor.io;

import dev.lens4j.tensor.internal.EditDistance;
import dev.lens4j.tensor.internal.Json;
import dev.lens4j.tensor.Tensor;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A safetensors checkpoint, memory-mapped and validated when opened.
 *
 * <p>The format: an 8-byte little-endian unsigned header length {@code N}, {@code N} bytes of UTF-8 JSON
 * mapping each tensor name to {@code {"dtype", "shape", "data_offsets": [begin, end]}} (offsets relative
 * to the byte buffer that follows the header) plus an optional {@code "__metadata__"} map of strings,
 * then the byte buffer, little-endian and row-major. {@link #open} checks everything the reference
 * implementation checks: the header length is within the file and at most {@value #MAX_HEADER_BYTES}
 * bytes, the header is UTF-8 JSON without duplicate keys, every dtype is known, every shape is
 * non-negative, each tensor's byte span equals {@code numel * dtype size}, and the tensors tile the byte
 * buffer exactly: no overlap, no hole, nothing left over at the end. Anything else throws a
 * {@link SafetensorsFormatException} that names the file and the tensor.
 *
 * <p>The file is mapped once, read-only, into a shared {@link Arena} that this object owns, so tensors
 * can be read from several threads; {@link #close()} unmaps it, after which every segment handed out by
 * {@link #segment} (and every zero-copy tensor made from one) is invalid.
 *
 * <pre>{@code
 * try (SafetensorsFile f = SafetensorsFile.open(Path.of("model.safetensors"))) {
 *     TensorInfo wte = f.info("wte.weight");       // wte.weight F32[50257, 768] @...
 *     float[] w = f.readFloats("wte.weight");       // [d_vocab, d_model], row-major, converted copy
 *     Tensor wpe = f.tensor("wpe.weight");          // [n_ctx, d_model]; F32 is a zero-copy view of the mapping
 * }
 * }</pre>
 */
public final class SafetensorsFile implements AutoCloseable {

    /** The largest header the reference implementation accepts (100 MB). */
    public static final long MAX_HEADER_BYTES = 100_000_000L;

    /** The header key that holds free-form string metadata instead of a tensor. */
    public static final String METADATA_KEY = "__metadata__";

    private static final ValueLayout.OfLong LONG_LE = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfFloat FLOAT_LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfDouble DOUBLE_LE = ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt INT_LE = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** The largest Java array length that is safe on every JVM: the most elements one tensor can be read into. */
    public static final int MAX_ARRAY_LENGTH = Integer.MAX_VALUE - 8;

    private final Path path;
    private final Arena arena;            // null for in-memory data that this object does not own
    private final MemorySegment mapping;
    private final long dataStart;
    private final Map<String, TensorInfo> tensors;
    private final Map<String, String> metadata;
    private final AtomicBoolean closed = new AtomicBoolean();

    private SafetensorsFile(Path path, Arena arena, MemorySegment mapping, long dataStart,
                            Map<String, TensorInfo> tensors, Map<String, String> metadata) {
        this.path = path;
        this.arena = arena;
        this.mapping = mapping;
        this.dataStart = dataStart;
        this.tensors = tensors;
        this.metadata = metadata;
    }

    /**
     * Maps and validates a safetensors file.
     *
     * @param path the file
     * @return the open file; close it to unmap
     * @throws SafetensorsFormatException if the file breaks the format (the message names file and tensor)
     * @throws IOException naming the file if it cannot be read (a folder, a symbolic-link loop, ...)
     */
    public static SafetensorsFile open(Path path) throws IOException {
        FileErrors.requireNotDirectory(path, "a safetensors file");
        Arena arena = Arena.ofShared();
        try {
            MemorySegment mapping;
            // The mapping outlives the channel: closing the channel does not unmap.
            try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
                long size = ch.size();
                if (size < 8) {
                    throw new SafetensorsFormatException(path, null,
                            "file is " + size + " bytes, shorter than the 8-byte header length");
                }
                mapping = ch.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
            }
            return parse(path, arena, mapping);
        } catch (IOException e) {
            arena.close();
            throw FileErrors.naming(path, e);
        } catch (RuntimeException | Error e) {
            arena.close();
            throw e;
        }
    }

    /**
     * Validates a safetensors file that is already in memory, such as a class-path resource inside
     * a jar (which cannot be memory-mapped). The bytes are used in place, not copied; closing the
     * result does not free them.
     *
     * @param data the file's bytes (little-endian, as on disk)
     * @param name what the bytes are, for error messages (a resource or file name)
     * @return the parsed file
     * @throws SafetensorsFormatException if the bytes break the format (the message names {@code name} and the tensor)
     */
    public static SafetensorsFile of(MemorySegment data, Path name) throws SafetensorsFormatException {
        if (data.byteSize() < 8) {
            throw new SafetensorsFormatException(name, null,
                    "file is " + data.byteSize() + " bytes, shorter than the 8-byte header length");
        }
        return parse(name, null, data);
    }

    private static SafetensorsFile parse(Path path, Arena arena, MemorySegment mapping) throws SafetensorsFormatException {
        long size = mapping.byteSize();
        long n = mapping.get(LONG_LE, 0);
        if (n < 0 || n > MAX_HEADER_BYTES) {
            throw new SafetensorsFormatException(path, null, "header length " + Long.toUnsignedString(n)
                    + " is larger than the " + MAX_HEADER_BYTES + "-byte limit");
        }
        if (n > size - 8) {
            throw new SafetensorsFormatException(path, null, "header length " + n
                    + " runs past the end of the file (" + size + " bytes, so at most " + (size - 8) + ")");
        }
        String json = decodeUtf8(path, mapping.asSlice(8, n));
        Map<String, Object> header;
        try {
            header = Json.parseObject(json);
        } catch (IllegalArgumentException e) {
            throw new SafetensorsFormatException(path, null, "header is not a valid JSON object: " + e.getMessage(), e);
        }
        long dataStart = 8 + n;
        Map<String, String> metadata = new LinkedHashMap<>();
        Map<String, TensorInfo> tensors = parseHeader(path, header, dataStart, size - dataStart, metadata);
        return new SafetensorsFile(path, arena, mapping, dataStart,
                Collections.unmodifiableMap(tensors), Collections.unmodifiableMap(metadata));
    }

    private static String decodeUtf8(Path path, MemorySegment bytes) throws SafetensorsFormatException {
        ByteBuffer in = ByteBuffer.wrap(bytes.toArray(ValueLayout.JAVA_BYTE));
        CharBuffer out = CharBuffer.allocate(in.remaining()); // UTF-8 never decodes to more chars than bytes
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        CoderResult r = decoder.decode(in, out, true);
        if (!r.isError()) {
            r = decoder.flush(out);
        }
        if (r.isError()) {
            throw new SafetensorsFormatException(path, null, "header is not valid UTF-8 (bad byte sequence at byte "
                    + (8 + in.position()) + " of the file)");
        }
        return out.flip().toString();
    }

    /**
     * Validates the parsed header against the byte buffer and returns the tensors in header order.
     *
     * @param dataStart file offset of the byte buffer
     * @param dataLength length of the byte buffer (the rest of the file)
     * @param metadataOut receives the {@code __metadata__} map
     */
    private static Map<String, TensorInfo> parseHeader(Path path, Map<String, Object> header, long dataStart,
                                                       long dataLength, Map<String, String> metadataOut)
            throws SafetensorsFormatException {
        Map<String, TensorInfo> out = new LinkedHashMap<>();
        Map<String, long[]> offsets = new LinkedHashMap<>();
        for (Map.Entry<String, Object> e : header.entrySet()) {
            String name = e.getKey();
            if (name.equals(METADATA_KEY)) {
                parseMetadata(path, e.getValue(), metadataOut);
                continue;
            }
            if (!(e.getValue() instanceof Map<?, ?> entry)) {
                throw new SafetensorsFormatException(path, name,
                        "header entry is a JSON " + Json.typeName(e.getValue()) + ", expected an object");
            }
            // Unknown keys are ignored, as in the reference implementation.
            Object dtypeValue = require(path, name, entry, "dtype");
            if (!(dtypeValue instanceof String dtypeName)) {
                throw new SafetensorsFormatException(path, name, "dtype is a JSON " + Json.typeName(dtypeValue) + ", expected a string");
            }
            DType dtype;
            try {
                dtype = DType.fromSafetensorsName(dtypeName);
            } catch (IllegalArgumentException x) {
                throw new SafetensorsFormatException(path, name, x.getMessage());
            }
            int[] shape = parseShape(path, name, require(path, name, entry, "shape"));
            long[] span = parseOffsets(path, name, require(path, name, entry, "data_offsets"));
            long begin = span[0];
            long end = span[1];

            long bits;
            try {
                long numel = 1;
                for (int d : shape) {
                    numel = Math.multiplyExact(numel, d);
                }
                bits = Math.multiplyExact(numel, dtype.bitSize());
            } catch (ArithmeticException x) {
                throw new SafetensorsFormatException(path, name,
                        "shape " + Arrays.toString(shape) + " of " + dtype + " overflows a 64-bit byte count");
            }
            if (bits % 8 != 0) {
                throw new SafetensorsFormatException(path, name, "shape " + Arrays.toString(shape) + " of " + dtype
                        + " is " + bits + " bits, not a whole number of bytes");
            }
            if (end - begin != bits / 8) {
                throw new SafetensorsFormatException(path, name, "data_offsets [" + begin + ", " + end + "] span "
                        + (end - begin) + " bytes, but dtype " + dtype + " and shape " + Arrays.toString(shape)
                        + " need " + bits / 8);
            }
            if (end > dataLength) {
                throw new SafetensorsFormatException(path, name, "data_offsets [" + begin + ", " + end
                        + "] run past the end of the file (the byte buffer after the header is " + dataLength + " bytes)");
            }
            out.put(name, new TensorInfo(name, dtype, shape, dataStart + begin, end - begin));
            offsets.put(name, span);
        }
        checkTiling(path, offsets, dataLength);
        return out;
    }

    private static Object require(Path path, String name, Map<?, ?> entry, String key) throws SafetensorsFormatException {
        if (!entry.containsKey(key)) {
            throw new SafetensorsFormatException(path, name, "header entry has no \"" + key + "\"");
        }
        return entry.get(key);
    }

    private static void parseMetadata(Path path, Object value, Map<String, String> out) throws SafetensorsFormatException {
        if (value == null) {
            return; // the reference implementation reads null as "no metadata"
        }
        if (!(value instanceof Map<?, ?> m)) {
            throw new SafetensorsFormatException(path, null,
                    METADATA_KEY + " is a JSON " + Json.typeName(value) + ", expected an object of strings");
        }
        for (Map.Entry<?, ?> e : m.entrySet()) {
            if (!(e.getValue() instanceof String s)) {
                throw new SafetensorsFormatException(path, null, METADATA_KEY + " value for key \"" + e.getKey()
                        + "\" is a JSON " + Json.typeName(e.getValue()) + "; metadata values must be strings");
            }
            out.put((String) e.getKey(), s);
        }
    }

    private static int[] parseShape(Path path, String name, Object value) throws SafetensorsFormatException {
        if (!(value instanceof List<?> list)) {
            throw new SafetensorsFormatException(path, name, "shape is a JSON " + Json.typeName(value) + ", expected an array");
        }
        int[] shape = new int[list.size()];
        for (int k = 0; k < shape.length; k++) {
            Object d = list.get(k);
            if (!(d instanceof Long l)) {
                throw new SafetensorsFormatException(path, name, "shape " + list + " has a non-integer dimension " + d);
            }
            if (l < 0) {
                throw new SafetensorsFormatException(path, name, "shape " + list + " has a negative dimension");
            }
            if (l > Integer.MAX_VALUE) {
                throw new SafetensorsFormatException(path, name, "shape " + list + " has a dimension over 2^31-1");
            }
            shape[k] = (int) (long) l;
        }
        return shape;
    }

    private static long[] parseOffsets(Path path, String name, Object value) throws SafetensorsFormatException {
        if (!(value instanceof List<?> list) || list.size() != 2
                || !(list.get(0) instanceof Long begin) || !(list.get(1) instanceof Long end)) {
            throw new SafetensorsFormatException(path, name,
                    "data_offsets is " + Json.write(value) + ", expected [begin, end] as two integers");
        }
        if (begin < 0 || end < begin) {
            throw new SafetensorsFormatException(path, name,
                    "data_offsets [" + begin + ", " + end + "] must satisfy 0 <= begin <= end");
        }
        return new long[] {begin, end};
    }

    /** The spec: the byte buffer must be fully indexed, without holes (no polyglot files) or overlaps. */
    private static void checkTiling(Path path, Map<String, long[]> offsets, long dataLength) throws SafetensorsFormatException {
        List<Map.Entry<String, long[]>> sorted = new ArrayList<>(offsets.entrySet());
        sorted.sort(Comparator.<Map.Entry<String, long[]>>comparingLong(e -> e.getValue()[0])
                .thenComparingLong(e -> e.getValue()[1]));
        long expected = 0;
        String previous = null;
        for (Map.Entry<String, long[]> e : sorted) {
            long begin = e.getValue()[0];
            if (begin < expected) {
                throw new SafetensorsFormatException(path, e.getKey(), "data_offsets [" + begin + ", " + e.getValue()[1]
                        + "] overlap tensor \"" + previous + "\", which ends at " + expected);
            }
            if (begin > expected) {
                throw new SafetensorsFormatException(path, e.getKey(), "bytes [" + expected + ", " + begin
                        + ") of the byte buffer before this tensor" + (previous == null ? "" : " (after \"" + previous + "\")")
                        + " belong to no tensor; the format allows no holes");
            }
            expected = e.getValue()[1];
            previous = e.getKey();
        }
        if (expected != dataLength) {
            throw new SafetensorsFormatException(path, null, "the last " + (dataLength - expected)
                    + " bytes of the byte buffer" + (previous == null ? "" : " (after \"" + previous + "\")")
                    + " belong to no tensor; the format requires the buffer to be fully indexed");
        }
    }

    /**
     * The file this was opened from.
     *
     * @return the file this was opened from
     */
    public Path path() {
        return path;
    }

    /**
     * The tensor names.
     *
     * @return the tensor names, in the order of the header (unmodifiable)
     */
    public Set<String> names() {
        return tensors.keySet();
    }

    /**
     * Whether the file holds a tensor.
     *
     * @param name a tensor name
     * @return whether the file holds it
     */
    public boolean contains(String name) {
        return tensors.containsKey(name);
    }

    /**
     * Where a tensor lives and how to read it.
     *
     * @param name a tensor name
     * @return its dtype, shape and location
     * @throws NoSuchTensorException naming the tensor, the file and close names, if absent
     */
    public TensorInfo info(String name) {
        TensorInfo t = tensors.get(name);
        if (t == null) {
            throw new NoSuchTensorException(path, name, suggest(name));
        }
        return t;
    }

    /**
     * The free-form string metadata of the header.
     *
     * @return the {@code __metadata__} map in header order (unmodifiable; empty when absent)
     */
    public Map<String, String> metadata() {
        return metadata;
    }

    /**
     * The raw little-endian bytes of a tensor: a read-only slice of the mapping, no copy.
     * Valid until {@link #close()}.
     *
     * @param name a tensor name
     * @return its bytes, {@link TensorInfo#byteLength()} long
     * @throws NoSuchTensorException if absent
     * @throws IllegalStateException if this file is closed
     */
    public MemorySegment segment(String name) {
        TensorInfo t = info(name);
        ensureOpen();
        return mapping.asSlice(t.fileOffset(), t.byteLength());
    }

    /**
     * Reads a tensor as a new float32 array, row-major. Float types convert exactly (F64 rounds to
     * nearest); BOOL reads as 0/1; integer types convert when every value is exactly representable.
     *
     * @param name a tensor name
     * @return its values, shape {@link TensorInfo#shape()}
     * @throws NoSuchTensorException if absent
     * @throws IllegalArgumentException naming tensor and file, if the dtype cannot be read as float32
     *     (C64, F4, F6_*), an integer value is not exact in float32, or it has over 2^31-9 elements
     * @throws IllegalStateException if this file is closed
     */
    public float[] readFloats(String name) {
        TensorInfo t = info(name);
        if (!t.dtype().readableAsFloat()) {
            throw new IllegalArgumentException(path + ": tensor \"" + name + "\" has dtype " + t.dtype()
                    + ", which cannot be read as float32");
        }
        long numel = t.numel();
        if (numel > MAX_ARRAY_LENGTH) {
            throw new IllegalArgumentException(path + ": tensor \"" + name + "\" has " + numel
                    + " elements, more than a Java array holds; use segment(name)");
        }
        ensureOpen();
        int n = (int) numel;
        float[] out = new float[n];
        MemorySegment m = mapping;
        long off = t.fileOffset();
        switch (t.dtype()) {
            case F32, F16, BF16, F64 -> decodeFloats(t.dtype(), m, off, out, 0, n);
            case F8_E5M2 -> lookup(m, off, out, Float8.E5M2);
            case F8_E4M3 -> lookup(m, off, out, Float8.E4M3);
            case F8_E8M0 -> lookup(m, off, out, Float8.E8M0);
            case BOOL -> {
                for (int k = 0; k < n; k++) {
                    out[k] = m.get(ValueLayout.JAVA_BYTE, off + k) != 0 ? 1f : 0f;
                }
            }
            case U8 -> {
                for (int k = 0; k < n; k++) {
                    out[k] = m.get(ValueLayout.JAVA_BYTE, off + k) & 0xff;
                }
            }
            case I8 -> {
                for (int k = 0; k < n; k++) {
                    out[k] = m.get(ValueLayout.JAVA_BYTE, off + k);
                }
            }
            case I16 -> {
                for (int k = 0; k < n; k++) {
                    out[k] = m.get(Float16.SHORT_LE, off + 2L * k);
                }
            }
            case U16 -> {
                for (int k = 0; k < n; k++) {
                    out[k] = m.get(Float16.SHORT_LE, off + 2L * k) & 0xffff;
                }
            }
            case I32 -> {
                for (int k = 0; k < n; k++) {
                    out[k] = exact(t, k, m.get(INT_LE, off + 4L * k), false);
                }
            }
            case U32 -> {
                for (int k = 0; k < n; k++) {
                    out[k] = exact(t, k, m.get(INT_LE, off + 4L * k) & 0xffff_ffffL, false);
                }
            }
            case I64 -> {
                for (int k = 0; k < n; k++) {
                    out[k] = exact(t, k, m.get(LONG_LE, off + 8L * k), false);
                }
            }
            case U64 -> {
                for (int k = 0; k < n; k++) {
                    out[k] = exact(t, k, m.get(LONG_LE, off + 8L * k), true);
                }
            }
            default -> throw new AssertionError(t.dtype()); // excluded by readableAsFloat()
        }
        return out;
    }

    /**
     * A tensor of the file as a {@link Tensor}. F32 tensors are wrapped <b>without copying</b>: the
     * result reads the mapped file directly (read-only, so writes to it throw) and is valid only while
     * this file is open; call {@link Tensor#copy()} to keep one past {@link #close()}. Every other
     * readable dtype (F16, BF16, ...) is converted into a new heap tensor, as by {@link #readFloats}.
     *
     * @param name a tensor name
     * @return the tensor, shape {@link TensorInfo#shape()}
     * @throws NoSuchTensorException if absent
     * @throws IllegalArgumentException as {@link #readFloats}
     * @throws IllegalStateException if this file is closed
     */
    public Tensor tensor(String name) {
        TensorInfo t = info(name);
        if (t.dtype() == DType.F32) {
            return Tensor.wrap(segment(name), t.shape());
        }
        return Tensor.of(readFloats(name), t.shape());
    }

    /**
     * Converts little-endian elements of a float dtype to float32: F32 is copied, F16 and BF16 convert
     * exactly, F64 rounds to nearest. The one decoding of these dtypes, shared by {@link #readFloats}
     * and by readers that fetch a tensor's bytes in chunks.
     *
     * @param dtype the elements' dtype: {@link DType#F32}, {@link DType#F16}, {@link DType#BF16} or
     *     {@link DType#F64}
     * @param src the bytes
     * @param srcOffset the byte offset of the first element in {@code src}
     * @param dst the array to write
     * @param dstIndex where in {@code dst} the first element goes
     * @param count the number of elements
     * @throws IllegalArgumentException if {@code dtype} is not one of those four
     * @throws IndexOutOfBoundsException if {@code src} or {@code dst} is too short
     */
    public static void decodeFloats(DType dtype, MemorySegment src, long srcOffset, float[] dst, int dstIndex, int count) {
        switch (dtype) {
            case F32 -> MemorySegment.copy(src, FLOAT_LE, srcOffset, dst, dstIndex, count);
            case F16 -> Float16.f16ToF32(src, srcOffset, dst, dstIndex, count);
            case BF16 -> Float16.bf16ToF32(src, srcOffset, dst, dstIndex, count);
            case F64 -> {
                for (int k = 0; k < count; k++) {
                    dst[dstIndex + k] = (float) src.get(DOUBLE_LE, srcOffset + 8L * k);
                }
            }
            default -> throw new IllegalArgumentException("dtype " + dtype + " is not F32, F16, BF16 or F64");
        }
    }

    private static void lookup(MemorySegment m, long off, float[] out, float[] table) {
        for (int k = 0; k < out.length; k++) {
            out[k] = table[m.get(ValueLayout.JAVA_BYTE, off + k) & 0xff];
        }
    }

    /**
     * @param v an integer element, read as signed, or as unsigned when {@code unsigned}
     * @return v as a float32, when that is exact
     */
    private float exact(TensorInfo t, int index, long v, boolean unsigned) {
        boolean negative = !unsigned && v < 0;
        long magnitude = negative ? -v : v; // Long.MIN_VALUE stays 2^63 when read as unsigned, which is right
        int span = magnitude == 0 ? 0
                : 64 - Long.numberOfLeadingZeros(magnitude) - Long.numberOfTrailingZeros(magnitude);
        if (span > 24) {
            throw new IllegalArgumentException(path + ": tensor \"" + t.name() + "\": element " + index + " of "
                    + t.dtype() + " tensor is " + (unsigned ? Long.toUnsignedString(v) : Long.toString(v))
                    + ", which float32 cannot hold exactly");
        }
        // At most 24 significant bits: shifting out one (zero) bit keeps the value exact.
        float f = magnitude >= 0 ? (float) magnitude : 2f * (magnitude >>> 1);
        return negative ? -f : f;
    }

    private List<String> suggest(String missing) {
        record Scored(String name, int score) {}
        List<Scored> close = new ArrayList<>();
        int limit = Math.max(2, missing.length() / 4);
        for (String n : tensors.keySet()) {
            if (n.endsWith("." + missing) || missing.endsWith("." + n)) {
                close.add(new Scored(n, 0)); // a prefix such as "transformer." or "model." added or dropped
                continue;
            }
            int d = EditDistance.atMost(missing, n, limit);
            if (d <= limit) {
                close.add(new Scored(n, d));
            }
        }
        close.sort(Comparator.comparingInt(Scored::score).thenComparing(Scored::name));
        return close.stream().limit(3).map(Scored::name).toList();
    }

    private void ensureOpen() {
        if (closed.get()) {
            throw new IllegalStateException(path + " is closed");
        }
    }

    /** The whole mapped file, for tests that check zero-copy slicing. */
    MemorySegment mapping() {
        return mapping;
    }

    /** File offset of the byte buffer ({@code 8 + N}). */
    long dataStart() {
        return dataStart;
    }

    /**
     * Unmaps the file. Segments and zero-copy tensors obtained from it become invalid: using one
     * afterwards throws {@link IllegalStateException}. Closing twice does nothing.
     */
    @Override
    public void close() {
        if (closed.compareAndSet(false, true) && arena != null) {
            arena.close();
        }
    }

    @Override
    public String toString() {
        return "SafetensorsFile[" + path + ", " + tensors.size() + " tensors]";
    }
}
