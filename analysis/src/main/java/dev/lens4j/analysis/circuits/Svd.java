package dev.lens4j.analysis.circuits;

import dev.lens4j.tensor.Shapes;
import dev.lens4j.tensor.Tensor;

import java.util.Arrays;

/**
 * A thin singular value decomposition {@code M = U diag(S) V^T} per leading index, with singular
 * values in descending order.
 *
 * @param u {@code [..., ldim, k]} orthonormal columns
 * @param s {@code [..., k]} singular values, descending
 * @param v {@code [..., rdim, k]} orthonormal columns (V, not V^T)
 */
public record Svd(Tensor u, Tensor s, Tensor v) {

    /**
     * The SVD of {@code A B} from the SVDs of the factors and of the small middle matrix
     * {@code diag(Sa) Va^T Ub diag(Sb)}, as TransformerLens does; the product is never formed.
     *
     * @param a {@code [..., l, m]}
     * @param b {@code [..., m, r]} (same leading shape)
     * @return the decomposition, {@code k = min(l, m, r)}
     */
    static Svd of(Tensor a, Tensor b) {
        int[] lead = Arrays.copyOf(a.shape(), a.rank() - 2);
        int n = Shapes.numel(lead);
        int l = a.dim(-2), m = a.dim(-1), r = b.dim(-1);
        Tensor a3 = a.reshape(n, l, m);
        Tensor b3 = b.reshape(n, m, r);
        int k = Math.min(l, Math.min(m, r));
        float[] uOut = new float[n * l * k];
        float[] sOut = new float[n * k];
        float[] vOut = new float[n * r * k];
        dev.lens4j.tensor.Parallel.forRange(n, 1, (start, end) -> {
            for (int i = start; i < end; i++) {
                Linalg.Decomposition da = Linalg.svd(a3.select(0, i));
                Linalg.Decomposition db = Linalg.svd(b3.select(0, i));
                // middle = diag(Sa) Va^T Ub diag(Sb): [ka, kb]
                double[][] middle = Linalg.multiply(Linalg.scaleRows(Linalg.transpose(da.v()), da.s()),
                        Linalg.scaleColumns(db.u(), db.s()));
                Linalg.Decomposition dm = Linalg.svd(middle);
                double[][] uu = Linalg.multiply(da.u(), dm.u()); // [l, kk]
                double[][] vv = Linalg.multiply(db.v(), dm.v()); // [r, kk]
                for (int p = 0; p < l; p++) {
                    for (int q = 0; q < k; q++) {
                        uOut[(i * l + p) * k + q] = q < uu[p].length ? (float) uu[p][q] : 0f;
                    }
                }
                for (int p = 0; p < r; p++) {
                    for (int q = 0; q < k; q++) {
                        vOut[(i * r + p) * k + q] = q < vv[p].length ? (float) vv[p][q] : 0f;
                    }
                }
                for (int q = 0; q < k; q++) {
                    sOut[i * k + q] = q < dm.s().length ? (float) dm.s()[q] : 0f;
                }
            }
        });
        int[] us = Arrays.copyOf(lead, lead.length + 2);
        us[lead.length] = l;
        us[lead.length + 1] = k;
        int[] ss = Arrays.copyOf(lead, lead.length + 1);
        ss[lead.length] = k;
        int[] vs = Arrays.copyOf(lead, lead.length + 2);
        vs[lead.length] = r;
        vs[lead.length + 1] = k;
        return new Svd(Tensor.of(uOut, us), Tensor.of(sOut, ss), Tensor.of(vOut, vs));
    }
}
