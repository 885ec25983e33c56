package dev.lens4j.tensor.matmul;

import java.util.List;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** The cache blocking's rules, worked by hand from the CPUs they were measured on. */
class GemmBlockingTest {

    @Test
    void depthOfABlockFollowsL1OnIntelAndIs384OnAmd() {
        // Sapphire Rapids: 48 KB L1d, 48-float panels: 48 K * 3/4 / (4 * 48) = 192
        assertThat(GemmBlocking.kcMax(48 << 10, false, 48)).isEqualTo(192);
        // a 32 KB L1d with the same panels: 128; with the AVX2 tile's 16-float panels: 384
        assertThat(GemmBlocking.kcMax(32 << 10, false, 48)).isEqualTo(128);
        assertThat(GemmBlocking.kcMax(32 << 10, false, 16)).isEqualTo(384);
        // bounded to 64 .. 512
        assertThat(GemmBlocking.kcMax(8 << 10, false, 48)).isEqualTo(64);
        assertThat(GemmBlocking.kcMax(1 << 20, false, 16)).isEqualTo(512);
        // Zen 4 (32 KB L1d) and Zen 3 alike
        assertThat(GemmBlocking.kcMax(32 << 10, true, 48)).isEqualTo(384);
        assertThat(GemmBlocking.kcMax(32 << 10, true, 16)).isEqualTo(384);
    }

    @Test
    void blocksOfEqualDepth() {
        GemmBlocking bl = new GemmBlocking(384, 128, 8);
        assertThat(bl.kc(768)).isEqualTo(384);
        assertThat(bl.kc(3072)).isEqualTo(384);
        assertThat(bl.kc(385)).isEqualTo(193);
        assertThat(new GemmBlocking(128, 128, 8).kc(3072)).isEqualTo(128);
    }

    @Test
    void vendorIsTheFirstVendorIdLine() {
        List<String> cpuinfo = List.of("processor\t: 0", "vendor_id\t: AuthenticAMD", "cpu family\t: 25",
                "processor\t: 1", "vendor_id\t: GenuineIntel");
        assertThat(GemmBlocking.vendorOf(cpuinfo)).isEqualTo("AuthenticAMD");
        assertThat(GemmBlocking.vendorOf(List.of("processor\t: 0", "model name\t: ARMv8"))).isEmpty();
        assertThat(GemmBlocking.vendorOf(List.of("vendor_id"))).isEmpty();
    }

    @Test
    void cacheSizesAsSysfsWritesThem() {
        assertThat(GemmBlocking.parseSize("48K")).isEqualTo(49152);
        assertThat(GemmBlocking.parseSize("2048K")).isEqualTo(2 << 20);
        assertThat(GemmBlocking.parseSize("2M")).isEqualTo(2 << 20);
        assertThat(GemmBlocking.parseSize("512")).isEqualTo(512);
    }
}
