package dev.lens4j.tensor.matmul;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.List;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Packing a row-major A panel through a kernel's {@link GemmMicroKernel#packAPanel} writes the micro-panel
 * layout element for element ({@code dst[d + p * mr + r] = A[i + r, p0 + p]}), for depths with and
 * without a tail after whole vectors (which {@link GemmPacking#packA} packs after the kernel), and touches
 * nothing outside the panel. The 8 x 3 tile with 16 lanes (AVX-512) must have the fast path and pack every
 * whole 16 steps; the others may not (their panels are then packed element by element).
 */
class PackAPanelTest {

    static List<GemmMicroKernel> kernels() {
        return List.of(GemmKernels.panama(), GemmKernels.panama(8, 3), GemmKernels.panama(4, 2), GemmKernels.scalar());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("kernels")
    void aPackedPanelHoldsTheRowsStepByStep(GemmMicroKernel kern) {
        SplittableRandom rnd = new SplittableRandom(5);
        int mr = kern.mr();
        boolean fast = false;
        for (int kc : new int[] {1, 7, 8, 16, 37, 384}) {
            int p0 = 2, rowStride = p0 + kc + 13, base = 9;
            float[] src = new float[base + mr * rowStride];
            for (int i = 0; i < src.length; i++) {
                src[i] = (float) rnd.nextDouble(-1, 1);
            }
            int d = 3;
            float[] dst = new float[d + mr * kc + 5];
            java.util.Arrays.fill(dst, Float.NaN);
            int steps = kern.packAPanel(src, base + p0, rowStride, kc, dst.clone(), d);
            if (steps > 0) {
                fast = true;
                assertThat(steps).as(kern.name() + ", kc " + kc + ": whole vectors of steps").isEqualTo(kc / 16 * 16);
            }
            // A [mr, p0 + kc] at src[base + r * rowStride + c]; its columns p0 .. p0+kc-1 make a panel of kc steps
            MatrixOperand a = new MatrixOperand(src, null, base, mr, p0 + kc, rowStride, 1);
            GemmPacking.packA(kern, a, 0, mr, p0, kc, mr, dst, d);
            for (int p = 0; p < kc; p++) {
                for (int r = 0; r < mr; r++) {
                    assertThat(dst[d + p * mr + r]).as(kern.name() + ", kc " + kc + ", step " + p + ", row " + r)
                            .isEqualTo(src[base + r * rowStride + p0 + p]);
                }
            }
            for (int o : new int[] {0, 1, 2, d + mr * kc, dst.length - 1}) {
                assertThat(dst[o]).as(kern.name() + ", kc " + kc + ": outside the panel at " + o).isNaN();
            }
        }
        if (kern.nrStep() == 16 && mr == 8) {
            assertThat(fast).as(kern.name() + " packs its A panels in registers").isTrue();
        }
    }
}
