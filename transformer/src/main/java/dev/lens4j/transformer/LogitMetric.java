package dev.lens4j.transformer;

import dev.lens4j.tensor.Tensor;

/**
 * A differentiable scalar of a forward pass's logits: what a backward pass differentiates
 * (TransformerLens's {@code run_with_cache(incl_bwd=True)} calls {@code backward()} on the model's
 * scalar output, the loss; attribution patching and EAP on a metric such as a logit difference).
 *
 * <pre>{@code
 * ForwardResult r = model.run(tokens, ForwardOptions.builder()
 *         .cache(n -> true).backward(LogitMetric.meanLoss(tokens)).build());
 * Tensor g = r.cache().get("blocks.0.attn.hook_z_grad");    // d loss / d z, [batch, pos, head_index, d_head]
 * }</pre>
 *
 * <p>Implementations compute the value and its gradient with respect to every logit; the gradient
 * must be exact (a finite-difference check in the tests is a good guard).
 */
public interface LogitMetric {

    /**
     * The metric of one pass.
     *
     * @param logits {@code [batch, pos, d_vocab]}
     * @return the value
     */
    double value(Tensor logits);

    /**
     * The gradient of {@link #value} with respect to the logits.
     *
     * @param logits {@code [batch, pos, d_vocab]}
     * @return {@code [batch, pos, d_vocab]}
     */
    Tensor gradient(Tensor logits);

    /**
     * The mean next-token cross-entropy over every position but the last of every sequence
     * (TransformerLens's loss: {@code -log p(tokens[b, t + 1])} averaged over {@code [batch, pos - 1]}).
     *
     * @param tokens {@code [batch][pos]}, the tokens the logits were computed from; pos at least 2
     * @return the metric
     */
    static LogitMetric meanLoss(int[][] tokens) {
        if (tokens == null || tokens.length == 0 || tokens[0].length < 2) {
            throw new IllegalArgumentException("the loss needs a batch of sequences of at least 2 tokens");
        }
        return new LogitMetric() {
            @Override
            public double value(Tensor logits) {
                check(logits, tokens);
                int B = logits.dim(0), T = logits.dim(1), V = logits.dim(2);
                float[] l = logits.contiguous().toArray();
                double sum = 0;
                for (int b = 0; b < B; b++) {
                    for (int t = 0; t < T - 1; t++) {
                        int o = (b * T + t) * V;
                        sum -= logSoftmaxAt(l, o, V, tokens[b][t + 1]);
                    }
                }
                return sum / (B * (T - 1));
            }

            @Override
            public Tensor gradient(Tensor logits) {
                check(logits, tokens);
                int B = logits.dim(0), T = logits.dim(1), V = logits.dim(2);
                float[] l = logits.contiguous().toArray();
                float[] g = new float[l.length];
                double w = 1.0 / (B * (T - 1));
                for (int b = 0; b < B; b++) {
                    for (int t = 0; t < T - 1; t++) {
                        int o = (b * T + t) * V;
                        double max = Double.NEGATIVE_INFINITY;
                        for (int v = 0; v < V; v++) {
                            max = Math.max(max, l[o + v]);
                        }
                        double z = 0;
                        for (int v = 0; v < V; v++) {
                            z += Math.exp(l[o + v] - max);
                        }
                        for (int v = 0; v < V; v++) {
                            g[o + v] = (float) (w * Math.exp(l[o + v] - max) / z);
                        }
                        g[o + tokens[b][t + 1]] -= (float) w;
                    }
                }
                return Tensor.of(g, B, T, V);
            }

            @Override
            public String toString() {
                return "mean next-token loss";
            }
        };
    }

    /**
     * The difference of two logits at one position, summed over the batch:
     * {@code sum_b logits[b, pos[b], correct[b]] - logits[b, pos[b], incorrect[b]]} (the usual metric of
     * indirect-object identification, divided by nothing so that its gradient is per sequence).
     *
     * @param pos the position of each sequence
     * @param correct the token whose logit counts positively, per sequence
     * @param incorrect the token whose logit counts negatively, per sequence
     * @return the metric
     */
    static LogitMetric logitDifference(int[] pos, int[] correct, int[] incorrect) {
        if (pos.length != correct.length || pos.length != incorrect.length) {
            throw new IllegalArgumentException("logitDifference needs one position, correct and incorrect token per sequence, got "
                    + pos.length + ", " + correct.length + " and " + incorrect.length);
        }
        return new LogitMetric() {
            @Override
            public double value(Tensor logits) {
                checkBatch(logits);
                double sum = 0;
                for (int b = 0; b < pos.length; b++) {
                    sum += (double) logits.get(b, pos[b], correct[b]) - logits.get(b, pos[b], incorrect[b]);
                }
                return sum;
            }

            @Override
            public Tensor gradient(Tensor logits) {
                checkBatch(logits);
                Tensor g = Tensor.zeros(logits.shape());
                for (int b = 0; b < pos.length; b++) {
                    g.set(g.get(b, pos[b], correct[b]) + 1f, b, pos[b], correct[b]);
                    g.set(g.get(b, pos[b], incorrect[b]) - 1f, b, pos[b], incorrect[b]);
                }
                return g;
            }

            private void checkBatch(Tensor logits) {
                if (logits.rank() != 3 || logits.dim(0) != pos.length) {
                    throw new IllegalArgumentException("logitDifference was built for a batch of " + pos.length
                            + " sequences, got logits " + dev.lens4j.tensor.Shapes.str(logits.shape()));
                }
            }

            @Override
            public String toString() {
                return "logit difference";
            }
        };
    }

    private static void check(Tensor logits, int[][] tokens) {
        if (logits.rank() != 3 || logits.dim(0) != tokens.length || logits.dim(1) != tokens[0].length) {
            throw new IllegalArgumentException("the loss was built for tokens [" + tokens.length + ", " + tokens[0].length
                    + "], got logits " + dev.lens4j.tensor.Shapes.str(logits.shape()));
        }
    }

    private static double logSoftmaxAt(float[] l, int o, int n, int target) {
        double max = Double.NEGATIVE_INFINITY;
        for (int v = 0; v < n; v++) {
            max = Math.max(max, l[o + v]);
        }
        double z = 0;
        for (int v = 0; v < n; v++) {
            z += Math.exp(l[o + v] - max);
        }
        return l[o + target] - max - Math.log(z);
    }
}
