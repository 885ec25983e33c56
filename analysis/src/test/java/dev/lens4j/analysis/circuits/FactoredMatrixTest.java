package dev.lens4j.analysis.circuits;

import dev.lens4j.tensor.Tensor;
import org.junit.jupiter.api.Test;

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

    @Test
    void badShapesAreNamed() {
        assertThatThrownBy(() -> FactoredMatrix.of(Tensor.zeros(4, 3), Tensor.zeros(2, 4)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("[4, 3]").hasMessageContaining("[2, 4]");
        FactoredMatrix f = FactoredMatrix.of(Tensor.zeros(4, 3), Tensor.zeros(3, 5));
        assertThatThrownBy(f::eigenvalues).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("[4, 5]");
        assertThatThrownBy(() -> f.matmul(Tensor.zeros(4, 2))).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("[4, 2]");
    }
}
