package dev.lens4j.tensor.io;

import dev.lens4j.tensor.Tensor;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * NumPy {@code .npy} files of float32, for saving cached activations where Python can
 * {@code np.load} them (and reading NumPy's arrays back).
 *
 * <p>The format: the magic {@code \x93NUMPY}, a version (1.0 here), a little-endian header length,
 * then a Python dict literal such as {@code {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }}
 * padded with spaces and ended by a newline so that the data starts at a multiple of 64 bytes, then the
 * data. {@link #write} produces the same bytes as {@code numpy.save} (numpy 1.24 and later, which also
 * leave room to grow the first dimension in place). {@link #read} accepts versions 1.0 to 3.0 with
 * dtype {@code <f4}, {@code <f8} or {@code <f2} in C order and refuses everything else by name.
 *
 * <pre>{@code
 * Npy.write(Path.of("resid.npy"), resid, 1, 128, 768);   // float[] [batch, pos, d_model]
 * Npy.Floats back = Npy.read(Path.of("resid.npy"));      // back.shape() = [1, 128, 768]
 * Tensor t = Npy.readTensor(Path.of("resid.npy"));       // the same as a heap tensor
 * }</pre>
 */
public final class Npy {

    private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
    private static final int ALIGN = 64;
    /** numpy pads the header so that the first dimension can grow to this many digits in place. */
    private static final int GROWTH_AXIS_MAX_DIGITS = 21;

    private Npy() {}

    /**
     * An array read from a {@code .npy} file.
     *
     * @param data the values as float32, row-major
     * @param shape the shape ({@code []} for a 0-d array)
     */
    public record Floats(float[] data, int[] shape) {

        /**
         * Creates the record, copying the shape.
         *
         * @param data the values as float32, row-major
         * @param shape the shape
         */
        public Floats {
            shape = shape.clone();
        }

        /**
         * The shape.
         *
         * @return a copy of the shape
         */
        @Override
        public int[] shape() {
            return shape.clone();
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Floats f && Arrays.equals(data, f.data) && Arrays.equals(shape, f.shape);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(data) * 31 + Arrays.hashCode(shape);
        }

        @Override
        public String toString() {
            return "Npy.Floats" + Arrays.toString(shape);
        }
    }

    /**
     * Writes a float32 array as a version 1.0 {@code .npy} file, atomically (temporary file, then rename).
     *
     * @param path the target; replaced if it exists
     * @param data the values, row-major
     * @param shape the shape ({@code []} for a 0-d array of one value)
     * @throws IllegalArgumentException if a dimension is negative or {@code data.length} does not match
     * @throws IOException if writing fails; the target is then left as it was
     */
    public static void write(Path path, float[] data, int... shape) throws IOException {
        long numel = 1;
        for (int d : shape) {
            if (d < 0) {
                throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " has a negative dimension");
            }
            numel *= d;
        }
        if (numel != data.length) {
            throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " has " + numel
                    + " elements but the data has " + data.length);
        }
        byte[] header = header(shape);
        AtomicWrite.write(path, ch -> {
            AtomicWrite.writeFully(ch, ByteBuffer.wrap(header));
            int chunk = 1 << 18;
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment stage = arena.allocate(4L * chunk, 8);
                for (int done = 0; done < data.length; ) {
                    int n = Math.min(chunk, data.length - done);
                    MemorySegment.copy(data, done, stage, SafetensorsFile.FLOAT_LE, 0, n);
                    AtomicWrite.writeFully(ch, stage.asSlice(0, 4L * n).asByteBuffer());
                    done += n;
                }
            }
        });
    }

    /**
     * Writes a tensor (any layout; written in row-major order of its shape) as a float32 {@code .npy} file.
     *
     * @param path the target; replaced if it exists
     * @param tensor the tensor
     * @throws IOException if writing fails; the target is then left as it was
     */
    public static void write(Path path, Tensor tensor) throws IOException {
        write(path, tensor.toArray(), tensor.shape());
    }

    /**
     * Reads a {@code .npy} file as a heap tensor (see {@link #read}).
     *
     * @param path the file
     * @return the tensor
     * @throws IOException as {@link #read}
     */
    public static Tensor readTensor(Path path) throws IOException {
        Floats f = read(path);
        return Tensor.of(f.data(), f.shape());
    }

    /**
     * The bytes before the data of a {@code <f4}, C-order array, exactly as {@code numpy.save} writes them.
     *
     * @param shape the shape
     * @return magic, version 1.0, header length and padded header (a multiple of 64 bytes)
     */
    static byte[] header(int... shape) {
        StringBuilder dict = new StringBuilder("{'descr': '<f4', 'fortran_order': False, 'shape': ");
        dict.append(pythonTuple(shape)).append(", }");
        if (shape.length > 0) {
            dict.append(" ".repeat(GROWTH_AXIS_MAX_DIGITS - Integer.toString(shape[0]).length()));
        }
        byte[] text = dict.toString().getBytes(StandardCharsets.ISO_8859_1);
        int hlen = text.length + 1; // + the final newline
        // numpy's formula: a header that is already aligned still gets 64 spaces.
        int pad = ALIGN - ((MAGIC.length + 2 + 2 + hlen) % ALIGN);
        if (hlen + pad > 0xffff) {
            throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " needs a header over 65535 bytes");
        }
        ByteBuffer b = ByteBuffer.allocate(MAGIC.length + 4 + hlen + pad).order(ByteOrder.LITTLE_ENDIAN);
        b.put(MAGIC).put((byte) 1).put((byte) 0).putShort((short) (hlen + pad)).put(text);
        for (int k = 0; k < pad; k++) {
            b.put((byte) ' ');
        }
        b.put((byte) '\n');
        return b.array();
    }

    private static String pythonTuple(int[] shape) {
        if (shape.length == 1) {
            return "(" + shape[0] + ",)";
        }
        StringBuilder s = new StringBuilder("(");
        for (int k = 0; k < shape.length; k++) {
            if (k > 0) {
                s.append(", ");
            }
            s.append(shape[k]);
        }
        return s.append(')').toString();
    }

    /**
     * Reads a little-endian, C-order {@code .npy} file of f4, f8 (rounded to float32) or f2.
     *
     * @param path the file
     * @return its values as float32 and its shape
     * @throws NpyFormatException naming the file if it is not a {@code .npy} file, uses another dtype,
     *     byte order or Fortran order, or its size does not match the header
     * @throws IOException naming the file if it cannot be read
     */
    public static Floats read(Path path) throws IOException {
        FileErrors.requireNotDirectory(path, "a .npy file");
        try {
            return readFile(path);
        } catch (IOException e) {
            throw FileErrors.naming(path, e);
        }
    }

    private static Floats readFile(Path path) throws IOException {
        try (Arena arena = Arena.ofConfined();
             FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size < 10) {
                throw new NpyFormatException(path, "file is " + size + " bytes, too short for a .npy header");
            }
            return read(ch.map(FileChannel.MapMode.READ_ONLY, 0, size, arena), path);
        }
    }

    /**
     * Reads {@code .npy} bytes already in memory (a class-path resource, a download), as {@link #read(Path)}
     * reads a file.
     *
     * @param m the file's bytes
     * @param path what the bytes are, for messages
     * @return its values as float32 and its shape
     * @throws NpyFormatException naming {@code path} if the bytes are not a {@code .npy} file lens4j reads
     */
    public static Floats read(MemorySegment m, Path path) throws NpyFormatException {
        long size = m.byteSize();
        if (size < 10) {
            throw new NpyFormatException(path, "file is " + size + " bytes, too short for a .npy header");
        }
        if (!Arrays.equals(m.asSlice(0, 6).toArray(ValueLayout.JAVA_BYTE), MAGIC)) {
            throw new NpyFormatException(path, "does not start with the .npy magic \\x93NUMPY");
        }
        int major = m.get(ValueLayout.JAVA_BYTE, 6);
        int minor = m.get(ValueLayout.JAVA_BYTE, 7);
        long headerLength;
        int prefix;
        if (major == 1 && minor == 0) {
            headerLength = m.get(Float16.SHORT_LE, 8) & 0xffff;
            prefix = 10;
        } else if ((major == 2 || major == 3) && minor == 0) {
            if (size < 12) {
                throw new NpyFormatException(path, "file is " + size + " bytes, too short for a version " + major + " header");
            }
            headerLength = m.get(ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 8) & 0xffff_ffffL;
            prefix = 12;
        } else {
            throw new NpyFormatException(path, "unsupported .npy version " + major + "." + minor);
        }
        if (prefix + headerLength > size) {
            throw new NpyFormatException(path, "header length " + headerLength + " runs past the end of the file ("
                    + size + " bytes)");
        }
        byte[] raw = m.asSlice(prefix, headerLength).toArray(ValueLayout.JAVA_BYTE);
        String text = new String(raw, major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);
        Map<String, Object> dict;
        try {
            dict = new DictParser(text).parse();
        } catch (IllegalArgumentException e) {
            throw new NpyFormatException(path, "header is not a dict literal: " + e.getMessage());
        }
        if (!dict.keySet().equals(Set.of("descr", "fortran_order", "shape"))) {
            throw new NpyFormatException(path, "header keys are " + dict.keySet()
                    + ", expected exactly descr, fortran_order and shape");
        }
        if (!(dict.get("descr") instanceof String descr)) {
            throw new NpyFormatException(path, "descr " + python(dict.get("descr")) + " is not a simple dtype string"
                    + " (structured arrays are not supported)");
        }
        int itemSize = switch (descr) {
            case "<f4" -> 4;
            case "<f8" -> 8;
            case "<f2" -> 2;
            default -> throw new NpyFormatException(path, "dtype '" + descr + "' is not supported; expected "
                    + "little-endian float '<f4', '<f8' or '<f2'"
                    + (descr.startsWith(">") ? " (this array is big-endian)" : ""));
        };
        if (!Boolean.FALSE.equals(dict.get("fortran_order"))) {
            throw new NpyFormatException(path, "fortran_order is " + python(dict.get("fortran_order"))
                    + "; only C-order (fortran_order False) arrays are supported");
        }
        if (!(dict.get("shape") instanceof int[] shape)) {
            throw new NpyFormatException(path, "shape " + python(dict.get("shape")) + " is not a tuple of integers");
        }
        long numel = 1;
        long expected;
        try {
            for (int d : shape) {
                numel = Math.multiplyExact(numel, d);
            }
            expected = Math.multiplyExact(numel, itemSize);
        } catch (ArithmeticException e) {
            throw new NpyFormatException(path, "shape " + Arrays.toString(shape) + " overflows a 64-bit byte count");
        }
        long dataStart = prefix + headerLength;
        if (size - dataStart != expected) {
            throw new NpyFormatException(path, "shape " + Arrays.toString(shape) + " of " + descr + " needs "
                    + expected + " data bytes but the file has " + (size - dataStart));
        }
        if (numel > Integer.MAX_VALUE - 8) {
            throw new NpyFormatException(path, "shape " + Arrays.toString(shape) + " has more elements than a Java array holds");
        }
        int n = (int) numel;
        float[] out = new float[n];
        switch (itemSize) {
            case 4 -> MemorySegment.copy(m, SafetensorsFile.FLOAT_LE, dataStart, out, 0, n);
            case 2 -> Float16.f16ToF32(m, dataStart, out, 0, n);
            default -> {
                ValueLayout.OfDouble d = ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
                for (int k = 0; k < n; k++) {
                    out[k] = (float) m.get(d, dataStart + 8L * k);
                }
            }
        }
        return new Floats(out, shape);
    }

    /** A header value as Python spells it, for messages: {@code True}, {@code 'False'}, {@code (2, 3)}. */
    private static String python(Object v) {
        return switch (v) {
            case Boolean b -> b ? "True" : "False";
            case String str -> "'" + str + "'";
            case int[] dims -> pythonTuple(dims);
            case null -> "None";
            default -> String.valueOf(v);
        };
    }

    /**
     * The subset of Python literal syntax numpy headers use: a dict of quoted string keys to quoted
     * strings, {@code True}/{@code False}, or tuples of non-negative integers (returned as {@code int[]}).
     */
    private static final class DictParser {
        private final String s;
        private int i;

        DictParser(String s) {
            this.s = s;
        }

        Map<String, Object> parse() {
            Map<String, Object> m = new LinkedHashMap<>();
            space();
            expect('{');
            space();
            while (peek() != '}') {
                int at = i;
                if (!(value() instanceof String key)) {
                    throw fail(at, "expected a quoted key");
                }
                space();
                expect(':');
                space();
                if (m.put(key, value()) != null) {
                    throw fail(at, "duplicate key '" + key + "'");
                }
                space();
                if (peek() == ',') {
                    i++;
                    space();
                } else if (peek() != '}') {
                    throw fail(i, "expected ',' or '}'");
                }
            }
            i++;
            space();
            if (i != s.length()) {
                throw fail(i, "unexpected text after the dict");
            }
            return m;
        }

        private Object value() {
            char c = peek();
            if (c == '\'' || c == '"') {
                int end = s.indexOf(c, i + 1);
                if (end < 0) {
                    throw fail(i, "unterminated string");
                }
                String v = s.substring(i + 1, end);
                if (v.indexOf('\\') >= 0) {
                    throw fail(i, "escapes in strings are not supported");
                }
                i = end + 1;
                return v;
            }
            if (s.startsWith("True", i)) {
                i += 4;
                return Boolean.TRUE;
            }
            if (s.startsWith("False", i)) {
                i += 5;
                return Boolean.FALSE;
            }
            if (c == '(') {
                i++;
                List<Integer> dims = new ArrayList<>();
                space();
                while (peek() != ')') {
                    int start = i;
                    while (i < s.length() && Character.isDigit(s.charAt(i)) && s.charAt(i) < 128) {
                        i++;
                    }
                    if (start == i) {
                        throw fail(i, "expected a non-negative integer in the shape tuple");
                    }
                    if (i - start > 18) {
                        throw fail(start, "dimension " + s.substring(start, i) + " is over 2^31-1");
                    }
                    long d = Long.parseLong(s.substring(start, i));
                    if (d > Integer.MAX_VALUE) {
                        throw fail(start, "dimension " + d + " is over 2^31-1");
                    }
                    dims.add((int) d);
                    if (peek() == 'L') {
                        i++; // Python 2 long suffix, as old numpy wrote it
                    }
                    space();
                    if (peek() == ',') {
                        i++;
                        space();
                    } else if (peek() != ')') {
                        throw fail(i, "expected ',' or ')'");
                    }
                }
                i++;
                return dims.stream().mapToInt(Integer::intValue).toArray();
            }
            throw fail(i, "unsupported value");
        }

        private char peek() {
            if (i >= s.length()) {
                throw fail(i, "unexpected end of header");
            }
            return s.charAt(i);
        }

        private void expect(char c) {
            if (peek() != c) {
                throw fail(i, "expected '" + c + "'");
            }
            i++;
        }

        private void space() {
            while (i < s.length() && Character.isWhitespace(s.charAt(i))) {
                i++;
            }
        }

        private IllegalArgumentException fail(int at, String what) {
            return new IllegalArgumentException(what + " at character " + at + " of " + quote(s.strip()));
        }

        private static String quote(String header) {
            return header.length() > 120 ? header.substring(0, 120) + "..." : header;
        }
    }
}
