package dev.lens4j.transformer.train;

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

    private final ParameterLayout layout;
    private final float beta1, beta2, eps, weightDecay;
    private final float[] m, v;
    private int t;

    /**
     * @param layout which parameters get weight decay
     * @param beta1 first-moment decay, e.g. 0.9
     * @param beta2 second-moment decay, e.g. 0.999
     * @param eps added to the denominator, e.g. 1e-8
     * @param weightDecay decoupled decay coefficient, e.g. 0.01
     */
    AdamW(ParameterLayout layout, float beta1, float beta2, float eps, float weightDecay) {
        this.layout = layout;
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
        this.weightDecay = weightDecay;
        this.m = new float[layout.total()];
        this.v = new float[layout.total()];
    }

    /** @return the number of steps taken */
    int steps() {
        return t;
    }

    /**
     * Updates {@code params} in place.
     *
     * @param params the parameters, {@link ParameterLayout} order
     * @param grads their gradients
     * @param lr the learning rate for this step
     */
    void step(float[] params, float[] grads, float lr) {
        t++;
        float bc1 = (float) (1.0 - StrictMath.pow(beta1, t));
        float bc2Sqrt = (float) StrictMath.sqrt(1.0 - StrictMath.pow(beta2, t));
        float stepSize = lr / bc1;
        float decay = 1f - lr * weightDecay;
        float oneMinusB1 = 1f - beta1, oneMinusB2 = 1f - beta2;
        for (ParameterLayout.Entry e : layout.entries()) {
            int s = e.offset(), end = s + e.size();
            if (e.decay() && weightDecay != 0f) {
                for (int i = s; i < end; i++) {
                    params[i] *= decay;
                }
            }
            for (int i = s; i < end; i++) {
                float g = grads[i];
                float mi = beta1 * m[i] + oneMinusB1 * g;
                float vi = beta2 * v[i] + oneMinusB2 * g * g;
                m[i] = mi;
                v[i] = vi;
                float denom = (float) Math.sqrt(vi) / bc2Sqrt + eps;
                params[i] -= stepSize * mi / denom;
            }
        }
    }

    /**
     * Scales the gradients down so that their global L2 norm is at most {@code maxNorm}, as PyTorch's
     * {@code clip_grad_norm_} (coefficient {@code maxNorm / (norm + 1e-6)}, applied only when below 1).
     *
     * @param grads the gradients, scaled in place
     * @param maxNorm the largest allowed norm; {@code <= 0} or infinite disables clipping
     * @return the norm before clipping
     */
    static double clipGradNorm(float[] grads, double maxNorm) {
        double sq = 0;
        for (float g : grads) {
            sq += (double) g * g;
        }
        double norm = Math.sqrt(sq);
        if (maxNorm > 0 && Double.isFinite(maxNorm)) {
            double coef = maxNorm / (norm + 1e-6);
            if (coef < 1) {
                float c = (float) coef;
                for (int i = 0; i < grads.length; i++) {
                    grads[i] *= c;
                }
            }
        }
        return norm;
    }
}
