package dev.lens4j.tensor.matmul;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * The cache blocking of {@link BlockedGemm}, chosen from this CPU's cache sizes and the kernel's tile.
 *
 * <ul>
 *   <li><b>KC</b>, the depth of a block: one B depth block {@code [KC, nr]} should take about three
 *       quarters of the L1 data cache, leaving room for the A micro-panel it is multiplied with. With a
 *       48 KB L1 (Sapphire Rapids) and 48-float panels that is 192; with 32 KB 128 (or
 *       384 for the 16-float AVX2 panels). Measured on Sapphire Rapids, the 8 x 48 tile alone on panels
 *       in L1: 227 GFLOP/s at KC = 128, 196 at 384, where the panel (72 KB) spills to L2. <b>Except on
 *       AMD's Zen cores</b> (vendor {@code AuthenticAMD}): KC = 384. Zen 4 runs a 512-bit FMA on both of
 *       its 256-bit pipes, so the tile asks half as many bytes of B per cycle as on Sapphire Rapids and L2
 *       keeps up; fewer depth blocks reload C less often. Measured on a Zen 4 VM (32 KB L1d, 1 MB L2;
 *       JMH, two alternating sweeps, one thread, B packed once): 1024 x 3072 x 768 at 100-101 GFLOP/s
 *       with KC = 128, 100-104 at 256, 104-107 at 384, 105 at 512 and 768; 1024 x 768 x 3072 at
 *       100-104 with 128 and 105-110 from 384 to 768. On a Zen 3 VM (AVX2, 16-float panels) 384 was also
 *       the fastest of 192, 256 and 384.</li>
 *   <li><b>MC</b>, the rows of an A block (each panel of B streams from L3 once per A block, and
 *       every panel sweeps the whole A block): one row per 8 KB of L2, 256 with Sapphire Rapids' 2 MB.
 *       Measured there with KC = 128 (CPU-time rates, 4 interleaved rounds on a loaded machine):
 *       1024 x 768 x 3072 ran at 166 GFLOP/s with MC = 64, 170-181 from 96 to 320, 154 at 512 and
 *       139 at 1024; 1024 x 3072 x 768 at 158 with MC = 96 and 165-173 from 128 to 320, although a
 *       [256, 3072] A block (3 MB) is larger than L2.</li>
 * </ul>
 *
 * <p>Cache sizes come from Linux's {@code /sys/devices/system/cpu/cpu0/cache} and the vendor from
 * {@code /proc/cpuinfo}; elsewhere 32 KB, 1 MB and not AMD are assumed. The system properties
 * {@code lens4j.gemm.kc} and {@code lens4j.gemm.mc} (numbers) override the choice, for measuring other
 * blockings; the blocking never changes results.
 */
record GemmBlocking(int kcMax, int mcMax, int mr) {

    /** L1 data and L2 sizes of this CPU, in bytes, read once. */
    private static final long[] CACHES = readCaches();
    /** The KC of AMD's Zen cores, whatever their L1 (see the class comment). */
    static final int ZEN_KC = 384;
    /** Whether this CPU is AMD's, read once. */
    private static final boolean AMD = "AuthenticAMD".equals(readVendor());
    private static volatile int KC_OVERRIDE = Integer.getInteger("lens4j.gemm.kc", 0);
    private static volatile int MC_OVERRIDE = Integer.getInteger("lens4j.gemm.mc", 0);

    /** Sets the overrides (0: none), for measuring blockings in one JVM. */
    static void override(int kc, int mc) {
        KC_OVERRIDE = kc;
        MC_OVERRIDE = mc;
    }

    /**
     * The blocking for a kernel on this CPU.
     *
     * @param kern the micro-kernel
     * @return its blocking
     */
    static GemmBlocking of(GemmMicroKernel kern) {
        int nr = kern.nr(), mr = kern.mr();
        int kc = KC_OVERRIDE > 0 ? KC_OVERRIDE : kcMax(CACHES[0], AMD, nr);
        long mc = MC_OVERRIDE > 0 ? MC_OVERRIDE : CACHES[1] / 8192;
        return new GemmBlocking(kc, (int) Math.max(4L * mr, Math.min(512, mc / mr * mr)), mr);
    }

    /**
     * The depth of a block on a CPU (the rule of the class comment).
     *
     * @param l1 the L1 data cache, bytes
     * @param amd whether the CPU is AMD's
     * @param nr the width of the kernel's panels, floats
     * @return the largest depth of a block
     */
    static int kcMax(long l1, boolean amd, int nr) {
        return amd ? ZEN_KC : (int) Math.max(64, Math.min(512, l1 * 3 / 4 / (4L * nr) / 16 * 16));
    }

    /**
     * The depth of the blocks for a product of depth k: blocks of equal size, at most {@link #kcMax}
     * (k = 385 runs as 193 + 192, not 384 + 1).
     *
     * @param k the inner dimension, at least 1
     * @return the depth of a block
     */
    int kc(int k) {
        return BlockedGemm.ceilDiv(k, BlockedGemm.ceilDiv(k, kcMax));
    }

    /**
     * The rows of an A block for a thread's {@code rows} rows: blocks of equal size (in whole
     * tiles), at most {@link #mcMax}.
     *
     * @param k the inner dimension, at least 1 (not used yet: the measured optimum did not depend on it)
     * @param rows the rows the thread computes
     * @return the rows of an A block, a multiple of the tile height
     */
    int mc(int k, int rows) {
        int blocks = BlockedGemm.ceilDiv(Math.max(1, rows), mcMax);
        return BlockedGemm.roundUp(BlockedGemm.ceilDiv(Math.max(1, rows), blocks), mr);
    }

    private static long[] readCaches() {
        long l1 = 32 << 10, l2 = 1 << 20;
        Path base = Path.of("/sys/devices/system/cpu/cpu0/cache");
        for (int i = 0; i < 8; i++) {
            Path d = base.resolve("index" + i);
            try {
                String level = Files.readString(d.resolve("level")).trim();
                String type = Files.readString(d.resolve("type")).trim();
                long size = parseSize(Files.readString(d.resolve("size")).trim());
                if (level.equals("1") && type.equals("Data")) {
                    l1 = size;
                } else if (level.equals("2") && type.equals("Unified")) {
                    l2 = size;
                }
            } catch (IOException | RuntimeException e) {
                // not Linux, or no such cache level: keep the defaults
            }
        }
        return new long[] {l1, l2};
    }

    /** The {@code vendor_id} of {@code /proc/cpuinfo} (e.g. {@code AuthenticAMD}, {@code GenuineIntel}), or "" elsewhere. */
    private static String readVendor() {
        try (var lines = Files.lines(Path.of("/proc/cpuinfo"))) {
            return vendorOf(lines.toList());
        } catch (IOException | RuntimeException e) {
            return "";
        }
    }

    /** The value of the first {@code vendor_id} line, or "". */
    static String vendorOf(List<String> cpuinfo) {
        for (String line : cpuinfo) {
            if (line.startsWith("vendor_id")) {
                int colon = line.indexOf(':');
                return colon < 0 ? "" : line.substring(colon + 1).trim();
            }
        }
        return "";
    }

    /** "48K" -> 49152, "2048K" -> 2097152, "2M" -> 2097152. */
    static long parseSize(String s) {
        String t = s.toUpperCase(Locale.ROOT);
        long mult = t.endsWith("K") ? 1 << 10 : t.endsWith("M") ? 1 << 20 : 1;
        return Long.parseLong(mult == 1 ? t : t.substring(0, t.length() - 1)) * mult;
    }

    /**
     * The cache sizes this blocking was derived from.
     *
     * @return e.g. {@code "L1d 48 KB, L2 2048 KB"}, with {@code ", AMD"} on AMD's CPUs
     */
    static String caches() {
        return "L1d " + (CACHES[0] >> 10) + " KB, L2 " + (CACHES[1] >> 10) + " KB" + (AMD ? ", AMD" : "");
    }
}
