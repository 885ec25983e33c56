package dev.lens4j.transformer.loading;

import dev.lens4j.transformer.loading.family.Gpt2Family;
import dev.lens4j.tensor.Tensor;
import dev.lens4j.tensor.io.DType;
import dev.lens4j.tensor.io.Float16;
import dev.lens4j.tensor.internal.Json;
import dev.lens4j.tensor.io.SafetensorsWriter;
import dev.lens4j.transformer.TransformerConfig;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Hugging Face GPT-2 checkpoints made up for tests: random small ones, sparse full-size ones, streamed ones. */
final class SyntheticCheckpoints {

    private SyntheticCheckpoints() {}

    /** A Hugging Face {@code config.json} for a GPT-2 shape. */
    static Map<String, Object> hfConfig(TransformerConfig cfg) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("activation_function", "gelu_new");
        m.put("layer_norm_epsilon", 1e-5);
        m.put("model_type", "gpt2");
        m.put("n_embd", (long) cfg.dModel());
        m.put("n_head", (long) cfg.nHeads());
        m.put("n_inner", null);
        m.put("n_layer", (long) cfg.nLayers());
        m.put("n_positions", (long) cfg.nCtx());
        m.put("vocab_size", (long) cfg.dVocab());
        return m;
    }

    static void writeJson(Path file, Map<String, Object> json) throws IOException {
        Files.writeString(file, Json.write(json), StandardCharsets.UTF_8);
    }

    /**
     * The tensors of a Hugging Face GPT-2 checkpoint for a config, without the {@code transformer.}
     * prefix and without buffers, with their shapes.
     */
    static Map<String, int[]> gpt2Shapes(TransformerConfig cfg) {
        try {
            Map<String, int[]> out = new java.util.LinkedHashMap<>();
            new Gpt2Family().checkpointShapes(cfg, new HfConfig(Map.of(), "config.json"))
                    .forEach((n, s) -> out.put(n.startsWith("transformer.") ? n.substring("transformer.".length()) : n, s));
            return out;
        } catch (CheckpointFormatException e) {
            throw new AssertionError(e);
        }
    }

    /** GPT-2's tensors of {@code cfg} under Hugging Face's names ({@code transformer.} prefix), in file order. */
    static Map<String, int[]> gpt2HfShapes(TransformerConfig cfg) {
        Map<String, int[]> shapes = new LinkedHashMap<>();
        gpt2Shapes(cfg).forEach((n, s) -> shapes.put("transformer." + n, s));
        return shapes;
    }

    /**
     * Writes {@code dir/config.json} and {@code dir/model.safetensors} for {@code cfg}, the weights streamed
     * in {@code dtype} ({@link #writeStreamed(Path, Map, DType)}).
     *
     * @return the tensors written, by name in file order
     */
    static Map<String, int[]> writeStreamedGpt2(Path dir, TransformerConfig cfg, DType dtype) throws IOException {
        writeJson(dir.resolve("config.json"), hfConfig(cfg));
        Map<String, int[]> shapes = gpt2HfShapes(cfg);
        writeStreamed(dir.resolve("model.safetensors"), shapes, dtype);
        return shapes;
    }

    /** A Hugging Face GPT-2 config.json read by the gpt2 family. */
    static TransformerConfig gpt2Config(Map<String, Object> json, String name) throws CheckpointFormatException {
        return new Gpt2Family().config(new HfConfig(json, name), name);
    }

    /** A small checkpoint with random weights (tensor names with {@code prefix}, buffers left out). */
    static void writeHf(Path dir, TransformerConfig cfg, DType dtype, String prefix) throws IOException {
        Files.createDirectories(dir);
        writeJson(dir.resolve("config.json"), hfConfig(cfg));
        SafetensorsWriter w = new SafetensorsWriter();
        long seed = 1;
        for (Map.Entry<String, int[]> e : gpt2Shapes(cfg).entrySet()) {
            w.add(prefix + e.getKey(), dtype, Tensor.randn(seed++, e.getValue()).mul(0.1f).toArray(), e.getValue());
        }
        w.write(dir.resolve("model.safetensors"));
    }

    /**
     * Writes a safetensors header for the given F32 tensors and extends the file to its full length
     * without writing the data: a sparse file, so a multi-gigabyte checkpoint costs no disk and no
     * time, and every element reads as zero.
     *
     * @return the header length in bytes plus 8 (the file offset of the first tensor's data)
     */
    static long writeSparse(Path file, Map<String, int[]> shapes) throws IOException {
        return writeSparse(file, shapes, DType.F32);
    }

    /** {@link #writeSparse(Path, Map)} with tensors of {@code dtype} (F32, BF16 or F16). */
    static long writeSparse(Path file, Map<String, int[]> shapes, DType dtype) throws IOException {
        Map<String, Object> header = new LinkedHashMap<>();
        long offset = 0;
        for (Map.Entry<String, int[]> e : shapes.entrySet()) {
            long bytes = dtype == DType.F32 ? 4 : 2;
            List<Object> shape = new java.util.ArrayList<>();
            for (int d : e.getValue()) {
                bytes *= d;
                shape.add((long) d);
            }
            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("dtype", dtype.name());
            entry.put("shape", shape);
            entry.put("data_offsets", List.of(offset, offset + bytes));
            header.put(e.getKey(), entry);
            offset += bytes;
        }
        byte[] json = Json.write(header).getBytes(StandardCharsets.UTF_8);
        int padded = (json.length + 7) / 8 * 8;
        ByteBuffer head = ByteBuffer.allocate(8 + padded).order(ByteOrder.LITTLE_ENDIAN);
        head.putLong(padded).put(json);
        while (head.hasRemaining()) {
            head.put((byte) ' ');
        }
        head.flip();
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            while (head.hasRemaining()) {
                ch.write(head);
            }
            // Writing the last byte sets the length; everything between stays a hole.
            ch.write(ByteBuffer.allocate(1), 8 + padded + offset - 1);
        }
        return 8 + padded;
    }

    /** Writes one float at a file offset. */
    static void poke(Path file, long offset, float value) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putFloat(0, value), offset);
        }
    }

    /** The made-up value of element {@code i} of tensor number {@code k} in {@link #writeStreamed}. */
    static float streamedValue(int k, long i) {
        return ((i * 31 + k * 17) % 2001 - 1000) * 1e-5f;
    }

    /**
     * Writes a full F32 checkpoint (every byte on disk), generating values with {@link #streamedValue}
     * a megabyte at a time so the test itself holds no copy of the weights.
     */
    static void writeStreamed(Path file, Map<String, int[]> shapes) throws IOException {
        writeStreamed(file, shapes, DType.F32);
    }

    /**
     * {@link #writeStreamed(Path, Map)} in {@code dtype}: F32, or BF16 holding each value rounded to
     * bfloat16 ({@link Float16#f32ToBf16}).
     */
    static void writeStreamed(Path file, Map<String, int[]> shapes, DType dtype) throws IOException {
        if (dtype != DType.F32 && dtype != DType.BF16) {
            throw new IllegalArgumentException("writeStreamed writes F32 or BF16, not " + dtype);
        }
        long dataStart = writeSparse(file, shapes, dtype);
        ByteBuffer buf = ByteBuffer.allocateDirect(1 << 20).order(ByteOrder.LITTLE_ENDIAN);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            ch.position(dataStart);
            int k = 0;
            for (int[] shape : shapes.values()) {
                long n = 1;
                for (int d : shape) {
                    n *= d;
                }
                for (long i = 0; i < n; i++) {
                    if (dtype == DType.F32) {
                        buf.putFloat(streamedValue(k, i));
                    } else {
                        buf.putShort(Float16.f32ToBf16(streamedValue(k, i)));
                    }
                    if (!buf.hasRemaining()) {
                        flush(ch, buf);
                    }
                }
                k++;
            }
            flush(ch, buf);
        }
    }

    private static void flush(FileChannel ch, ByteBuffer buf) throws IOException {
        buf.flip();
        while (buf.hasRemaining()) {
            ch.write(buf);
        }
        buf.clear();
    }
}
