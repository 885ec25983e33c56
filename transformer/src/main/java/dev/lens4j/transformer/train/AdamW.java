package dev.lens4j.transformer.train;

import java.util.List;

/**
 * Adam with decoupled weight decay (Loshchilov and Hutter), step for step as PyTorch's
 * {@code torch.optim.AdamW}, plus PyTorch's {@code clip_grad_norm_}.
 *
 * <p>One step on parameter {@code p} with gradient {@code g}, at step number {@code t} (from 1):
 * <pre>
 *   p -= lr * weight_decay * p                   (only parameters whose layout entry has decay)
 *   m  = beta1 m + (1 - beta1) g
 *   v  = beta2 v + (1 - beta2) g^2
 *   p -= lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)
 * </pre>
 * Everything is float arithmetic in a fixed order, so steps are reproducible bit for bit.
 */
final class AdamW {

    private final Parameters params;
    private final float beta1, beta2, eps, weightDecay;
    private final float[][] m, v;
    private int t;

    /**
     * @param params the parameter arrays, and which get weight decay
     * @param beta1 first-moment decay, e.g. 0.9
     * @param beta2 second-moment decay, e.g. 0.999
     * @param eps added to the denominator, e.g. 1e-8
     * @param weightDecay decoupled decay coefficient, e.g. 0.01
     */
    AdamW(Parameters params, float beta1, float beta2, float eps, float weightDecay) {
        this.params = params;
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
        this.weightDecay = weightDecay;
        int n = params.groups().size();
        this.m = new float[n][];
        this.v = new float[n][];
        for (int k = 0; k < n; k++) {
            m[k] = new float[params.groups().get(k).values().length];
            v[k] = new float[m[k].length];
        }
    }

    /** @return the number of steps taken */
    int steps() {
        return t;
    }

    /**
     * Updates the parameter arrays in place.
     *
     * @param grads the gradient of each group, parallel to its values ({@link Parameters#groups()} order)
     * @param lr the learning rate for this step
     */
    void step(List<float[]> grads, float lr) {
        t++;
        float bc1 = (float) (1.0 - StrictMath.pow(beta1, t));
        float bc2Sqrt = (float) StrictMath.sqrt(1.0 - StrictMath.pow(beta2, t));
        float stepSize = lr / bc1;
        float decay = 1f - lr * weightDecay;
        float oneMinusB1 = 1f - beta1, oneMinusB2 = 1f - beta2;
        for (int k = 0; k < grads.size(); k++) {
            Parameters.Group gr = params.groups().get(k);
            float[] p = gr.values(), g = grads.get(k), mk = m[k], vk = v[k];
            if (gr.decay() && weightDecay != 0f) {
                for (int i = 0; i < p.length; i++) {
                    p[i] *= decay;
                }
            }
            for (int i = 0; i < p.length; i++) {
                float gi = g[i];
                float mi = beta1 * mk[i] + oneMinusB1 * gi;
                float vi = beta2 * vk[i] + oneMinusB2 * gi * gi;
                mk[i] = mi;
                vk[i] = vi;
                float denom = (float) Math.sqrt(vi) / bc2Sqrt + eps;
                p[i] -= stepSize * mi / denom;
            }
        }
    }

    /**
     * Scales the gradients down so that their global L2 norm is at most {@code maxNorm}, as PyTorch's
     * {@code clip_grad_norm_} (coefficient {@code maxNorm / (norm + 1e-6)}, applied only when below 1).
     *
     * @param grads the gradients, each group's array in order, scaled in place
     * @param maxNorm the largest allowed norm; {@code <= 0} or infinite disables clipping
     * @return the norm before clipping
     */
    static double clipGradNorm(List<float[]> grads, double maxNorm) {
        double sq = 0;
        for (float[] gs : grads) {
            for (float g : gs) {
                sq += (double) g * g;
            }
        }
        double norm = Math.sqrt(sq);
        if (maxNorm > 0 && Double.isFinite(maxNorm)) {
            double coef = maxNorm / (norm + 1e-6);
            if (coef < 1) {
                float c = (float) coef;
                for (float[] gs : grads) {
                    for (int i = 0; i < gs.length; i++) {
                        gs[i] *= c;
                    }
                }
            }
        }
        return norm;
    }
}
