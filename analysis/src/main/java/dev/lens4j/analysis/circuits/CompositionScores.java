package dev.lens4j.analysis.circuits;

import dev.lens4j.tensor.Parallel;
import dev.lens4j.tensor.Shapes;
import dev.lens4j.tensor.Tensor;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.factory.DecompositionFactory_DDRM;
import org.ejml.interfaces.decomposition.EigenDecomposition_F64;

import java.util.SplittableRandom;

/**
 * Composition scores between attention heads (Elhage et al. 2021, as TransformerLens computes them):
 * {@code ||W_A W_B||_F / (||W_A||_F ||W_B||_F)} where {@code W_A} is an earlier head's OV circuit
 * and {@code W_B} a later head's QK circuit (Q-composition), QK circuit transposed
 * (K-composition) or OV circuit (V-composition).
 *
 * <p>The Frobenius norm of a product is computed from square roots of the factors' Gram matrices:
 * for {@code W_A = A B} any {@code X} with {@code X^T X = W_A^T W_A} gives
 * {@code ||W_A Y|| = ||X Y||}, and {@code X = sqrt(A^T A) B} is only {@code [mdim, d_model]}. So all
 * {@code [L, H, L, H]} scores cost one {@code [d_head x d_model] x [d_model x n_later_heads d_head]}
 * product per head, never a {@code d_model x d_model} matrix.
 */
public final class CompositionScores {

    /** Which input of the later head the earlier head's output composes into. */
    public enum Mode {
        /** the later head's queries: {@code W_B = QK} */
        Q,
        /** the later head's keys: {@code W_B = QK^T} */
        K,
        /** the later head's values: {@code W_B = OV} */
        V
    }

    private CompositionScores() {}

    /**
     * The composition score of two (sets of) factored matrices, broadcasting leading dimensions.
     *
     * @param left {@code W_A [..., d, d]}
     * @param right {@code W_B [..., d, d]}
     * @return {@code [...]} scores
     */
    public static Tensor score(FactoredMatrix left, FactoredMatrix right) {
        if (left.rdim() != right.ldim()) {
            throw new IllegalArgumentException("composition score: " + left + " and " + right + " do not chain ("
                    + left.rdim() + " != " + right.ldim() + ")");
        }
        Tensor x = leftRoot(left);   // [..., m1, d]
        Tensor z = rightRoot(right); // [..., d, m2]
        Tensor prod = x.matmul(z);   // [..., m1, m2]
        Tensor num = prod.mul(prod).sum(-1, false).sum(-1, false).sqrt();
        return num.div(left.norm().mul(right.norm()));
    }

    /**
     * All composition scores of a model's heads, {@code [L, H, L, H]}: entry {@code [l1, h1, l2, h2]}
     * scores head {@code l1.h1}'s OV circuit into head {@code l2.h2}; zero unless {@code l2 > l1}.
     * Each earlier head is one task of {@link Parallel} with its own output slots, and its product
     * runs on the thread that took it; heads of early layers (the most later heads) come first, so
     * the cheap tasks at the end balance the threads.
     *
     * @param circuits the model's circuits
     * @param mode Q, K or V composition
     * @return the scores
     */
    public static Tensor all(Circuits circuits, Mode mode) {
        FactoredMatrix ov = circuits.ov(); // [L, H, d, d]
        FactoredMatrix right = switch (mode) {
            case Q -> circuits.qk();
            case K -> circuits.qk().transpose();
            case V -> ov;
        };
        int layers = ov.leadingShape()[0];
        int heads = ov.leadingShape()[1];
        int d = ov.ldim();
        Tensor x = leftRoot(ov);        // [L, H, m, d]
        Tensor z = rightRoot(right);    // [L, H, d, m]
        int m1 = x.dim(-2);
        int m2 = z.dim(-1);
        Tensor normA = ov.norm();       // [L, H]
        Tensor normB = right.norm();    // [L, H]
        float[] out = new float[layers * heads * layers * heads];
        // Columns of every later head side by side: zcat[l] = [d, (L - l - 1) * H * m2] for heads in layers > l.
        Tensor[] zcat = new Tensor[layers];
        for (int l = 0; l + 1 < layers; l++) {
            Tensor later = z.slice(0, l + 1, layers).reshape((layers - l - 1) * heads, d, m2); // [n, d, m2]
            zcat[l] = later.permute(1, 0, 2).reshape(d, (layers - l - 1) * heads * m2);
        }
        Parallel.forRange(layers * heads, 1, (start, end) -> {
            for (int i = start; i < end; i++) {
                int l1 = i / heads, h1 = i % heads;
                if (l1 + 1 >= layers) {
                    continue;
                }
                Tensor p = x.select(0, l1).select(0, h1).matmul(zcat[l1]); // [m1, n * m2]
                float[] pa = p.toArray();
                int cols = pa.length / m1;
                int n = cols / m2;
                for (int j = 0; j < n; j++) {
                    double sq = 0;
                    for (int r = 0; r < m1; r++) {
                        for (int c = 0; c < m2; c++) {
                            double v = pa[r * cols + j * m2 + c];
                            sq += v * v;
                        }
                    }
                    int l2 = l1 + 1 + j / heads, h2 = j % heads;
                    float denom = normA.get(l1, h1) * normB.get(l2, h2);
                    out[((l1 * heads + h1) * layers + l2) * heads + h2] = denom == 0 ? 0f : (float) (Math.sqrt(sq) / denom);
                }
            }
        });
        return Tensor.of(out, layers, heads, layers, heads);
    }

    /**
     * The mean composition score of random factored matrices of the given shapes, TransformerLens's
     * baseline: each of the four factors ({@code [d_model, d_head]} twice and {@code [d_head, d_model]}
     * twice) has i.i.d. uniform entries (the score does not depend on their scale).
     *
     * @param dModel residual width
     * @param dHead head width
     * @param samples how many random pairs to average (TransformerLens's tutorial uses 200)
     * @param seed the seed
     * @return the mean score
     */
    public static float randomBaseline(int dModel, int dHead, int samples, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        double sum = 0;
        for (int s = 0; s < samples; s++) {
            FactoredMatrix wa = FactoredMatrix.of(uniform(rnd, dModel, dHead), uniform(rnd, dHead, dModel));
            FactoredMatrix wb = FactoredMatrix.of(uniform(rnd, dModel, dHead), uniform(rnd, dHead, dModel));
            sum += score(wa, wb).item();
        }
        return (float) (sum / samples);
    }

    private static Tensor uniform(SplittableRandom rnd, int rows, int cols) {
        float[] d = new float[rows * cols];
        for (int i = 0; i < d.length; i++) {
            d[i] = (float) (rnd.nextDouble() * 2 - 1);
        }
        return Tensor.of(d, rows, cols);
    }

    /** {@code X = sqrt(A^T A) B}, {@code [..., m, rdim]}: {@code X^T X = (AB)^T (AB)}. */
    static Tensor leftRoot(FactoredMatrix w) {
        Tensor gram = w.a().mT().matmul(w.a());           // [..., m, m]
        return symmetricSqrt(gram).matmul(w.b());         // [..., m, rdim]
    }

    /** {@code Z = A sqrt(B B^T)}, {@code [..., ldim, m]}: {@code Z Z^T = (AB)(AB)^T}. */
    static Tensor rightRoot(FactoredMatrix w) {
        Tensor gram = w.b().matmul(w.b().mT());           // [..., m, m]
        return w.a().matmul(symmetricSqrt(gram));         // [..., ldim, m]
    }

    /** The symmetric square root of each positive semi-definite {@code [..., m, m]} matrix. */
    static Tensor symmetricSqrt(Tensor g) {
        int m = g.dim(-1);
        int count = g.size() / Math.max(1, m * m);
        float[] src = g.reshape(count, m, m).toArray();
        float[] out = new float[src.length];
        Parallel.forRange(count, 1, (start, end) -> {
            for (int c = start; c < end; c++) {
                DMatrixRMaj x = new DMatrixRMaj(m, m);
                for (int i = 0; i < m; i++) {
                    for (int j = 0; j < m; j++) {
                        // symmetrise against rounding
                        x.set(i, j, 0.5 * ((double) src[c * m * m + i * m + j] + src[c * m * m + j * m + i]));
                    }
                }
                EigenDecomposition_F64<DMatrixRMaj> eig = DecompositionFactory_DDRM.eig(m, true, true);
                if (!eig.decompose(x)) {
                    throw new IllegalStateException("symmetric eigen decomposition failed for a Gram matrix of shape "
                            + Shapes.str(m, m));
                }
                double[] acc = new double[m * m];
                for (int e = 0; e < m; e++) {
                    double lambda = Math.max(0, eig.getEigenvalue(e).real);
                    double sq = Math.sqrt(lambda);
                    DMatrixRMaj v = eig.getEigenVector(e);
                    if (v == null || sq == 0) {
                        continue;
                    }
                    double vn = 0;
                    for (int i = 0; i < m; i++) {
                        vn += v.get(i) * v.get(i);
                    }
                    sq /= vn; // EJML's eigenvectors are not guaranteed to have unit length
                    for (int i = 0; i < m; i++) {
                        for (int j = 0; j < m; j++) {
                            acc[i * m + j] += sq * v.get(i) * v.get(j);
                        }
                    }
                }
                for (int i = 0; i < m * m; i++) {
                    out[c * m * m + i] = (float) acc[i];
                }
            }
        });
        return Tensor.of(out, g.shape());
    }
}
