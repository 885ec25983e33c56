package dev.lens4j.transformer.loading;

import dev.lens4j.tensor.Tensor;
import dev.lens4j.tensor.io.DType;
import dev.lens4j.tensor.io.Float16;
import dev.lens4j.tensor.io.Json;
import dev.lens4j.tensor.io.SafetensorsFile;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A safetensors file already in memory, such as a class-path resource inside a jar (which cannot be
 * memory-mapped). Tensors are read into float32 heap arrays. The header is checked as strictly as
 * {@link SafetensorsFile} does: header length within the data, UTF-8 JSON object, known dtypes,
 * non-negative shapes, each span {@code numel * dtype size} bytes, spans inside the buffer and tiling
 * it without overlap or gap.
 *
 * <p>{@link SafetensorsFile} only opens paths; if it gains a factory over a memory segment this class
 * should give way to it.
 */
final class InMemorySafetensors implements TensorSource {

    private static final ValueLayout.OfLong LONG_LE = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat FLOAT_LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfDouble DOUBLE_LE = ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private record Entry(DType dtype, int[] shape, long begin, long end) {}

    private final String name;
    private final MemorySegment bytes;
    private final long dataStart;
    private final Map<String, Entry> entries;

    private InMemorySafetensors(String name, MemorySegment bytes, long dataStart, Map<String, Entry> entries) {
        this.name = name;
        this.bytes = bytes;
        this.dataStart = dataStart;
        this.entries = entries;
    }

    /**
     * Parses and validates a safetensors file held in memory.
     *
     * @param name the file or resource name, for messages
     * @param data the file's bytes; kept, not copied
     * @return the source
     * @throws CheckpointFormatException naming {@code name} and the tensor if the bytes break the format
     */
    static InMemorySafetensors parse(String name, byte[] data) throws CheckpointFormatException {
        MemorySegment seg = MemorySegment.ofArray(data);
        long size = data.length;
        if (size < 8) {
            throw new CheckpointFormatException(name, "file is " + size + " bytes, shorter than the 8-byte header length");
        }
        long n = seg.get(LONG_LE, 0);
        if (n < 0 || n > size - 8) {
            throw new CheckpointFormatException(name, "header length " + Long.toUnsignedString(n)
                    + " runs past the end of the file (" + size + " bytes)");
        }
        String json;
        try {
            json = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(data, 8, (int) n)).toString();
        } catch (CharacterCodingException e) {
            throw new CheckpointFormatException(name, "header is not valid UTF-8", e);
        }
        Map<String, Object> header;
        try {
            header = Json.parseObject(json);
        } catch (IllegalArgumentException e) {
            throw new CheckpointFormatException(name, "header is not a valid JSON object: " + e.getMessage(), e);
        }
        long dataStart = 8 + n;
        long dataLength = size - dataStart;
        Map<String, Entry> entries = new LinkedHashMap<>();
        for (Map.Entry<String, Object> e : header.entrySet()) {
            String tensor = e.getKey();
            if (tensor.equals(SafetensorsFile.METADATA_KEY)) {
                continue;
            }
            entries.put(tensor, entry(name, tensor, e.getValue(), dataLength));
        }
        checkTiling(name, entries, dataLength);
        return new InMemorySafetensors(name, seg, dataStart, Collections.unmodifiableMap(entries));
    }

    private static Entry entry(String file, String tensor, Object value, long dataLength) throws CheckpointFormatException {
        String where = "tensor \"" + tensor + "\": ";
        if (!(value instanceof Map<?, ?> m)) {
            throw new CheckpointFormatException(file, where + "header entry is a JSON " + Json.typeName(value) + ", expected an object");
        }
        if (!(m.get("dtype") instanceof String dtypeName)) {
            throw new CheckpointFormatException(file, where + "header entry has no string \"dtype\"");
        }
        DType dtype;
        try {
            dtype = DType.fromSafetensorsName(dtypeName);
        } catch (IllegalArgumentException x) {
            throw new CheckpointFormatException(file, where + x.getMessage());
        }
        if (!(m.get("shape") instanceof List<?> dims)) {
            throw new CheckpointFormatException(file, where + "header entry has no \"shape\" array");
        }
        int[] shape = new int[dims.size()];
        long numel = 1;
        for (int k = 0; k < shape.length; k++) {
            if (!(dims.get(k) instanceof Long l) || l < 0 || l > Integer.MAX_VALUE) {
                throw new CheckpointFormatException(file, where + "shape " + dims + " is not a list of non-negative int32 values");
            }
            shape[k] = (int) (long) l;
            try {
                numel = Math.multiplyExact(numel, l);
            } catch (ArithmeticException x) {
                throw new CheckpointFormatException(file, where + "shape " + dims + " has more than 2^63 elements");
            }
        }
        if (!(m.get("data_offsets") instanceof List<?> off) || off.size() != 2
                || !(off.get(0) instanceof Long begin) || !(off.get(1) instanceof Long end) || begin < 0 || end < begin) {
            throw new CheckpointFormatException(file, where + "data_offsets is " + Json.write(m.get("data_offsets"))
                    + ", expected [begin, end] with 0 <= begin <= end");
        }
        if (dtype.bitSize() % 8 != 0 || numel > Long.MAX_VALUE / 8 || end - begin != numel * dtype.byteSize()) {
            throw new CheckpointFormatException(file, where + "data_offsets [" + begin + ", " + end + "] do not hold "
                    + numel + " elements of " + dtype);
        }
        if (end > dataLength) {
            throw new CheckpointFormatException(file, where + "data_offsets [" + begin + ", " + end
                    + "] run past the end of the file (the data after the header is " + dataLength + " bytes)");
        }
        return new Entry(dtype, shape, begin, end);
    }

    private static void checkTiling(String file, Map<String, Entry> entries, long dataLength) throws CheckpointFormatException {
        List<Map.Entry<String, Entry>> sorted = new ArrayList<>(entries.entrySet());
        sorted.sort(Comparator.comparingLong((Map.Entry<String, Entry> e) -> e.getValue().begin())
                .thenComparingLong(e -> e.getValue().end()));
        long expected = 0;
        for (Map.Entry<String, Entry> e : sorted) {
            if (e.getValue().begin() != expected) {
                throw new CheckpointFormatException(file, "tensor \"" + e.getKey() + "\": data_offsets start at "
                        + e.getValue().begin() + " but the previous tensor ends at " + expected
                        + (e.getValue().begin() < expected ? " (overlap)" : " (gap)"));
            }
            expected = e.getValue().end();
        }
        if (expected != dataLength) {
            throw new CheckpointFormatException(file, "the last " + (dataLength - expected)
                    + " bytes of data belong to no tensor");
        }
    }

    @Override
    public Set<String> names() {
        return entries.keySet();
    }

    @Override
    public int[] shape(String tensor) {
        return entries.get(tensor).shape().clone();
    }

    @Override
    public DType dtype(String tensor) {
        return entries.get(tensor).dtype();
    }

    @Override
    public String fileOf(String tensor) {
        return name;
    }

    @Override
    public String describe() {
        return name;
    }

    @Override
    public Tensor tensor(String tensor) throws CheckpointFormatException {
        Entry e = entries.get(tensor);
        int count = (int) ((e.end() - e.begin()) / e.dtype().byteSize());
        float[] out = new float[count];
        long off = dataStart + e.begin();
        switch (e.dtype()) {
            case F32 -> MemorySegment.copy(bytes, FLOAT_LE, off, out, 0, count);
            case F16 -> Float16.f16ToF32(bytes, off, out, 0, count);
            case BF16 -> Float16.bf16ToF32(bytes, off, out, 0, count);
            case F64 -> {
                for (int k = 0; k < count; k++) {
                    out[k] = (float) bytes.get(DOUBLE_LE, off + 8L * k);
                }
            }
            default -> throw TensorSource.unsupportedDtype(name, tensor, e.dtype());
        }
        return Tensor.of(out, e.shape());
    }

    /** Nothing to release: the bytes are on the heap. */
    @Override
    public void close() {
    }

    @Override
    public String toString() {
        return "InMemorySafetensors[" + name + ", " + entries.size() + " tensors]";
    }
}
