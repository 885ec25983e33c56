package dev.lens4j.tensor.kernel;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * The reproducible kernels' functions against {@link StrictMath}, and their reductions and row
 * operations against the scalar oracle's {@code double} sums: the same results to float32 round-off
 * (the bits are checked across JVMs and vector widths by the trainer's DeterminismTest).
 */
class ReproducibleKernelsTest {

    private static final Kernels R = ReproducibleKernels.INSTANCE;
    private static final Kernels S = ScalarKernels.INSTANCE;

    @Test
    void expIsWithinAFewUlpOfStrictMath() {
        double worst = 0;
        for (float x = -87f; x <= 88.5f; x += 0.00731f) {
            double exact = StrictMath.exp(x);
            worst = Math.max(worst, Math.abs(ReproducibleKernels.exp(x) - exact) / exact);
        }
        assertThat(worst).isLessThan(3e-7);
        assertThat(ReproducibleKernels.exp(0f)).isEqualTo(1f);
        assertThat(ReproducibleKernels.exp(Float.NEGATIVE_INFINITY)).isEqualTo(0f);
        assertThat(ReproducibleKernels.exp(-200f)).isEqualTo(0f);
        assertThat(ReproducibleKernels.exp(100f)).isEqualTo(Float.POSITIVE_INFINITY);
        assertThat(ReproducibleKernels.exp(88.7f) / StrictMath.exp(88.7f)).isCloseTo(1.0, within(3e-7)); // 2^k scaled in two steps
        assertThat(ReproducibleKernels.exp(Float.NaN)).isNaN();
    }

    @Test
    void tanhIsCloseToStrictMathAndOdd() {
        double worst = 0;
        for (float x = -12f; x <= 12f; x += 0.00377f) {
            double exact = StrictMath.tanh(x);
            worst = Math.max(worst, Math.abs(ReproducibleKernels.tanh(x) - exact) / Math.max(Math.abs(exact), 1e-30));
            assertThat(ReproducibleKernels.tanh(-x)).isEqualTo(-ReproducibleKernels.tanh(x));
        }
        assertThat(worst).isLessThan(5e-6);
        assertThat(ReproducibleKernels.tanh(0f)).isZero();
    }

    @ParameterizedTest(name = "n = {0}")
    @ValueSource(ints = {1, 7, 8, 9, 47, 64, 768, 4099})
    void reductionsAndRowsAgreeWithTheDoubleOracle(int n) {
        SplittableRandom rng = new SplittableRandom(n);
        float[] a = new float[n + 3], b = new float[n + 5];
        double abs = 0, abs2 = 0;
        for (int i = 0; i < a.length; i++) {
            a[i] = (float) (rng.nextDouble() * 8 - 4);
        }
        for (int i = 0; i < b.length; i++) {
            b[i] = (float) (rng.nextDouble() * 2 - 1);
        }
        for (int i = 0; i < n; i++) {
            abs += Math.abs(a[3 + i]);
            abs2 += Math.abs(a[3 + i] * b[5 + i]);
        }
        // a float sum in 8 chains of n/8 terms: error below (n/8 + 3) ulp of the sum of |terms|
        double ulp = Math.ulp(1f);
        assertThat(R.sum(a, 3, n)).isCloseTo(S.sum(a, 3, n), within((float) ((n / 8.0 + 4) * ulp * abs)));
        assertThat(R.dot(a, 3, b, 5, n)).isCloseTo(S.dot(a, 3, b, 5, n), within((float) ((n / 8.0 + 4) * ulp * abs2)));
        assertThat(R.max(a, 3, n)).isEqualTo(S.max(a, 3, n));
        float[] r = new float[n], s = new float[n];
        R.softmax(a, 3, r, 0, n);
        S.softmax(a, 3, s, 0, n);
        for (int i = 0; i < n; i++) {
            assertThat(r[i]).as("softmax %d", i).isCloseTo(s[i], within((float) (1e-6 * Math.max(s[i], 1e-3))));
        }
        R.logSoftmax(a, 3, r, 0, n);
        S.logSoftmax(a, 3, s, 0, n);
        for (int i = 0; i < n; i++) {
            assertThat(r[i]).as("logSoftmax %d", i).isCloseTo(s[i], within(2e-5f));
        }
        float scaleR = R.layerNorm(a, 3, b, 5, b, 0, 1e-5f, r, 0, n);
        float scaleS = S.layerNorm(a, 3, b, 5, b, 0, 1e-5f, s, 0, n);
        assertThat(scaleR).isCloseTo(scaleS, within(1e-5f * scaleS));
        for (int i = 0; i < n; i++) {
            assertThat(r[i]).as("layerNorm %d", i).isCloseTo(s[i], within(2e-5f));
        }
        R.geluNew(a, 3, r, 0, n);
        S.geluNew(a, 3, s, 0, n);
        for (int i = 0; i < n; i++) {
            assertThat(r[i]).as("gelu_new %d", i).isCloseTo(s[i], within(2e-5f));
        }
    }
}
