package dev.lens4j.analysis.gradients;

import dev.lens4j.hooks.HookSpec;
import dev.lens4j.tensor.Tensor;
import dev.lens4j.transformer.ForwardOptions;
import dev.lens4j.transformer.ForwardResult;
import dev.lens4j.transformer.HookedTransformer;
import dev.lens4j.transformer.LogitMetric;

/**
 * How much each input token contributes to a metric, through its token embedding
 * ({@code hook_embed}, {@code [batch, pos, d_model]}; the positional embedding stays as it is):
 * gradient x input, and integrated gradients (Sundararajan et al., 2017) from a baseline embedding.
 *
 * <pre>{@code
 * Tensor gxi = TokenAttribution.gradientTimesInput(model, tokens, metric);            // [batch, pos]
 * TokenAttribution.IntegratedGradients ig =
 *         TokenAttribution.integratedGradients(model, tokens, baselineTokens, metric, 32);
 * ig.attributions();                                     // [batch, pos], summing to about metric - baselineMetric
 * }</pre>
 *
 * <p>Integrated gradients of token {@code (b, p)}: {@code sum_d (x - x')[b, p, d] * (1/m) sum_{k=1..m}
 * d metric / d x [b, p, d]} at {@code x' + (k/m)(x - x')}, the right Riemann sum of the original
 * paper, where {@code x} is the tokens' embedding and {@code x'} the baseline's. Completeness: the
 * attributions sum to {@code metric(x) - metric(x')} as {@code m} grows ({@link
 * IntegratedGradients#completenessGap()} says how far they are).
 */
public final class TokenAttribution {

    private TokenAttribution() {}

    /**
     * Gradient x input: {@code sum_d hook_embed[b, p, d] * d metric / d hook_embed[b, p, d]}.
     *
     * @param model the model
     * @param tokens {@code [batch][pos]}
     * @param metric the metric
     * @return {@code [batch, pos]} (one forward and backward pass)
     */
    public static Tensor gradientTimesInput(HookedTransformer model, int[][] tokens, LogitMetric metric) {
        requireMetric(metric);
        ForwardResult r = model.run(tokens, ForwardOptions.builder().cache(n -> n.equals("hook_embed")).backward(metric).build());
        return r.cache().get("hook_embed").mul(r.cache().get("hook_embed_grad")).sum(2, false);
    }

    /**
     * The attributions of integrated gradients and the two ends of the path.
     *
     * @param attributions {@code [batch, pos]}
     * @param metric the metric at the tokens' embedding
     * @param baselineMetric the metric at the baseline embedding
     * @param steps the number of points of the Riemann sum
     */
    public record IntegratedGradients(Tensor attributions, double metric, double baselineMetric, int steps) {

        /**
         * Returns how far the attributions are from completeness.
         *
         * @return {@code sum(attributions) - (metric - baselineMetric)}; it shrinks as steps grow
         */
        public double completenessGap() {
            double sum = 0;
            for (float a : attributions.toArray()) {
                sum += a;
            }
            return sum - (metric - baselineMetric);
        }
    }

    /**
     * Integrated gradients from the embedding of baseline tokens (for example the corrupted tokens
     * of a patching experiment, or a padding token at every position).
     *
     * @param model the model
     * @param tokens {@code [batch][pos]}
     * @param baselineTokens {@code [batch][pos]}, the same shape
     * @param metric the metric
     * @param steps {@code m}, at least 1
     * @return the attributions ({@code m} forward and backward passes and one forward pass)
     */
    public static IntegratedGradients integratedGradients(HookedTransformer model, int[][] tokens, int[][] baselineTokens,
                                                          LogitMetric metric, int steps) {
        Batches.requireSameShape(tokens, baselineTokens);
        requireMetric(metric);
        ForwardResult base = model.run(baselineTokens, ForwardOptions.builder().cache(n -> n.equals("hook_embed")).build());
        return integrate(model, tokens, base.cache().get("hook_embed"), metric.value(base.logits()), metric, steps);
    }

    /**
     * Integrated gradients from a zero token embedding (the positional embedding stays).
     *
     * @param model the model
     * @param tokens {@code [batch][pos]}
     * @param metric the metric
     * @param steps {@code m}, at least 1
     * @return the attributions ({@code m} forward and backward passes and one forward pass)
     */
    public static IntegratedGradients integratedGradients(HookedTransformer model, int[][] tokens, LogitMetric metric, int steps) {
        requireMetric(metric);
        Tensor zero = Tensor.zeros(tokens.length, tokens.length == 0 ? 0 : tokens[0].length, model.config().dModel());
        Tensor logits = model.run(tokens, ForwardOptions.builder().hooks(HookSpec.of("hook_embed", (a, p) -> zero)).build()).logits();
        return integrate(model, tokens, zero, metric.value(logits), metric, steps);
    }

    private static IntegratedGradients integrate(HookedTransformer model, int[][] tokens, Tensor baseline, double baselineMetric,
                                                 LogitMetric metric, int steps) {
        if (steps < 1) {
            throw new IllegalArgumentException("integrated gradients need at least 1 step, got " + steps);
        }
        // the last point is the input itself: its pass also gives the input's embedding and metric
        ForwardResult end = model.run(tokens, ForwardOptions.builder().cache(n -> n.equals("hook_embed")).backward(metric).build());
        Tensor x = end.cache().get("hook_embed");
        Tensor toward = x.sub(baseline);
        Tensor sum = end.cache().get("hook_embed_grad");
        for (int k = 1; k < steps; k++) {
            Tensor point = baseline.add(toward.mul((float) k / steps));
            ForwardResult r = model.run(tokens, ForwardOptions.builder().cache(n -> n.equals("hook_embed"))
                    .hooks(HookSpec.of("hook_embed", (a, p) -> point)).backward(metric).build());
            sum = sum.add(r.cache().get("hook_embed_grad"));
        }
        Tensor attributions = toward.mul(sum).sum(2, false).div(steps);
        return new IntegratedGradients(attributions, end.metric(), baselineMetric, steps);
    }

    private static void requireMetric(LogitMetric metric) {
        if (metric == null) {
            throw new IllegalArgumentException("token attribution needs a metric");
        }
    }
}
