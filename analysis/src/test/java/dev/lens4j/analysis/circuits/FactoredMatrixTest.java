package dev.lens4j.analysis.circuits;

import dev.lens4j.tensor.Tensor;
import org.ejml.data.Complex_F64;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.CommonOps_DDRM;
import org.ejml.dense.row.factory.DecompositionFactory_DDRM;
import org.ejml.interfaces.decomposition.EigenDecomposition_F64;
import org.ejml.interfaces.decomposition.SingularValueDecomposition_F64;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

class FactoredMatrixTest {

    private static void assertClose(Tensor actual, Tensor expected, float tol) {
        assertThat(actual.shape()).containsExactly(expected.shape());
        assertThat(actual.maxAbsDiff(expected)).as("max |actual - expected|").isLessThanOrEqualTo(tol);
    }

    @Test
    void productsTransposeAndMatmulEqualTheDenseResults() {
        Tensor a = Tensor.randn(1, 3, 20, 5);   // [3, 20, 5]
        Tensor b = Tensor.randn(2, 3, 5, 17);   // [3, 5, 17]
        FactoredMatrix f = FactoredMatrix.of(a, b);
        Tensor dense = a.matmul(b);
        assertThat(f.shape()).containsExactly(3, 20, 17);
        assertClose(f.ab(), dense, 1e-4f);
        assertClose(f.transpose().ab(), dense.mT().contiguous(), 1e-4f);
        Tensor right = Tensor.randn(3, 17, 9);
        assertClose(f.matmul(right).ab(), dense.matmul(right), 1e-3f);
        Tensor left = Tensor.randn(4, 6, 20);
        assertClose(f.leftMatmul(left).ab(), left.matmul(dense), 1e-3f);
        Tensor v = Tensor.randn(5, 17);
        assertClose(f.matmulVector(v), dense.matmul(v), 1e-4f);
        FactoredMatrix g = FactoredMatrix.of(Tensor.randn(6, 17, 4), Tensor.randn(7, 4, 11));
        assertClose(f.matmul(g).ab(), dense.matmul(g.ab()), 1e-3f);
        assertClose(f.get(1).ab(), dense.select(0, 1), 1e-4f);
        assertClose(f.corner(3), dense.slice(1, 0, 3).slice(2, 0, 3), 1e-4f);
        // the cheaper association keeps the inner dimension small
        assertThat(f.matmul(right).mdim()).isEqualTo(5);
        assertThat(f.leftMatmul(left).mdim()).isEqualTo(5);
    }

    @Test
    void svdReconstructsTheProductAndNormMatchesFrobenius() {
        Tensor a = Tensor.randn(11, 2, 30, 6);
        Tensor b = Tensor.randn(12, 2, 6, 25);
        FactoredMatrix f = FactoredMatrix.of(a, b);
        Tensor dense = f.ab();
        Tensor rebuilt = f.u().mul(f.s().unsqueeze(-2)).matmul(f.v().mT());
        assertClose(rebuilt, dense, 1e-3f);
        assertClose(f.collapseR().matmul(f.v().mT()), dense, 1e-3f);
        assertClose(f.u().matmul(f.collapseL()), dense, 1e-3f);
        // U has orthonormal columns
        assertClose(f.u().mT().matmul(f.u()), Tensor.eye(6).broadcastTo(2, 6, 6).contiguous(), 1e-4f);
        // descending singular values, and the norm from them equals the dense Frobenius norm
        float[] s = f.s().select(0, 0).toArray();
        for (int i = 1; i < s.length; i++) {
            assertThat(s[i]).isLessThanOrEqualTo(s[i - 1]);
        }
        for (int i = 0; i < 2; i++) {
            float frob = dense.select(0, i).norm();
            assertThat(f.norm().get(i)).isCloseTo(frob, within(frob * 1e-4f));
            assertThat((float) Math.sqrt(f.s().select(0, i).mul(f.s().select(0, i)).sum())).isCloseTo(frob, within(frob * 1e-4f));
        }
    }

    @Test
    void eigenvaluesOfAHandBuiltProduct() {
        // A B with A = [[1,0],[0,1],[0,0]] and B = [[2,0,0],[0,-3,0]]: eigenvalues of B A = diag(2, -3)
        Tensor a = Tensor.of(new float[] {1, 0, 0, 1, 0, 0}, 3, 2);
        Tensor b = Tensor.of(new float[] {2, 0, 0, 0, -3, 0}, 2, 3);
        ComplexValues e = FactoredMatrix.of(a, b).eigenvalues();
        assertThat(e.real().toArray()).containsExactly(-3f, 2f);
        assertThat(e.imag().toArray()).containsExactly(0f, 0f);
        assertThat(e.positivityScore().item()).isCloseTo(-1f / 5f, within(1e-6f));
        // a rotation by 90 degrees has eigenvalues +-i: positivity 0
        ComplexValues rot = FactoredMatrix.of(Tensor.eye(2), Tensor.of(new float[] {0, -1, 1, 0}, 2, 2)).eigenvalues();
        assertThat(rot.abs().toArray()).containsExactly(new float[] {1f, 1f}, within(1e-6f));
        assertThat(rot.positivityScore().item()).isCloseTo(0f, within(1e-6f));
    }

    /** A matrix of a {@code [rows, cols]} tensor, in double precision. */
    private static DMatrixRMaj dense(Tensor t) {
        float[] f = t.contiguous().toArray();
        DMatrixRMaj m = new DMatrixRMaj(t.dim(0), t.dim(1));
        for (int i = 0; i < f.length; i++) {
            m.data[i] = f[i];
        }
        return m;
    }

    /** The eigenvalues of the dense product {@code A B}, formed in double precision, straight from EJML. */
    private static List<Complex_F64> denseEigenvalues(Tensor a, Tensor b) {
        DMatrixRMaj ab = new DMatrixRMaj(a.dim(0), b.dim(1));
        CommonOps_DDRM.mult(dense(a), dense(b), ab);
        EigenDecomposition_F64<DMatrixRMaj> eig = DecompositionFactory_DDRM.eig(ab.numRows, false);
        assertThat(eig.decompose(ab)).isTrue();
        List<Complex_F64> out = new ArrayList<>();
        for (int i = 0; i < ab.numRows; i++) {
            out.add(eig.getEigenvalue(i));
        }
        return out;
    }

    /** The singular values of the dense product {@code A B}, descending, straight from EJML. */
    private static double[] denseSingularValues(Tensor a, Tensor b) {
        DMatrixRMaj ab = new DMatrixRMaj(a.dim(0), b.dim(1));
        CommonOps_DDRM.mult(dense(a), dense(b), ab);
        SingularValueDecomposition_F64<DMatrixRMaj> svd = DecompositionFactory_DDRM.svd(ab.numRows, ab.numCols, false, false, true);
        assertThat(svd.decompose(ab)).isTrue();
        double[] s = svd.getSingularValues().clone();
        Arrays.sort(s);
        double[] desc = new double[s.length];
        for (int i = 0; i < s.length; i++) {
            desc[i] = s[s.length - 1 - i];
        }
        return desc;
    }

    /**
     * Asserts that the eigenvalues of one factored product (from the small {@code B A}) are the
     * {@code mdim} largest eigenvalues of the dense {@code A B}, matched one to one, and that the
     * other {@code ldim - mdim} dense eigenvalues are zero.
     */
    private static void assertSameNonZeroEigenvalues(float[] re, float[] im, Tensor a, Tensor b) {
        List<Complex_F64> dense = denseEigenvalues(a, b);
        dense.sort((x, y) -> Double.compare(y.getMagnitude(), x.getMagnitude()));
        double scale = dense.get(0).getMagnitude();
        double tol = 1e-4 * scale;
        List<Complex_F64> nonZero = new ArrayList<>(dense.subList(0, re.length));
        for (Complex_F64 z : dense.subList(re.length, dense.size())) {
            assertThat(z.getMagnitude()).as("a dense eigenvalue beyond the rank").isLessThan(tol);
        }
        assertThat(nonZero.get(nonZero.size() - 1).getMagnitude()).as("smallest non-zero eigenvalue").isGreaterThan(100 * tol);
        for (int i = 0; i < re.length; i++) {
            int best = -1;
            double bestDist = Double.MAX_VALUE;
            for (int j = 0; j < nonZero.size(); j++) {
                double dist = Math.hypot(nonZero.get(j).real - re[i], nonZero.get(j).imaginary - im[i]);
                if (dist < bestDist) {
                    bestDist = dist;
                    best = j;
                }
            }
            assertThat(bestDist).as("eigenvalue %f%+fi of B A against the dense A B's %s", re[i], im[i], nonZero).isLessThan(tol);
            nonZero.remove(best);
        }
    }

    @Test
    void eigenvaluesFromBaAreTheNonZeroEigenvaluesOfTheDenseProduct() {
        for (long seed = 1; seed <= 5; seed++) {
            Tensor a = Tensor.randn(seed, 24, 6);
            Tensor b = Tensor.randn(100 + seed, 6, 24);
            ComplexValues e = FactoredMatrix.of(a, b).eigenvalues();
            assertThat(e.real().shape()).containsExactly(6);
            assertSameNonZeroEigenvalues(e.real().toArray(), e.imag().toArray(), a, b);
            // sorted by descending magnitude, conjugate pairs included
            float[] mag = e.abs().toArray();
            for (int i = 1; i < mag.length; i++) {
                assertThat(mag[i]).isLessThanOrEqualTo(mag[i - 1]);
            }
            assertThat(e.imag().sum()).as("imaginary parts of a real matrix's eigenvalues cancel").isCloseTo(0f, within(1e-4f));
        }
    }

    @Test
    void svdHasOrthonormalFactorsAndTheDenseSingularValues() {
        Tensor a = Tensor.randn(21, 3, 30, 6);   // [3, 30, 6]
        Tensor b = Tensor.randn(22, 3, 6, 25);   // [3, 6, 25]
        FactoredMatrix f = FactoredMatrix.of(a, b);
        assertThat(f.u().shape()).containsExactly(3, 30, 6);
        assertThat(f.s().shape()).containsExactly(3, 6);
        assertThat(f.v().shape()).containsExactly(3, 25, 6);
        Tensor eye = Tensor.eye(6).broadcastTo(3, 6, 6).contiguous();
        assertClose(f.u().mT().matmul(f.u()), eye, 1e-4f);
        assertClose(f.v().mT().matmul(f.v()), eye, 1e-4f);
        for (int i = 0; i < 3; i++) {
            float[] s = f.s().select(0, i).toArray();
            double[] expected = denseSingularValues(a.select(0, i), b.select(0, i));
            for (int q = 0; q < s.length; q++) {
                if (q > 0) {
                    assertThat(s[q]).as("S[%d] descending", i).isLessThanOrEqualTo(s[q - 1]);
                }
                assertThat((double) s[q]).as("S[%d][%d]", i, q).isCloseTo(expected[q], within(1e-4 * expected[0]));
            }
            // the dense product has rank 6: the rest of its singular values vanish
            assertThat(expected[6]).isLessThan(1e-4 * expected[0]);
        }
    }

    @Test
    void layerAndHeadLeadingDimensionsMatchTheTwoDimensionalCase() {
        int layers = 2, heads = 3, d = 12, m = 4;
        Tensor a = Tensor.randn(31, layers, heads, d, m);  // [layer, head, d, m]
        Tensor b = Tensor.randn(32, layers, heads, m, d);  // [layer, head, m, d]
        FactoredMatrix f = FactoredMatrix.of(a, b);
        assertThat(f.leadingShape()).containsExactly(layers, heads);
        assertThat(f.shape()).containsExactly(layers, heads, d, d);
        assertThat(f.ab().shape()).containsExactly(layers, heads, d, d);
        assertThat(f.ba().shape()).containsExactly(layers, heads, m, m);
        assertThat(f.norm().shape()).containsExactly(layers, heads);
        assertThat(f.u().shape()).containsExactly(layers, heads, d, m);
        assertThat(f.s().shape()).containsExactly(layers, heads, m);
        assertThat(f.v().shape()).containsExactly(layers, heads, d, m);
        assertThat(f.collapseL().shape()).containsExactly(layers, heads, m, d);
        assertThat(f.collapseR().shape()).containsExactly(layers, heads, d, m);
        assertThat(f.corner(2).shape()).containsExactly(layers, heads, 2, 2);
        assertThat(f.transpose().shape()).containsExactly(layers, heads, d, d);
        ComplexValues eig = f.eigenvalues();
        assertThat(eig.real().shape()).containsExactly(layers, heads, m);
        assertThat(f.get(1).shape()).containsExactly(heads, d, d);
        for (int l = 0; l < layers; l++) {
            for (int h = 0; h < heads; h++) {
                Tensor al = a.select(0, l).select(0, h);
                Tensor bl = b.select(0, l).select(0, h);
                FactoredMatrix single = FactoredMatrix.of(al, bl);    // the 2-D case
                FactoredMatrix sliced = f.get(l, h);
                assertThat(sliced.shape()).containsExactly(d, d);
                assertThat(f.get(l).get(h).shape()).containsExactly(d, d);
                assertClose(f.ab().select(0, l).select(0, h), single.ab(), 1e-5f);
                assertClose(sliced.ab(), single.ab(), 1e-5f);
                assertThat(f.norm().get(l, h)).isCloseTo(single.norm().item(), within(1e-5f * single.norm().item()));
                assertClose(f.s().select(0, l).select(0, h), single.s(), 1e-5f);
                // U and V are unique up to the signs of their columns: compare the rank-1 pieces U[:, q] V[:, q]^T
                Tensor batchedPieces = f.u().select(0, l).select(0, h).mul(f.s().select(0, l).select(0, h).unsqueeze(0))
                        .matmul(f.v().select(0, l).select(0, h).mT());
                assertClose(batchedPieces, single.ab(), 1e-4f);
                for (int q = 0; q < m; q++) {
                    Tensor ub = f.u().select(0, l).select(0, h).select(1, q), us = single.u().select(1, q);
                    float sign = Math.signum(ub.mul(us).sum());
                    assertClose(ub.mul(sign), us, 1e-4f);
                }
                assertClose(f.eigenvalues().real().select(0, l).select(0, h), single.eigenvalues().real(), 1e-5f);
                assertClose(f.eigenvalues().imag().select(0, l).select(0, h), single.eigenvalues().imag(), 1e-5f);
                assertSameNonZeroEigenvalues(eig.real().select(0, l).select(0, h).toArray(),
                        eig.imag().select(0, l).select(0, h).toArray(), al, bl);
                assertClose(f.corner(2).select(0, l).select(0, h), single.ab().slice(0, 0, 2).slice(1, 0, 2), 1e-5f);
            }
        }
        // a per-layer factor broadcasts over the heads: [layer, 1, d, m] x [layer, head, m, d]
        FactoredMatrix shared = FactoredMatrix.of(a.select(1, 0).unsqueeze(1), b);
        assertThat(shared.shape()).containsExactly(layers, heads, d, d);
        assertClose(shared.get(1, 2).ab(), a.select(0, 1).select(0, 0).matmul(b.select(0, 1).select(0, 2)), 1e-5f);
    }

    @Test
    void badShapesAreNamed() {
        assertThatThrownBy(() -> FactoredMatrix.of(Tensor.zeros(4, 3), Tensor.zeros(2, 4)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("[4, 3]").hasMessageContaining("[2, 4]");
        FactoredMatrix f = FactoredMatrix.of(Tensor.zeros(4, 3), Tensor.zeros(3, 5));
        assertThatThrownBy(f::eigenvalues).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("[4, 5]");
        assertThatThrownBy(() -> f.matmul(Tensor.zeros(4, 2))).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("[4, 2]");
        // an index outside a leading dimension names which one (it named an axis of the already indexed tensor)
        FactoredMatrix stacked = FactoredMatrix.of(Tensor.zeros(2, 4, 6, 3), Tensor.zeros(2, 4, 3, 6));
        assertThatThrownBy(() -> stacked.get(0, 99)).hasMessage("index 99 of [0, 99] is outside leading dimension 1 of [2, 4] "
                + "(4 there; negative indices count from the end)");
        assertThat(stacked.get(1, -1).ab().shape()).containsExactly(6, 6);
    }
}
