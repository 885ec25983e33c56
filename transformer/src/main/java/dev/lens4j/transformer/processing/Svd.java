package dev.lens4j.transformer.processing;

import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.SingularOps_DDRM;
import org.ejml.dense.row.factory.DecompositionFactory_DDRM;
import org.ejml.interfaces.decomposition.SingularValueDecomposition_F64;

/**
 * Thin singular value decomposition {@code A = U diag(S) V^T} of a tall matrix in double precision,
 * computed by EJML. It is used on per-head matrices of at most {@code [d_model + 1, d_head]}.
 *
 * <p>Columns are stored as separate arrays ({@code u[j]} is column j of U), the layout the weight
 * refactoring reads and writes.
 */
final class Svd {

    /** Columns of U: {@code n} arrays of length {@code m}, orthonormal. */
    final double[][] u;
    /** Singular values, {@code n} of them, descending. */
    final double[] s;
    /** Columns of V: {@code n} arrays of length {@code n}, orthonormal. */
    final double[][] v;

    private Svd(double[][] u, double[] s, double[][] v) {
        this.u = u;
        this.s = s;
        this.v = v;
    }

    /**
     * @param cols the matrix as {@code n} columns of length {@code m}, {@code m >= n}; not modified
     * @return its thin SVD
     * @throws IllegalArgumentException if the matrix is wider than tall
     * @throws IllegalStateException if EJML's decomposition fails (a matrix with NaN or infinite entries)
     */
    static Svd ofColumns(double[][] cols) {
        int n = cols.length;
        int m = cols[0].length;
        if (m < n) {
            throw new IllegalArgumentException("Svd needs a tall matrix, got " + m + " rows and " + n + " columns");
        }
        DMatrixRMaj a = new DMatrixRMaj(m, n);
        for (int j = 0; j < n; j++) {
            for (int i = 0; i < m; i++) {
                a.unsafe_set(i, j, cols[j][i]);
            }
        }
        SingularValueDecomposition_F64<DMatrixRMaj> dec = DecompositionFactory_DDRM.svd(m, n, true, true, true);
        if (!dec.decompose(a)) {
            throw new IllegalStateException("the SVD of a " + m + "x" + n + " matrix did not converge");
        }
        DMatrixRMaj u = dec.getU(null, false);  // [m, n]
        DMatrixRMaj w = dec.getW(null);         // [n, n], diagonal
        DMatrixRMaj v = dec.getV(null, false);  // [n, n]
        SingularOps_DDRM.descendingOrder(u, false, w, v, false);
        double[] s = new double[n];
        for (int j = 0; j < n; j++) {
            s[j] = w.get(j, j);
        }
        return new Svd(columns(u), s, columns(v));
    }

    private static double[][] columns(DMatrixRMaj x) {
        double[][] out = new double[x.numCols][x.numRows];
        for (int i = 0; i < x.numRows; i++) {
            for (int j = 0; j < x.numCols; j++) {
                out[j][i] = x.unsafe_get(i, j);
            }
        }
        return out;
    }
}
