package dev.lens4j.transformer.generation;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Picks the next token from logits as TransformerLens's {@code sample_logits} does: the arg max when
 * greedy; otherwise divide by the temperature, keep the top k and/or the nucleus of probability p,
 * and draw from the softmax. Deterministic for a seed. Not thread-safe (it owns a random stream).
 */
public final class Sampler {

    private final GenerationConfig cfg;
    private final SplittableRandom random;

    /**
     * A sampler with its own random stream, seeded from the config.
     *
     * @param cfg the sampling settings
     */
    public Sampler(GenerationConfig cfg) {
        this.cfg = cfg;
        this.random = new SplittableRandom(cfg.seed());
    }

    /**
     * Returns the chosen token id.
     *
     * @param logits {@code [d_vocab]}, not modified
     * @return the chosen token id
     */
    public int next(float[] logits) {
        int v = logits.length;
        if (v == 0) {
            throw new IllegalArgumentException("cannot sample from empty logits");
        }
        if (cfg.greedy()) {
            return argmax(logits);
        }
        double[] l = new double[v];
        for (int i = 0; i < v; i++) {
            l[i] = logits[i] / (double) cfg.temperature();
        }
        if (cfg.topK() > 0 && cfg.topK() < v) {
            // keep every logit >= the k-th largest (ties at the boundary stay, as in torch)
            double[] sorted = l.clone();
            Arrays.sort(sorted);
            double kth = sorted[v - cfg.topK()];
            for (int i = 0; i < v; i++) {
                if (l[i] < kth) {
                    l[i] = Double.NEGATIVE_INFINITY;
                }
            }
        }
        if (cfg.topP() < 1f) {
            Integer[] order = new Integer[v];
            for (int i = 0; i < v; i++) {
                order[i] = i;
            }
            Arrays.sort(order, (a, b) -> Double.compare(l[b], l[a]));
            double[] p = softmax(l);
            // remove a token when the probability mass before it already exceeds top_p (the first token always stays)
            double cumulative = 0;
            boolean removeRest = false;
            for (int r = 0; r < v; r++) {
                int i = order[r];
                if (removeRest) {
                    l[i] = Double.NEGATIVE_INFINITY;
                }
                cumulative += p[i];
                if (cumulative > cfg.topP()) {
                    removeRest = true;
                }
            }
        }
        double[] p = softmax(l);
        double u = random.nextDouble();
        double c = 0;
        int last = -1;
        for (int i = 0; i < v; i++) {
            if (p[i] > 0) {
                c += p[i];
                last = i;
                if (u < c) {
                    return i;
                }
            }
        }
        return last; // rounding left u just above the total
    }

    private static double[] softmax(double[] l) {
        double max = Double.NEGATIVE_INFINITY;
        for (double x : l) {
            max = Math.max(max, x);
        }
        double[] p = new double[l.length];
        double sum = 0;
        for (int i = 0; i < l.length; i++) {
            p[i] = l[i] == Double.NEGATIVE_INFINITY ? 0 : Math.exp(l[i] - max);
            sum += p[i];
        }
        for (int i = 0; i < l.length; i++) {
            p[i] /= sum;
        }
        return p;
    }

    /**
     * Returns the index of the first largest logit.
     *
     * @param logits {@code [d_vocab]}
     * @return the index of the first largest logit
     */
    public static int argmax(float[] logits) {
        int best = 0;
        for (int i = 1; i < logits.length; i++) {
            if (logits[i] > logits[best]) {
                best = i;
            }
        }
        return best;
    }
}
