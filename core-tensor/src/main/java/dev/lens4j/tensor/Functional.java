package dev.lens4j.tensor;

import dev.lens4j.tensor.kernel.KernelProvider;
import dev.lens4j.tensor.kernel.Kernels;

/**
 * The neural-network functions a transformer needs, with TransformerLens's exact semantics: layer
 * norm (returning the scale TransformerLens exposes at {@code hook_scale}), {@code gelu_new}, and
 * per-token cross-entropy.
 */
public final class Functional {

    private Functional() {}

    /**
     * The result of a layer norm.
     *
     * @param normalized {@code [..., d]}: {@code (x - mean) / scale * w + b}
     * @param scale {@code [..., 1]}: {@code sqrt(mean((x - mean)^2) + eps)}
     */
    public record LayerNormResult(Tensor normalized, Tensor scale) {}

    /**
     * LayerNorm over the last axis: subtract the mean, divide by
     * {@code sqrt(mean(x^2) + eps)} (biased variance, eps inside the root), then apply the optional
     * weight and bias.
     *
     * @param x {@code [..., d]}
     * @param w {@code [d]}, or null for no weight
     * @param b {@code [d]}, or null for no bias
     * @param eps the epsilon, 1e-5 for GPT-2
     * @return the normalised values and the scale
     */
    public static LayerNormResult layerNorm(Tensor x, Tensor w, Tensor b, float eps) {
        int d = x.dim(-1);
        if (w != null) {
            w.requireShape("layer norm weight for input " + Shapes.str(x.shape()), d);
        }
        if (b != null) {
            b.requireShape("layer norm bias for input " + Shapes.str(x.shape()), d);
        }
        Tensor xc = x.contiguous();
        float[] src = xc.heapArray();
        int base = xc.heapOffset();
        Tensor wc = w == null ? null : w.contiguous();
        Tensor bc = b == null ? null : b.contiguous();
        float[] wa = wc == null ? null : wc.heapArray();
        int wo = wc == null ? 0 : wc.heapOffset();
        float[] ba = bc == null ? null : bc.heapArray();
        int bo = bc == null ? 0 : bc.heapOffset();
        int rows = d == 0 ? 0 : x.size() / d;
        float[] out = new float[x.size()];
        float[] scale = new float[rows];
        Kernels k = KernelProvider.kernels();
        Parallel.forRange(rows, Math.max(1, 16384 / Math.max(d, 1)), (s, e) -> {
            for (int r = s; r < e; r++) {
                scale[r] = k.layerNorm(src, base + r * d, wa, wo, ba, bo, eps, out, r * d, d);
            }
        });
        int[] shape = x.shape();
        int[] scaleShape = shape.clone();
        scaleShape[scaleShape.length - 1] = 1;
        return new LayerNormResult(Tensor.of(out, shape), Tensor.of(scale, scaleShape));
    }

    /**
     * GPT-2's activation: {@code 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))}.
     *
     * @param x any shape
     * @return the activation, same shape
     */
    public static Tensor geluNew(Tensor x) {
        Tensor xc = x.contiguous();
        float[] out = new float[x.size()];
        float[] src = xc.heapArray();
        int base = xc.heapOffset();
        Kernels k = KernelProvider.kernels();
        Parallel.forRange(out.length, 16384, (s, e) -> k.geluNew(src, base + s, out, s, e - s));
        return Tensor.of(out, x.shape());
    }

    /**
     * Cross-entropy of each row of logits against a target index: {@code -log_softmax(logits)[target]}.
     *
     * @param logits {@code [n, d_vocab]}
     * @param targets {@code [n]} indices in {@code [0, d_vocab)}
     * @return {@code [n]} losses in nats
     */
    public static Tensor crossEntropy(Tensor logits, int[] targets) {
        if (logits.rank() != 2 || logits.dim(0) != targets.length) {
            throw new IllegalArgumentException("crossEntropy: logits " + Shapes.str(logits.shape()) + " do not match "
                    + targets.length + " targets; expected [" + targets.length + ", d_vocab]");
        }
        int n = targets.length;
        int v = logits.dim(1);
        for (int i = 0; i < n; i++) {
            if (targets[i] < 0 || targets[i] >= v) {
                throw new IllegalArgumentException("crossEntropy: target " + targets[i] + " at row " + i + " is outside the vocabulary [0, " + v + ")");
            }
        }
        Tensor lc = logits.contiguous();
        float[] src = lc.heapArray();
        int base = lc.heapOffset();
        float[] out = new float[n];
        Kernels k = KernelProvider.kernels();
        Parallel.forRange(n, 4, (s, e) -> {
            for (int i = s; i < e; i++) {
                int off = base + i * v;
                float m = k.max(src, off, v);
                double sum = 0;
                for (int j = 0; j < v; j++) {
                    sum += Math.exp(src[off + j] - m);
                }
                out[i] = (float) (m + Math.log(sum) - src[off + targets[i]]);
            }
        });
        return Tensor.of(out, n);
    }

    /**
     * TransformerLens's per-token language-model loss: the loss of predicting token {@code p+1}
     * from position {@code p}.
     *
     * @param logits {@code [batch, pos, d_vocab]}
     * @param tokens {@code [batch][pos]}
     * @return {@code [batch, pos - 1]} losses in nats
     */
    public static Tensor perTokenLoss(Tensor logits, int[][] tokens) {
        if (logits.rank() != 3 || logits.dim(0) != tokens.length) {
            throw new IllegalArgumentException("perTokenLoss: logits " + Shapes.str(logits.shape())
                    + " do not match tokens of batch " + tokens.length + "; expected [batch, pos, d_vocab]");
        }
        int b = logits.dim(0);
        int p = logits.dim(1);
        int v = logits.dim(2);
        if (p < 2) {
            throw new IllegalArgumentException("perTokenLoss needs at least 2 positions, logits have shape " + Shapes.str(logits.shape()));
        }
        int[] targets = new int[b * (p - 1)];
        for (int i = 0; i < b; i++) {
            if (tokens[i].length != p) {
                throw new IllegalArgumentException("perTokenLoss: sequence " + i + " has " + tokens[i].length + " tokens but logits have " + p + " positions");
            }
            System.arraycopy(tokens[i], 1, targets, i * (p - 1), p - 1);
        }
        Tensor rows = logits.slice(1, 0, p - 1).reshape(b * (p - 1), v);
        return crossEntropy(rows, targets).reshape(b, p - 1);
    }
}
