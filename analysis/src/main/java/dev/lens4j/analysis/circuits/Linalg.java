package dev.lens4j.analysis.circuits;

import dev.lens4j.tensor.Shapes;
import dev.lens4j.tensor.Tensor;
import org.ejml.data.Complex_F64;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.SingularOps_DDRM;
import org.ejml.dense.row.factory.DecompositionFactory_DDRM;
import org.ejml.interfaces.decomposition.EigenDecomposition_F64;
import org.ejml.interfaces.decomposition.SingularValueDecomposition_F64;

import java.util.Arrays;
import java.util.Comparator;

/**
 * Small dense decompositions in double precision, delegated to EJML: the thin SVD and the
 * eigenvalues of a non-symmetric matrix. Only for the small matrices of circuit analysis
 * ({@code d_model x d_head} factors, {@code d_head x d_head} middles).
 */
final class Linalg {

    private Linalg() {}

    /** A thin SVD in double precision: {@code M = U diag(s) V^T}, s descending. */
    record Decomposition(double[][] u, double[] s, double[][] v) {}

    static Decomposition svd(Tensor m) {
        if (m.rank() != 2) {
            throw new IllegalArgumentException("svd needs a matrix, got shape " + Shapes.str(m.shape()));
        }
        int rows = m.dim(0), cols = m.dim(1);
        float[] f = m.toArray();
        double[][] d = new double[rows][cols];
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < cols; j++) {
                d[i][j] = f[i * cols + j];
            }
        }
        return svd(d);
    }

    static Decomposition svd(double[][] m) {
        int rows = m.length, cols = rows == 0 ? 0 : m[0].length;
        int k = Math.min(rows, cols);
        if (k == 0) {
            return new Decomposition(new double[rows][0], new double[0], new double[cols][0]);
        }
        DMatrixRMaj x = new DMatrixRMaj(m);
        SingularValueDecomposition_F64<DMatrixRMaj> dec = DecompositionFactory_DDRM.svd(rows, cols, true, true, true);
        if (!dec.decompose(x)) {
            throw new IllegalStateException("SVD did not converge for a " + rows + "x" + cols + " matrix");
        }
        DMatrixRMaj u = dec.getU(null, false);
        DMatrixRMaj w = dec.getW(null);
        DMatrixRMaj v = dec.getV(null, false);
        SingularOps_DDRM.descendingOrder(u, false, w, v, false);
        double[] s = new double[k];
        for (int i = 0; i < k; i++) {
            s[i] = w.get(i, i);
        }
        return new Decomposition(toArray(u, rows, k), s, toArray(v, cols, k));
    }

    private static double[][] toArray(DMatrixRMaj m, int rows, int cols) {
        double[][] out = new double[rows][cols];
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < cols; j++) {
                out[i][j] = m.get(i, j);
            }
        }
        return out;
    }

    /**
     * Eigenvalues of each square matrix in {@code [..., n, n]}, sorted by descending magnitude
     * (then by real part, then imaginary part, so the order is deterministic).
     */
    static ComplexValues eigenvalues(Tensor m) {
        int n = m.dim(-1);
        if (m.dim(-2) != n) {
            throw new IllegalArgumentException("eigenvalues need square matrices, got shape " + Shapes.str(m.shape()));
        }
        int[] lead = Arrays.copyOf(m.shape(), m.rank() - 2);
        int count = Shapes.numel(lead);
        float[] all = m.reshape(count, n, n).toArray();
        float[] re = new float[count * n];
        float[] im = new float[count * n];
        dev.lens4j.tensor.Parallel.forRange(count, 1, (start, end) -> {
            for (int c = start; c < end; c++) {
                DMatrixRMaj x = new DMatrixRMaj(n, n);
                for (int i = 0; i < n * n; i++) {
                    x.data[i] = all[c * n * n + i];
                }
                EigenDecomposition_F64<DMatrixRMaj> eig = DecompositionFactory_DDRM.eig(n, false);
                if (!eig.decompose(x)) {
                    throw new IllegalStateException("eigen decomposition did not converge for a " + n + "x" + n + " matrix");
                }
                Complex_F64[] vals = new Complex_F64[n];
                for (int i = 0; i < n; i++) {
                    vals[i] = eig.getEigenvalue(i);
                }
                Arrays.sort(vals, Comparator.comparingDouble((Complex_F64 z) -> -z.getMagnitude())
                        .thenComparingDouble(z -> -z.real).thenComparingDouble(z -> -z.imaginary));
                for (int i = 0; i < n; i++) {
                    re[c * n + i] = (float) vals[i].real;
                    im[c * n + i] = (float) vals[i].imaginary;
                }
            }
        });
        int[] shape = Arrays.copyOf(lead, lead.length + 1);
        shape[lead.length] = n;
        return new ComplexValues(Tensor.of(re, shape), Tensor.of(im, shape));
    }

    static double[][] transpose(double[][] m) {
        int rows = m.length, cols = rows == 0 ? 0 : m[0].length;
        double[][] t = new double[cols][rows];
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < cols; j++) {
                t[j][i] = m[i][j];
            }
        }
        return t;
    }

    static double[][] multiply(double[][] x, double[][] y) {
        int n = x.length, k = y.length, m = k == 0 ? 0 : y[0].length;
        double[][] out = new double[n][m];
        for (int i = 0; i < n; i++) {
            for (int p = 0; p < k; p++) {
                double v = x[i][p];
                if (v == 0) {
                    continue;
                }
                for (int j = 0; j < m; j++) {
                    out[i][j] += v * y[p][j];
                }
            }
        }
        return out;
    }

    /** {@code diag(s) m}: row i scaled by s[i]. */
    static double[][] scaleRows(double[][] m, double[] s) {
        double[][] out = new double[m.length][];
        for (int i = 0; i < m.length; i++) {
            out[i] = m[i].clone();
            for (int j = 0; j < out[i].length; j++) {
                out[i][j] *= s[i];
            }
        }
        return out;
    }

    /** {@code m diag(s)}: column j scaled by s[j]. */
    static double[][] scaleColumns(double[][] m, double[] s) {
        double[][] out = new double[m.length][];
        for (int i = 0; i < m.length; i++) {
            out[i] = m[i].clone();
            for (int j = 0; j < out[i].length; j++) {
                out[i][j] *= s[j];
            }
        }
        return out;
    }
}
