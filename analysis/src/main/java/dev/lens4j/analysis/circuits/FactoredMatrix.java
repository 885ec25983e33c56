package dev.lens4j.analysis.circuits;

import dev.lens4j.tensor.Shapes;
import dev.lens4j.tensor.Tensor;

import java.util.Arrays;

/**
 * A matrix kept as the product of two factors, {@code M = A B}, with optional leading dimensions
 * (for example {@code [n_layers, n_heads]}): {@code A [..., ldim, mdim]}, {@code B [..., mdim, rdim]}.
 *
 * <p>As in TransformerLens's {@code FactoredMatrix}, nothing is multiplied out that can stay
 * factored: a QK circuit of GPT-2 small is {@code [768, 64] x [64, 768]} and never becomes a
 * {@code 768 x 768} matrix unless {@link #ab()} is asked for. Multiplication by a dense matrix on
 * either side picks the cheaper association; the SVD is computed from SVDs of the two thin factors
 * and of the small {@code mdim x mdim} middle matrix, and cached.
 *
 * <pre>{@code
 * FactoredMatrix qk = FactoredMatrix.of(wQ, wK.mT());   // [n_heads, d_model, d_model], rank d_head
 * Tensor norms = qk.norm();                              // [n_heads]
 * FactoredMatrix head3 = qk.get(3);                      // [d_model, d_model]
 * ComplexValues eig = FactoredMatrix.of(wV, wO).eigenvalues();  // [n_heads, d_head] from B A
 * }</pre>
 */
public final class FactoredMatrix {

    private final Tensor a;   // [..., ldim, mdim]
    private final Tensor b;   // [..., mdim, rdim]
    private final int[] leading;
    private volatile Svd svd; // computed on first use

    private FactoredMatrix(Tensor a, Tensor b) {
        this.a = a;
        this.b = b;
        this.leading = Arrays.copyOf(a.shape(), a.rank() - 2);
    }

    /**
     * The product {@code a b}, kept factored.
     *
     * @param a {@code [..., ldim, mdim]}
     * @param b {@code [..., mdim, rdim]}; leading dimensions broadcast with {@code a}'s
     * @return the factored product {@code a b}
     * @throws IllegalArgumentException naming both shapes when the inner dimensions differ or the
     *         leading dimensions do not broadcast
     */
    public static FactoredMatrix of(Tensor a, Tensor b) {
        if (a.rank() < 2 || b.rank() < 2) {
            throw new IllegalArgumentException("FactoredMatrix needs factors of rank >= 2, got "
                    + Shapes.str(a.shape()) + " and " + Shapes.str(b.shape()));
        }
        if (a.dim(-1) != b.dim(-2)) {
            throw new IllegalArgumentException("FactoredMatrix: inner dimensions of " + Shapes.str(a.shape()) + " and "
                    + Shapes.str(b.shape()) + " differ (" + a.dim(-1) + " != " + b.dim(-2) + ")");
        }
        int[] la = Arrays.copyOf(a.shape(), a.rank() - 2);
        int[] lb = Arrays.copyOf(b.shape(), b.rank() - 2);
        int[] lead = Shapes.broadcast(la, lb);
        return new FactoredMatrix(a.broadcastTo(concat(lead, a.dim(-2), a.dim(-1))),
                b.broadcastTo(concat(lead, b.dim(-2), b.dim(-1))));
    }

    private static int[] concat(int[] lead, int x, int y) {
        int[] s = Arrays.copyOf(lead, lead.length + 2);
        s[lead.length] = x;
        s[lead.length + 1] = y;
        return s;
    }

    /**
     * The left factor.
     *
     * @return the left factor {@code [..., ldim, mdim]}
     */
    public Tensor a() {
        return a;
    }

    /**
     * The right factor.
     *
     * @return the right factor {@code [..., mdim, rdim]}
     */
    public Tensor b() {
        return b;
    }

    /**
     * The number of rows of the product.
     *
     * @return rows of the product
     */
    public int ldim() {
        return a.dim(-2);
    }

    /**
     * The inner dimension, which bounds the rank.
     *
     * @return the inner (rank-bounding) dimension
     */
    public int mdim() {
        return a.dim(-1);
    }

    /**
     * The number of columns of the product.
     *
     * @return columns of the product
     */
    public int rdim() {
        return b.dim(-1);
    }

    /**
     * The leading (batch) dimensions.
     *
     * @return the leading dimensions, e.g. {@code [n_layers, n_heads]}
     */
    public int[] leadingShape() {
        return leading.clone();
    }

    /**
     * The shape of the product.
     *
     * @return the shape of the product, {@code [..., ldim, rdim]}
     */
    public int[] shape() {
        return concat(leading, ldim(), rdim());
    }

    /**
     * Multiplies the product out.
     *
     * @return the dense product {@code A B}, {@code [..., ldim, rdim]}
     */
    public Tensor ab() {
        return a.matmul(b);
    }

    /**
     * Multiplies the factors the other way round, into the small square matrix whose eigenvalues are
     * the product's non-zero ones.
     *
     * @return the dense product {@code B A}, {@code [..., mdim, mdim]}; same non-zero eigenvalues as {@code A B}
     * @throws IllegalArgumentException when {@code ldim != rdim}
     */
    public Tensor ba() {
        requireSquare("BA");
        return b.matmul(a);
    }

    private void requireSquare(String what) {
        if (ldim() != rdim()) {
            throw new IllegalArgumentException(what + " needs a square FactoredMatrix, shape is " + Shapes.str(shape()));
        }
    }

    /**
     * The transpose, still factored.
     *
     * @return the transpose {@code B^T A^T} (no copy)
     */
    public FactoredMatrix transpose() {
        return new FactoredMatrix(b.mT(), a.mT());
    }

    /**
     * {@code this @ other}, keeping the result factored with the cheaper association: when
     * {@code rdim > mdim} the product is {@code A (B other)}, otherwise {@code (A B) other}.
     *
     * @param other {@code [..., rdim, k]}
     * @return the product, {@code [..., ldim, k]}
     */
    public FactoredMatrix matmul(Tensor other) {
        if (other.rank() < 2 || other.dim(-2) != rdim()) {
            throw new IllegalArgumentException("FactoredMatrix " + Shapes.str(shape()) + " @ tensor " + Shapes.str(other.shape())
                    + ": the tensor must be [..., " + rdim() + ", k]");
        }
        return rdim() > mdim() ? of(a, b.matmul(other)) : of(ab(), other);
    }

    /**
     * {@code this @ vector}.
     *
     * @param v {@code [..., rdim]}
     * @return {@code [..., ldim]}
     */
    public Tensor matmulVector(Tensor v) {
        if (v.dim(-1) != rdim()) {
            throw new IllegalArgumentException("FactoredMatrix " + Shapes.str(shape()) + " @ vector " + Shapes.str(v.shape())
                    + ": the vector must have " + rdim() + " entries");
        }
        return a.matmul(b.matmul(v.unsqueeze(-1))).squeeze(-1);
    }

    /**
     * {@code this @ other} for two factored matrices: {@code (this @ other.A) @ other.B}.
     *
     * @param other {@code [..., rdim, k]}
     * @return the product, still factored
     */
    public FactoredMatrix matmul(FactoredMatrix other) {
        return matmul(other.a).matmul(other.b);
    }

    /**
     * {@code other @ this}, with the cheaper association: {@code (other A) B} when
     * {@code ldim > mdim}, otherwise {@code other (A B)}.
     *
     * @param other {@code [..., k, ldim]}
     * @return the product, {@code [..., k, rdim]}
     */
    public FactoredMatrix leftMatmul(Tensor other) {
        if (other.rank() < 2 || other.dim(-1) != ldim()) {
            throw new IllegalArgumentException("tensor " + Shapes.str(other.shape()) + " @ FactoredMatrix " + Shapes.str(shape())
                    + ": the tensor must be [..., k, " + ldim() + "]");
        }
        return ldim() > mdim() ? of(other.matmul(a), b) : of(other, ab());
    }

    /**
     * Indexes the leading dimensions: {@code qk.get(layer, head)}.
     *
     * @param idx one index per leading dimension, or fewer
     * @return the selected factored matrix
     */
    public FactoredMatrix get(int... idx) {
        if (idx.length > leading.length) {
            throw new IllegalArgumentException("index " + Arrays.toString(idx) + " has more entries than the leading dimensions "
                    + Shapes.str(leading));
        }
        for (int d = 0; d < idx.length; d++) {
            if (idx[d] < -leading[d] || idx[d] >= leading[d]) {
                throw new IllegalArgumentException("index " + idx[d] + " of " + Arrays.toString(idx) + " is outside leading "
                        + "dimension " + d + " of " + Shapes.str(leading) + " (" + leading[d] + " there; negative indices count "
                        + "from the end)");
            }
        }
        Tensor x = a;
        Tensor y = b;
        for (int i : idx) {
            x = x.select(0, i);
            y = y.select(0, i);
        }
        return new FactoredMatrix(x, y);
    }

    /**
     * Adds a leading dimension of size 1.
     *
     * @param axis where, among the leading dimensions ({@code 0..leading})
     * @return the view
     */
    public FactoredMatrix unsqueeze(int axis) {
        if (axis < 0 || axis > leading.length) {
            throw new IllegalArgumentException("unsqueeze axis " + axis + " is outside the leading dimensions " + Shapes.str(leading));
        }
        return new FactoredMatrix(a.unsqueeze(axis), b.unsqueeze(axis));
    }

    /**
     * Frobenius norm of each matrix, computed without forming the product:
     * {@code ||A B||_F^2 = sum((A^T A) * (B B^T))}, both {@code [mdim, mdim]}.
     *
     * @return {@code [...]} norms (rank 0 when there are no leading dimensions)
     */
    public Tensor norm() {
        Tensor ata = a.mT().matmul(a);
        Tensor bbt = b.matmul(b.mT());
        Tensor sq = ata.mul(bbt).sum(-1, false).sum(-1, false);
        return sq.map(v -> Math.sqrt(Math.max(v, 0)));
    }

    /**
     * The top-left {@code k x k} corner of each dense product (k is clipped to the shape). Unlike
     * TransformerLens's {@code get_corner}, which slices every dimension to {@code k}, the leading
     * {@code [layer, head]} dimensions are kept whole: {@code corner(3)} of a {@code [2, 4, d, d]}
     * matrix is {@code [2, 4, 3, 3]}, not {@code [2, 3, 3, 3]}.
     *
     * @param k the corner size
     * @return {@code [..., min(k, ldim), min(k, rdim)]}
     */
    public Tensor corner(int k) {
        return a.slice(-2, 0, Math.min(k, ldim())).matmul(b.slice(-1, 0, Math.min(k, rdim())));
    }

    /**
     * The singular value decomposition of each product.
     *
     * @return the cached singular value decomposition, computed on first call
     */
    public Svd svd() {
        Svd s = svd;
        if (s == null) {
            synchronized (this) {
                s = svd;
                if (s == null) {
                    s = Svd.of(a, b);
                    svd = s;
                }
            }
        }
        return s;
    }

    /**
     * The left singular vectors.
     *
     * @return {@code U [..., ldim, k]} of {@code A B = U diag(S) V^T}
     */
    public Tensor u() {
        return svd().u();
    }

    /**
     * The singular values.
     *
     * @return {@code S [..., k]}, descending
     */
    public Tensor s() {
        return svd().s();
    }

    /**
     * The right singular vectors.
     *
     * @return {@code V [..., rdim, k]} (not transposed)
     */
    public Tensor v() {
        return svd().v();
    }

    /**
     * TransformerLens's {@code collapse_l}.
     *
     * @return {@code S[..., :, None] * V^T}, {@code [..., k, rdim]}: the product with U factored out
     */
    public Tensor collapseL() {
        return s().unsqueeze(-1).mul(v().mT());
    }

    /**
     * TransformerLens's {@code collapse_r}.
     *
     * @return {@code U * S[..., None, :]}, {@code [..., ldim, k]}: the product with V factored out
     */
    public Tensor collapseR() {
        return u().mul(s().unsqueeze(-2));
    }

    /**
     * Eigenvalues of each square product, from the small {@code B A [mdim, mdim]} (the non-zero
     * eigenvalues of {@code A B} and {@code B A} are the same).
     *
     * @return real and imaginary parts, each {@code [..., mdim]}
     */
    public ComplexValues eigenvalues() {
        requireSquare("eigenvalues");
        return Linalg.eigenvalues(ba());
    }

    @Override
    public String toString() {
        return "FactoredMatrix" + Shapes.str(shape()) + " (A " + Shapes.str(a.shape()) + ", B " + Shapes.str(b.shape()) + ")";
    }
}
