package dev.lens4j.transformer;

import dev.lens4j.tensor.Tensor;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * The cross-entropy metric's value and gradient, which a backward pass takes from one softmax per
 * position ({@link LogitMetric#evaluate}), against a softmax computed here in double precision, and
 * {@link LogitMetric#tokenLoss} on contiguous logits and on a strided view.
 */
class LogitMetricTest {

    private static final int B = 2, T = 5, V = 7;

    /** Targets with ignored positions (-1), as a training batch's last position. */
    private static int[][] targets() {
        return new int[][] {{3, 0, 6, -1, 2}, {-1, 5, 1, 4, -1}};
    }

    /** {@code log softmax(row)[target]} in double, from the definition. */
    private static double logProb(Tensor logits, int b, int t, int target) {
        double z = 0;
        for (int v = 0; v < V; v++) {
            z += Math.exp(logits.get(b, t, v));
        }
        return logits.get(b, t, target) - Math.log(z);
    }

    @Test
    void valueAndGradientFromOneSoftmaxMatchTheDefinition() {
        Tensor logits = Tensor.randn(3, B, T, V).mul(3f);
        int[][] targets = targets();
        LogitMetric ce = LogitMetric.crossEntropy(targets);
        for (boolean reproducible : new boolean[] {false, true}) {
            LogitMetric.Evaluation ev = ce.evaluate(logits, reproducible);
            double sum = 0;
            int count = 0;
            for (int b = 0; b < B; b++) {
                for (int t = 0; t < T; t++) {
                    int target = targets[b][t];
                    if (target < 0) {
                        for (int v = 0; v < V; v++) {
                            assertThat(ev.gradient().get(b, t, v)).as("ignored position [%d, %d]", b, t).isZero();
                        }
                        continue;
                    }
                    count++;
                    sum -= logProb(logits, b, t, target);
                }
            }
            assertThat(ev.value()).as("reproducible " + reproducible).isCloseTo(sum / count, within(1e-6));
            for (int b = 0; b < B; b++) {
                for (int t = 0; t < T; t++) {
                    if (targets[b][t] < 0) {
                        continue;
                    }
                    for (int v = 0; v < V; v++) {
                        double p = Math.exp(logProb(logits, b, t, v));
                        double expected = (p - (v == targets[b][t] ? 1 : 0)) / count;
                        assertThat((double) ev.gradient().get(b, t, v)).isCloseTo(expected, within(1e-6));
                    }
                }
            }
            // the separate calls give the same bits as the evaluation a backward pass makes
            assertThat(ce.value(logits, reproducible)).isEqualTo(ev.value());
            assertThat(ce.gradient(logits, reproducible).toArray()).isEqualTo(ev.gradient().toArray());
        }
    }

    @Test
    void theDefaultEvaluationCallsValueAndGradient() {
        Tensor logits = Tensor.randn(4, B, T, V);
        LogitMetric diff = LogitMetric.logitDifference(new int[] {1, 4}, new int[] {2, 0}, new int[] {5, 6});
        LogitMetric.Evaluation ev = diff.evaluate(logits, false);
        assertThat(ev.value()).isEqualTo((double) logits.get(0, 1, 2) - logits.get(0, 1, 5) + logits.get(1, 4, 0) - logits.get(1, 4, 6));
        assertThat(ev.gradient().get(0, 1, 2)).isEqualTo(1f);
        assertThat(ev.gradient().get(1, 4, 6)).isEqualTo(-1f);
        assertThat(ev.gradient().sum()).isZero();
    }

    @Test
    void tokenLossReadsContiguousLogitsInPlaceAndViewsByCopy() {
        Tensor logits = Tensor.randn(5, B, T, V);
        // the same values as a strided view: [V, T, B] transposed back to [B, T, V]
        Tensor view = logits.transpose(0, 2).contiguous().transpose(0, 2);
        assertThat(view.isContiguous()).isFalse();
        for (int b = 0; b < B; b++) {
            for (int t = 0; t < T; t++) {
                double l = LogitMetric.tokenLoss(logits, b, t, (b + t) % V);
                assertThat(l).isCloseTo(-logProb(logits, b, t, (b + t) % V), within(1e-6));
                assertThat(LogitMetric.tokenLoss(view, b, t, (b + t) % V)).isEqualTo(l);
            }
        }
    }

    /**
     * The cross-entropy's positions run on several threads and their losses are added in position order:
     * a reproducible evaluation is the same bits on one thread and on two, and its value is the mean of
     * the per-position losses taken one by one.
     */
    @Test
    void theCrossEntropyIsTheSameBitsOnAnyNumberOfThreads() {
        int V = 70_000;
        Tensor logits = Tensor.randn(5, 3, 7, V);
        int[][] targets = new int[3][7];
        for (int b = 0; b < 3; b++) {
            for (int t = 0; t < 7; t++) {
                targets[b][t] = (b * 7 + t) % 4 == 3 ? -1 : (b * 7919 + t * 104_729) % V;
            }
        }
        LogitMetric ce = LogitMetric.crossEntropy(targets);
        int saved = dev.lens4j.tensor.Parallel.threads();
        try {
            // reproducible: the mode that promises the same bits (the default's Math.exp may differ in the last
            // bit between the interpreter and compiled code)
            dev.lens4j.tensor.Parallel.setThreads(1);
            LogitMetric.Evaluation one = ce.evaluate(logits, true);
            dev.lens4j.tensor.Parallel.setThreads(2);
            LogitMetric.Evaluation two = ce.evaluate(logits, true);
            assertThat(two.value()).isEqualTo(one.value());
            assertThat(java.util.Arrays.equals(two.gradient().toArray(), one.gradient().toArray())).as("gradient bits").isTrue();
            double sum = 0;
            int n = 0;
            for (int b = 0; b < 3; b++) {
                for (int t = 0; t < 7; t++) {
                    if (targets[b][t] >= 0) {
                        sum += LogitMetric.tokenLoss(logits, b, t, targets[b][t]);   // reproducible, as above
                        n++;
                    }
                }
            }
            assertThat(one.value()).isCloseTo(sum / n, within(1e-12));
        } finally {
            dev.lens4j.tensor.Parallel.setThreads(saved);
        }
    }
}
