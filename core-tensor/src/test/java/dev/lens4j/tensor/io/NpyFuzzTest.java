package dev.lens4j.tensor.io;

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
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Mutated {@code .npy} files are read (with as many values as the shape says) or refused with an
 * {@link NpyFormatException} naming the file, and nothing else. One case in 25 goes through a real
 * file ({@link Npy#read(Path)}), the rest through the same parser in memory. The header's dict is rebuilt from
 * mutated parts (dtype, order, shape tuple, keys, version, padding) so that cases reach every check,
 * and bytes are flipped as well.
 */
class NpyFuzzTest {

    /** Cases in CI. */
    static final int CASES = Fuzz.cases(20_000);

    private static final String[] DESCR = {"'<f4'", "'<f8'", "'<f2'", "'>f4'", "'|u1'", "'<i8'", "'<c8'", "'f4'", "''", "\"<f4\"",
            "[('a', '<f4')]", "'<f4", "<f4"};
    private static final String[] ORDER = {"False", "True", "0", "'False'", "None", "Fals"};
    private static final String[] DIM = {"0", "1", "2", "3", "7", "2147483647", "2147483648", "1099511627776",
            "99999999999999999999999", "-1", "+1", "2.0", "3L", " 2 ", "", "\u0663", "(1,2)"};

    @TempDir
    Path dir;

    @Test
    void everyMutatedFileIsReadOrRefusedNamingTheFile() throws IOException {
        Path file = dir.resolve("case.npy");
        Map<String, Integer> outcomes = Fuzz.run("npy", CASES, (r, input) -> {
            byte[] bytes = r.nextInt(5) == 0 ? Fuzz.mutateBytes(valid(r, input), r, input) : structured(r, input);
            input.bytes(bytes);
            boolean onDisk = r.nextInt(25) == 0;
            if (onDisk) {
                Files.write(file, bytes);
            }
            try {
                Npy.Floats f = onDisk ? Npy.read(file) : Npy.read(MemorySegment.ofArray(bytes), file);
                long numel = 1;
                for (int d : f.shape()) {
                    numel *= d;
                }
                assertThat((long) f.data().length).isEqualTo(numel);
                return "ok";
            } catch (NpyFormatException e) {
                assertThat(e.getMessage()).startsWith(file + ": ");
                assertThat(e.file()).isEqualTo(file);
                return Fuzz.kind(file.toString(), e);
            }
        });
        assertThat(outcomes.getOrDefault("ok", 0)).as("cases read").isGreaterThan(CASES / 50);
        assertThat(outcomes.keySet().stream().filter(k -> k.startsWith("NpyFormatException")).count())
                .as("distinct refusals").isGreaterThanOrEqualTo(Math.min(15, CASES / 200));
    }

    /** A valid file as numpy writes it (version 1.0), or a version 2.0 / 3.0 one of another dtype. */
    private static byte[] valid(SplittableRandom r, Fuzz.Input input) {
        int[] shape = Fuzz.pick(r, new int[] {}, new int[] {0}, new int[] {3}, new int[] {2, 3}, new int[] {1, 2, 3, 2});
        String descr = Fuzz.pick(r, "'<f4'", "'<f8'", "'<f2'");
        int version = Fuzz.pick(r, 1, 1, 2, 3);
        input.step("valid " + descr + " v" + version + " " + java.util.Arrays.toString(shape));
        return file(version, dict(descr, "False", tuple(shape), r), data(shape, itemSize(descr), r));
    }

    /** A file whose header is assembled from mutated parts; the data usually fits the header's shape. */
    private static byte[] structured(SplittableRandom r, Fuzz.Input input) {
        String descr = r.nextInt(3) == 0 ? Fuzz.pick(r, DESCR) : Fuzz.pick(r, "'<f4'", "'<f8'", "'<f2'");
        String order = r.nextInt(4) == 0 ? Fuzz.pick(r, ORDER) : "False";
        List<String> dims = new ArrayList<>();
        int rank = r.nextInt(4);
        for (int k = 0; k < rank; k++) {
            dims.add(r.nextInt(3) == 0 ? Fuzz.pick(r, DIM) : Integer.toString(r.nextInt(4)));
        }
        String shape = rank == 1 && r.nextInt(4) > 0 ? "(" + dims.getFirst() + ",)" : "(" + String.join(", ", dims) + ")";
        if (r.nextInt(10) == 0) {
            shape = Fuzz.pick(r, "[2, 3]", "(,)", "(1,,2)", "((1,2),)", "2", "(1, 2", "()");
        }
        String text = dict(descr, order, shape, r);
        if (r.nextInt(6) == 0) {
            text = Fuzz.pick(r, text.replace("'descr': " + descr + ", ", ""), text.replace("}", "'extra': 1, }"),
                    text.replace("{", "{'shape': (1,), "), text.replace("'fortran_order'", "\"fortran_order\""),
                    text.replace("'descr'", "descr"), text.replace("}", ""), text + " x", "{}", "");
            input.step("dict text changed");
        }
        int version = r.nextInt(8) == 0 ? Fuzz.pick(r, 0, 4, 255) : Fuzz.pick(r, 1, 2, 3);
        long numel = numel(dims);
        int size = itemSize(descr);
        byte[] data;
        if (numel >= 0 && numel * size <= 4096 && r.nextInt(4) > 0) {
            data = new byte[(int) (numel * size)];
            r.nextBytes(data);
        } else {
            data = new byte[r.nextInt(64)];
        }
        input.step("v" + version + " " + text.strip() + " + " + data.length + " data bytes");
        byte[] out = file(version, text, data);
        if (r.nextInt(10) == 0) {
            // the header length field, off by a little or a lot
            ByteBuffer b = ByteBuffer.wrap(out).order(ByteOrder.LITTLE_ENDIAN);
            if (version == 1 || out.length < 12) {
                b.putShort(8, (short) Fuzz.nudge(b.getShort(8) & 0xffff, r));
            } else {
                b.putInt(8, (int) Fuzz.nudge(b.getInt(8) & 0xffff_ffffL, r));
            }
            input.step("header length changed");
        }
        return out;
    }

    private static String dict(String descr, String order, String shape, SplittableRandom r) {
        return "{'descr': " + descr + ", 'fortran_order': " + order + ", 'shape': " + shape + ", }";
    }

    private static String tuple(int[] shape) {
        if (shape.length == 1) {
            return "(" + shape[0] + ",)";
        }
        List<String> s = new ArrayList<>();
        for (int d : shape) {
            s.add(Integer.toString(d));
        }
        return "(" + String.join(", ", s) + ")";
    }

    private static int itemSize(String descr) {
        return descr.contains("f8") || descr.contains("i8") || descr.contains("c8") ? 8 : descr.contains("f2") ? 2
                : descr.contains("u1") ? 1 : 4;
    }

    /** The element count of small integer dims, or -1. */
    private static long numel(List<String> dims) {
        long n = 1;
        for (String d : dims) {
            if (!d.matches("\\d{1,4}")) {
                return -1;
            }
            n *= Long.parseLong(d);
        }
        return n;
    }

    private static byte[] data(int[] shape, int itemSize, SplittableRandom r) {
        int n = itemSize;
        for (int d : shape) {
            n *= d;
        }
        byte[] b = new byte[n];
        r.nextBytes(b);
        return b;
    }

    /** Magic, version, header length (2 bytes in 1.0, 4 after), the dict padded with spaces and a newline to 64 bytes, data. */
    private static byte[] file(int version, String dict, byte[] data) {
        byte[] text = dict.getBytes(version >= 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);
        int prefix = version == 1 || version == 0 ? 10 : 12;
        int hlen = (text.length + 1 + prefix + 63) / 64 * 64 - prefix;
        ByteBuffer b = ByteBuffer.allocate(prefix + hlen + data.length).order(ByteOrder.LITTLE_ENDIAN);
        b.put(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', (byte) version, 0});
        if (prefix == 10) {
            b.putShort((short) hlen);
        } else {
            b.putInt(hlen);
        }
        b.put(text);
        while (b.position() < prefix + hlen - 1) {
            b.put((byte) ' ');
        }
        b.put((byte) '\n').put(data);
        return b.array();
    }
}
