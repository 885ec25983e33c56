package dev.lens4j.transformer.processing;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SvdTest {

    @Test
    void reconstructsTallMatricesWithOrthonormalFactors() {
        SplittableRandom r = new SplittableRandom(11);
        for (int[] mn : new int[][] {{1, 1}, {5, 3}, {13, 13}, {33, 8}, {65, 16}}) {
            int m = mn[0], n = mn[1];
            double[][] cols = new double[n][m];
            for (double[] c : cols) {
                for (int i = 0; i < m; i++) {
                    c[i] = r.nextGaussian();
                }
            }
            Svd s = Svd.ofColumns(cols);
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    double a = 0;
                    for (int k = 0; k < n; k++) {
                        a += s.u[k][i] * s.s[k] * s.v[k][j];
                    }
                    assertThat(a).isCloseTo(cols[j][i], org.assertj.core.data.Offset.offset(1e-10));
                }
            }
            for (int p = 0; p < n; p++) {
                if (p > 0) {
                    assertThat(s.s[p]).isLessThanOrEqualTo(s.s[p - 1]);
                }
                for (int q = 0; q < n; q++) {
                    assertThat(dot(s.u[p], s.u[q])).isCloseTo(p == q ? 1 : 0, org.assertj.core.data.Offset.offset(1e-10));
                    assertThat(dot(s.v[p], s.v[q])).isCloseTo(p == q ? 1 : 0, org.assertj.core.data.Offset.offset(1e-10));
                }
            }
        }
    }

    @Test
    void rankDeficientMatrixGetsZeroSingularValuesAndOrthonormalFactors() {
        // Two equal columns and a zero column: rank 1.
        double[][] cols = {{1, 2, 3, 4}, {1, 2, 3, 4}, {0, 0, 0, 0}};
        Svd s = Svd.ofColumns(cols);
        assertThat(s.s[0]).isCloseTo(Math.sqrt(60), org.assertj.core.data.Offset.offset(1e-12));
        assertThat(s.s[1]).isCloseTo(0, org.assertj.core.data.Offset.offset(1e-12));
        assertThat(s.s[2]).isCloseTo(0, org.assertj.core.data.Offset.offset(1e-12));
        for (int p = 0; p < 3; p++) {
            for (int q = 0; q < 3; q++) {
                assertThat(dot(s.u[p], s.u[q])).isCloseTo(p == q ? 1 : 0, org.assertj.core.data.Offset.offset(1e-10));
                assertThat(dot(s.v[p], s.v[q])).isCloseTo(p == q ? 1 : 0, org.assertj.core.data.Offset.offset(1e-10));
            }
        }
    }

    @Test
    void aWideMatrixIsRefused() {
        assertThatThrownBy(() -> Svd.ofColumns(new double[][] {{1, 2}, {3, 4}, {5, 6}}))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("Svd needs a tall matrix, got 2 rows and 3 columns");
    }

    @Test
    void aMatrixWithNaNIsRefused() {
        assertThatThrownBy(() -> Svd.ofColumns(new double[][] {{1, Double.NaN, 3}, {4, 5, 6}}))
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("the SVD of a 3x2 matrix did not converge");
    }

    private static double dot(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += a[i] * b[i];
        }
        return s;
    }
}
