package dev.lens4j.tensor.matmul;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.List;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A kernel's {@link GemmMicroKernel#packAPanel} writes the micro-panel layout element for element
 * ({@code dst[d + p * mr + r] = A[i + r, p0 + p]}), for depths with and without a tail after whole
 * vectors, and touches nothing outside the panel. The 8 x 3 tile with 16 lanes (AVX-512) must have the
 * fast path; the others may not (their panels are then packed element by element, which GemmTest covers).
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
            int rowStride = kc + 13, base = 9;
            float[] src = new float[base + mr * rowStride];
            for (int i = 0; i < src.length; i++) {
                src[i] = (float) rnd.nextDouble(-1, 1);
            }
            int d = 3;
            float[] dst = new float[d + mr * kc + 5];
            java.util.Arrays.fill(dst, Float.NaN);
            if (!kern.packAPanel(src, base, rowStride, kc, dst, d)) {
                continue;   // no fast path: the generic packing is used, which GemmTest covers
            }
            fast = true;
            for (int p = 0; p < kc; p++) {
                for (int r = 0; r < mr; r++) {
                    assertThat(dst[d + p * mr + r]).as(kern.name() + ", kc " + kc + ", step " + p + ", row " + r)
                            .isEqualTo(src[base + r * rowStride + p]);
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
