package dev.lens4j.tensor.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lens4j.tensor.Tensor;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NpyTest {

    @TempDir
    Path dir;

    @Test
    void headerIsByteExactPerTheFormatSpec() {
        // magic, version 1.0, HEADER_LEN (u16 LE), then the dict as numpy.save writes it: keys sorted,
        // 21 - len("2") = 20 spare spaces after it, padding spaces and a newline so 10 + HEADER_LEN = 128.
        String dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }";
        int headerLen = 128 - 10;
        StringBuilder text = new StringBuilder(dict);
        while (text.length() < headerLen - 1) {
            text.append(' ');
        }
        text.append('\n');
        ByteArrayOutputStream expected = new ByteArrayOutputStream();
        expected.writeBytes(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, (byte) headerLen, 0});
        expected.writeBytes(text.toString().getBytes(StandardCharsets.US_ASCII));
        assertThat(Npy.header(2, 3)).isEqualTo(expected.toByteArray());
        assertThat(Npy.header(2, 3)).hasSize(128);
    }

    @Test
    void headersAreAlignedTo64AndSpellShapesAsPythonTuples() {
        for (int[] shape : new int[][] {{}, {5}, {0}, {1, 2, 3, 4}, {123456789, 2}, {7, 3, 5, 9, 11, 13, 17, 19, 23, 29}}) {
            byte[] h = Npy.header(shape);
            assertThat(h.length % 64).as(Arrays.toString(shape)).isZero();
            assertThat(h[h.length - 1]).isEqualTo((byte) '\n');
            int headerLen = (h[8] & 0xff) | (h[9] & 0xff) << 8;
            assertThat(10 + headerLen).isEqualTo(h.length);
        }
        assertThat(new String(Npy.header(), StandardCharsets.US_ASCII)).contains("'shape': (), }");
        assertThat(new String(Npy.header(5), StandardCharsets.US_ASCII)).contains("'shape': (5,), }");
        // numpy's padding formula never pads by zero: this dict plus newline ends exactly at byte 128,
        // and numpy.save still adds 64 spaces (HEADER_LEN 182, 192 bytes in all; checked against numpy 2.4).
        byte[] quirk = Npy.header(1, 1, 1, 1, 1, 1, 1, 1, 1000, 10000, 10000);
        assertThat(quirk).hasSize(192);
        assertThat(quirk[8] & 0xff).isEqualTo(182);
        assertThat(new String(quirk, 10, 182, StandardCharsets.US_ASCII))
                .startsWith("{'descr': '<f4', 'fortran_order': False, 'shape': (1, 1, 1, 1, 1, 1, 1, 1, 1000, 10000, 10000), }"
                        + " ".repeat(20 + 64) + "\n")
                .hasSize(182);
    }

    @Test
    void roundTripsFloat32() throws IOException {
        float[] v = {0f, -0f, 1.5f, -2.25f, Float.MIN_VALUE, Float.MAX_VALUE, Float.NaN, Float.NEGATIVE_INFINITY};
        Path p = dir.resolve("a.npy");
        Npy.write(p, v, 2, 4);
        assertThat(Files.size(p)).isEqualTo(128 + 32);
        Npy.Floats back = Npy.read(p);
        assertThat(back.shape()).containsExactly(2, 4);
        assertThat(back.data()).isEqualTo(v);

        Npy.write(p, new float[] {42f});
        assertThat(Npy.read(p).shape()).isEmpty();
        assertThat(Npy.read(p).data()).containsExactly(42f);

        Npy.write(p, new float[0], 0, 7);
        assertThat(Npy.read(p).shape()).containsExactly(0, 7);
        try (var s = Files.list(dir)) {
            assertThat(s.toList()).containsExactly(p); // no temporary files left behind
        }
    }

    @Test
    void writesAndReadsTensors() throws IOException {
        Tensor x = Tensor.of(new float[] {1, 2, 3, 4, 5, 6}, 2, 3).transpose(0, 1); // [3, 2] view
        Path p = dir.resolve("t.npy");
        Npy.write(p, x);
        Tensor y = Npy.readTensor(p);
        assertThat(y.shape()).containsExactly(3, 2);
        assertThat(y.toArray()).containsExactly(1, 4, 2, 5, 3, 6);
    }

    /** A .npy file with a hand-written header (padded to 64 like numpy) and raw data bytes. */
    private Path npy(int major, String dict, byte[] data) throws IOException {
        int prefix = major == 1 ? 10 : 12;
        int len = dict.length() + 1;
        int pad = (64 - (prefix + len) % 64) % 64;
        ByteBuffer b = ByteBuffer.allocate(prefix + len + pad + data.length).order(ByteOrder.LITTLE_ENDIAN);
        b.put(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', (byte) major, 0});
        if (major == 1) {
            b.putShort((short) (len + pad));
        } else {
            b.putInt(len + pad);
        }
        b.put(dict.getBytes(StandardCharsets.ISO_8859_1)).put(" ".repeat(pad).getBytes(StandardCharsets.US_ASCII)).put((byte) '\n');
        b.put(data);
        Path p = dir.resolve("h" + System.nanoTime() + ".npy");
        Files.write(p, b.array());
        return p;
    }

    private static byte[] le(int width, double... values) {
        ByteBuffer b = ByteBuffer.allocate(width * values.length).order(ByteOrder.LITTLE_ENDIAN);
        for (double v : values) {
            switch (width) {
                case 2 -> b.putShort(Float.floatToFloat16((float) v));
                case 4 -> b.putFloat((float) v);
                default -> b.putDouble(v);
            }
        }
        return b.array();
    }

    @Test
    void readsF8F2AndLaterVersionsAndLooseSpacing() throws IOException {
        Npy.Floats d = Npy.read(npy(1, "{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }", le(8, 0.1, -1e300, 2)));
        assertThat(d.data()).containsExactly(0.1f, Float.NEGATIVE_INFINITY, 2f);
        Npy.Floats h = Npy.read(npy(1, "{'descr':'<f2','fortran_order':False,'shape':(2,1)}", le(2, 65504, 0.5)));
        assertThat(h.shape()).containsExactly(2, 1);
        assertThat(h.data()).containsExactly(65504f, 0.5f);
        Npy.Floats v2 = Npy.read(npy(2, "{'shape': (1, 2L), 'fortran_order': False, 'descr': '<f4'}", le(4, 3, 4)));
        assertThat(v2.shape()).containsExactly(1, 2);
        assertThat(v2.data()).containsExactly(3f, 4f);
        Npy.Floats v3 = Npy.read(npy(3, "{\"descr\": \"<f4\", \"fortran_order\": False, \"shape\": ()}", le(4, 9)));
        assertThat(v3.data()).containsExactly(9f);
    }

    private void fails(Path p, String problem) {
        assertThatThrownBy(() -> Npy.read(p))
                .isInstanceOf(NpyFormatException.class)
                .hasMessageStartingWith(p + ": ")
                .hasMessageContaining(problem);
    }

    @Test
    void refusesWhatItCannotReadNamingTheFile() throws IOException {
        Path junk = dir.resolve("junk.npy");
        Files.writeString(junk, "PK\u0003\u0004 this is a zip");
        fails(junk, "does not start with the .npy magic");
        Path tiny = dir.resolve("tiny.npy");
        Files.write(tiny, new byte[] {(byte) 0x93, 'N'});
        fails(tiny, "file is 2 bytes, too short");

        fails(npy(1, "{'descr': '>f4', 'fortran_order': False, 'shape': (1,), }", new byte[4]),
                "dtype '>f4' is not supported; expected little-endian float '<f4', '<f8' or '<f2' (this array is big-endian)");
        fails(npy(1, "{'descr': '<i4', 'fortran_order': False, 'shape': (1,), }", new byte[4]), "dtype '<i4' is not supported");
        fails(npy(1, "{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2), }", new byte[16]),
                "fortran_order is True; only C-order");
        fails(npy(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2), }", new byte[12]),
                "shape [2, 2] of <f4 needs 16 data bytes but the file has 12");
        fails(npy(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }", new byte[8]),
                "needs 4 data bytes but the file has 8");
        fails(npy(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (1,), 'extra': 1, }", new byte[4]),
                "header is not a dict literal: unsupported value");
        fails(npy(1, "{'descr': '<f4', 'shape': (1,), }", new byte[4]), "expected exactly descr, fortran_order and shape");
        fails(npy(1, "{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1,), }", new byte[4]),
                "header is not a dict literal");
        fails(npy(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (-1,), }", new byte[4]),
                "expected a non-negative integer in the shape tuple");
        fails(npy(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (1,), 'descr': '<f4'}", new byte[4]),
                "duplicate key 'descr'");

        byte[] badVersion = Npy.header(1);
        badVersion[6] = 9;
        Path v9 = dir.resolve("v9.npy");
        Files.write(v9, badVersion);
        fails(v9, "unsupported .npy version 9.0");

        byte[] longHeader = Npy.header(1);
        longHeader[8] = (byte) 0xff;
        longHeader[9] = (byte) 0xff;
        Path lh = dir.resolve("lh.npy");
        Files.write(lh, longHeader);
        fails(lh, "header length 65535 runs past the end of the file (128 bytes)");
    }

    @Test
    void writeChecksShape() {
        assertThatThrownBy(() -> Npy.write(dir.resolve("x.npy"), new float[5], 2, 3))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("shape [2, 3] has 6 elements but the data has 5");
        assertThatThrownBy(() -> Npy.write(dir.resolve("x.npy"), new float[0], -1))
                .hasMessageContaining("negative dimension");
    }
}
