package dev.lens4j.transformer;

import dev.lens4j.tensor.Parallel;
import dev.lens4j.tensor.Tensor;
import dev.lens4j.tensor.matmul.Gemm;
import dev.lens4j.tensor.matmul.MatrixOperand;

import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The gradients of one backward pass with respect to the weights, kept in arrays parallel to the
 * weights' own heap arrays: a weight that is a strided view of a larger array (the Q, K and V of a
 * fused QKV matrix, a tied W_U = W_E^T) has its gradient in the same view of the parallel array, so
 * the gradients of every use of one array add up there, as a tied embedding's must.
 */
final class WeightGradients {

    private final Map<float[], float[]> byStorage = new IdentityHashMap<>();

    /** The gradient array parallel to a weight array, created (zeros) on first use. */
    synchronized float[] of(float[] weights) {
        return byStorage.computeIfAbsent(weights, w -> new float[w.length]);
    }

    /**
     * Adds {@code a^T b} to the gradient of a weight operand: {@code dW += X^T dY} for {@code Y = X W}.
     *
     * @param w the weight {@code [K, M]} (heap)
     * @param x the layer's input, {@code x[xOff + r * ldx + k]} for r &lt; rows, k &lt; K
     * @param dy the gradient of its output, {@code dy[dyOff + r * ldy + m]}
     */
    void addInputOuterProduct(MatrixOperand w, float[] x, int xOff, int ldx, float[] dy, int dyOff, int ldy, int rows) {
        requireHeap(w);
        int K = w.rows(), M = w.cols();
        float[] g = of(w.array());
        MatrixOperand xT = new MatrixOperand(x, null, xOff, K, rows, 1, ldx);      // X^T [K, rows]
        MatrixOperand d = new MatrixOperand(dy, null, dyOff, rows, M, ldy, 1);     // dY [rows, M]
        if (w.colStride() == 1 && w.offset() <= Integer.MAX_VALUE && w.rowStride() <= Integer.MAX_VALUE) {
            Gemm.multiply(xT, d, g, (int) w.offset(), (int) w.rowStride(), true);
            return;
        }
        if (w.rowStride() == 1 && w.offset() <= Integer.MAX_VALUE && w.colStride() <= Integer.MAX_VALUE) {
            // a transposed view ([out, in] storage, as torch.nn.Linear keeps it): dW^T = dY^T X into the storage
            MatrixOperand dT = new MatrixOperand(dy, null, dyOff, M, rows, 1, ldy);   // dY^T [M, rows]
            MatrixOperand xr = new MatrixOperand(x, null, xOff, rows, K, ldx, 1);     // X [rows, K]
            Gemm.multiply(dT, xr, g, (int) w.offset(), (int) w.colStride(), true);
            return;
        }
        float[] dense = new float[K * M];
        Gemm.multiply(xT, d, dense, 0, M, false);
        addStrided(g, w, dense);
    }

    /** {@code g[w(i, j)] += dense[i * cols + j]} over the operand's layout. */
    private static void addStrided(float[] g, MatrixOperand w, float[] dense) {
        int K = w.rows(), M = w.cols();
        Parallel.forRange(K, Math.max(1, 16384 / Math.max(1, M)), (s, e) -> {
            for (int i = s; i < e; i++) {
                long base = w.offset() + i * w.rowStride();
                for (int j = 0; j < M; j++) {
                    g[(int) (base + j * w.colStride())] += dense[i * M + j];
                }
            }
        });
    }

    /**
     * Adds the column sums of {@code dy} to a bias's gradient: {@code db += sum_r dY[r, :]}.
     *
     * @param bias the bias (a heap array from offset {@code biasOff}), or null for none
     */
    void addColumnSums(float[] bias, int biasOff, float[] dy, int dyOff, int ldy, int rows, int cols) {
        if (bias == null) {
            return;
        }
        float[] g = of(bias);
        // fixed column blocks, each summed over the rows in order: independent of the thread count
        Parallel.forRange(cols, 256, (s, e) -> {
            for (int r = 0; r < rows; r++) {
                int o = dyOff + r * ldy;
                for (int j = s; j < e; j++) {
                    g[biasOff + j] += dy[o + j];
                }
            }
        });
    }

    /** Adds {@code delta} to a vector parameter's gradient (a norm weight or a bias), elementwise. */
    void addVector(float[] param, float[] delta) {
        if (param == null) {
            return;
        }
        float[] g = of(param);
        for (int i = 0; i < delta.length; i++) {
            g[i] += delta[i];
        }
    }

    /** Adds {@code row} to row {@code r} of a matrix parameter's gradient (an embedding lookup). */
    void addRow(MatrixOperand w, int r, float[] src, int srcOff) {
        requireHeap(w);
        float[] g = of(w.array());
        long base = w.offset() + r * w.rowStride();
        for (int j = 0; j < w.cols(); j++) {
            g[(int) (base + j * w.colStride())] += src[srcOff + j];
        }
    }

    private static void requireHeap(MatrixOperand w) {
        if (w.array() == null) {
            throw new IllegalStateException("weight gradients need weights on the heap; these are memory-mapped"
                    + " (load with weight processing, or copy the weights, to train or take weight gradients)");
        }
    }

    /**
     * The gradients as tensors laid out as the weights they belong to, under TransformerLens names
     * (a weight no gradient reached gets zeros).
     *
     * @param weights the model's weights
     * @return name to gradient, in the weights' order
     */
    Map<String, Tensor> byName(TransformerWeights weights) {
        // matched by storage without handing the weights' arrays out (Tensor.heapArray or sameViewOver
        // would mark them escaped, and the model would never trust its packed copies of them again)
        Map<Tensor, float[]> gradientOf = new LinkedHashMap<>();
        synchronized (this) {
            byStorage.forEach((w, g) -> gradientOf.put(Tensor.of(w, w.length), g));
        }
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (Map.Entry<String, Tensor> e : weights.stateDict().entrySet()) {
            Tensor w = e.getValue();
            if (!w.isHeap()) {
                throw new IllegalStateException("weight " + e.getKey() + " is memory-mapped: no gradient kept for it");
            }
            float[] g = null;
            for (Map.Entry<Tensor, float[]> s : gradientOf.entrySet()) {
                if (w.sharesStorageWith(s.getKey())) {
                    g = s.getValue();
                    break;
                }
            }
            out.put(e.getKey(), g != null ? w.sameViewOf(g) : Tensor.zeros(w.shape()));
        }
        return out;
    }
}
