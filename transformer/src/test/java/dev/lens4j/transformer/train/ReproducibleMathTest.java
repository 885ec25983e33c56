package dev.lens4j.transformer.train;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class ReproducibleMathTest {

    @Test
    void expIsWithinAFewUlpOfStrictMath() {
        double worst = 0;
        for (float x = -87f; x <= 88.5f; x += 0.00731f) {
            double exact = StrictMath.exp(x);
            double rel = Math.abs(ReproducibleMath.exp(x) - exact) / exact;
            worst = Math.max(worst, rel);
        }
        assertThat(worst).isLessThan(3e-7);
        assertThat(ReproducibleMath.exp(0f)).isEqualTo(1f);
        assertThat(ReproducibleMath.exp(Float.NEGATIVE_INFINITY)).isEqualTo(0f);
        assertThat(ReproducibleMath.exp(-200f)).isEqualTo(0f);
        assertThat(ReproducibleMath.exp(100f)).isEqualTo(Float.POSITIVE_INFINITY);
        assertThat(ReproducibleMath.exp(Float.NaN)).isNaN();
    }

    @Test
    void tanhIsCloseToStrictMathAndOdd() {
        double worst = 0;
        for (float x = -12f; x <= 12f; x += 0.00377f) {
            double exact = StrictMath.tanh(x);
            worst = Math.max(worst, Math.abs(ReproducibleMath.tanh(x) - exact) / Math.max(Math.abs(exact), 1e-30));
            assertThat(ReproducibleMath.tanh(-x)).isEqualTo(-ReproducibleMath.tanh(x));
        }
        assertThat(worst).isLessThan(5e-6);
        assertThat(ReproducibleMath.tanh(0f)).isZero();
    }
}
