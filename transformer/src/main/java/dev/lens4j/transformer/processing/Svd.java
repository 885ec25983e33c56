package dev.lens4j.transformer.processing;

/**
 * Thin singular value decomposition {@code A = U diag(S) V^T} of a tall matrix by one-sided Jacobi
 * rotations (Hestenes), in double precision. Small and accurate rather than fast: it is used on
 * per-head matrices of at most {@code [d_model + 1, d_head]}.
 *
 * <p>Columns are stored as separate arrays ({@code u[j]} is column j of U), because every rotation
 * works on two whole columns.
 */
final class Svd {

    private static final int MAX_SWEEPS = 100;
    private static final double TOLERANCE = 1e-15;

    /** Columns of U: {@code n} arrays of length {@code m}, orthonormal (zero where S is zero). */
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
     */
    static Svd ofColumns(double[][] cols) {
        int n = cols.length;
        int m = cols[0].length;
        if (m < n) {
            throw new IllegalArgumentException("Svd needs a tall matrix, got " + m + " rows and " + n + " columns");
        }
        double[][] a = new double[n][];
        double[][] v = new double[n][n];
        for (int j = 0; j < n; j++) {
            a[j] = cols[j].clone();
            v[j][j] = 1;
        }
        for (int sweep = 0; sweep < MAX_SWEEPS; sweep++) {
            boolean rotated = false;
            for (int p = 0; p < n - 1; p++) {
                for (int q = p + 1; q < n; q++) {
                    double alpha = dot(a[p], a[p]);
                    double beta = dot(a[q], a[q]);
                    double gamma = dot(a[p], a[q]);
                    if (gamma == 0 || Math.abs(gamma) <= TOLERANCE * Math.sqrt(alpha * beta)) {
                        continue;
                    }
                    rotated = true;
                    // The rotation that makes columns p and q orthogonal (Golub and Van Loan 8.4).
                    double zeta = (beta - alpha) / (2 * gamma);
                    double t = Math.signum(zeta) / (Math.abs(zeta) + Math.sqrt(1 + zeta * zeta));
                    if (zeta == 0) {
                        t = 1;
                    }
                    double c = 1 / Math.sqrt(1 + t * t);
                    double sn = c * t;
                    rotate(a[p], a[q], c, sn);
                    rotate(v[p], v[q], c, sn);
                }
            }
            if (!rotated) {
                break;
            }
        }
        double[] s = new double[n];
        for (int j = 0; j < n; j++) {
            s[j] = Math.sqrt(dot(a[j], a[j]));
            for (int i = 0; i < m; i++) {
                a[j][i] = s[j] > 0 ? a[j][i] / s[j] : 0;
            }
        }
        // Sort descending by singular value (selection sort: n is at most a few hundred).
        for (int i = 0; i < n; i++) {
            int best = i;
            for (int j = i + 1; j < n; j++) {
                if (s[j] > s[best]) {
                    best = j;
                }
            }
            if (best != i) {
                double ts = s[i];
                s[i] = s[best];
                s[best] = ts;
                double[] tu = a[i];
                a[i] = a[best];
                a[best] = tu;
                double[] tv = v[i];
                v[i] = v[best];
                v[best] = tv;
            }
        }
        return new Svd(a, s, v);
    }

    private static double dot(double[] x, double[] y) {
        double acc = 0;
        for (int i = 0; i < x.length; i++) {
            acc += x[i] * y[i];
        }
        return acc;
    }

    private static void rotate(double[] x, double[] y, double c, double s) {
        for (int i = 0; i < x.length; i++) {
            double xi = x[i];
            double yi = y[i];
            x[i] = c * xi - s * yi;
            y[i] = s * xi + c * yi;
        }
    }
}
