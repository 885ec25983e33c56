package dev.lens4j.analysis.gradients;

import dev.lens4j.hooks.HookSpec;
import dev.lens4j.tensor.Parallel;
import dev.lens4j.tensor.Tensor;
import dev.lens4j.transformer.ForwardOptions;
import dev.lens4j.transformer.ForwardResult;
import dev.lens4j.transformer.HookedTransformer;
import dev.lens4j.transformer.LogitMetric;

import java.util.ArrayList;
import java.util.List;
import java.util.function.ToDoubleFunction;

/**
 * Edge attribution over an {@link AttributionGraph}: edge attribution patching (EAP, Syed et al.,
 * 2023), EAP with integrated gradients (EAP-IG, Hanna et al., 2024) and the exact effect of
 * corrupting each edge, as the EAP-IG reference implementation (hannamw/EAP-IG) computes them.
 *
 * <p>The score of an edge from source {@code u} to destination {@code v} is
 * {@code sum over batch, positions and d_model of (u_corrupted - u_clean) * g_v}, where {@code g_v}
 * is the gradient of the metric at {@code v}'s input: taken on the clean run for EAP, and averaged
 * over {@code m} runs whose token embeddings are {@code corrupted + (k / m) (clean - corrupted)},
 * {@code k = 0 .. m - 1}, for EAP-IG (the reference's left Riemann sum: the corrupted end is one of
 * the points, the clean end is not). It estimates the change of the metric when that edge alone
 * carries the corrupted value. The metric is differentiated as given: with the batch means of
 * {@link LogitMetrics} a score is the mean effect per sequence, as the reference's (whose metric
 * sums over the batch and whose scores are divided by the number of sequences).
 *
 * <pre>{@code
 * LogitMetric metric = LogitMetrics.logProb(clean, probe.repeatedLossFrom(), probe.repeatedLossTo());
 * EdgeScores eap = EdgeAttribution.eap(model, clean, corrupted, metric);         // 1 forward + 1 forward-backward
 * EdgeScores ig = EdgeAttribution.eapIg(model, clean, corrupted, metric, 10);    // 1 forward + 10 forward-backward
 * EdgeScores exact = EdgeAttribution.exact(model, clean, corrupted, metric::value); // 1 forward per edge
 * }</pre>
 *
 * <p>The passes run on a view of the model with TransformerLens's {@code use_attn_result},
 * {@code use_split_qkv_input} and {@code use_hook_mlp_in} switched on (the weights are shared); the
 * model's own hooks fire first in every pass, on that view's hook points (with split inputs, hooks on
 * {@code ln1} see one row per head, {@code [batch, pos, head_index, ...]}).
 */
public final class EdgeAttribution {

    private EdgeAttribution() {}

    /**
     * EAP: the gradient on the clean run.
     *
     * @param model the model
     * @param cleanTokens {@code [batch][pos]}
     * @param corruptedTokens {@code [batch][pos]}, the same shape
     * @param metric the metric, evaluated on logits of the clean tokens' positions
     * @return the scores (a forward pass on the corrupted tokens, a forward and backward pass on the clean ones)
     */
    public static EdgeScores eap(HookedTransformer model, int[][] cleanTokens, int[][] corruptedTokens, LogitMetric metric) {
        check(model, cleanTokens, corruptedTokens, metric);
        try (GraphModel gm = GraphModel.of(model)) {
            GraphModel.Sources diff = gm.new Sources(cleanTokens.length, cleanTokens[0].length);
            // every run's logits feed only the metric: computed where it reads them
            int[][] read = metric.positionsRead(cleanTokens.length, cleanTokens[0].length);
            Tensor corruptedLogits = gm.run(corruptedTokens, ForwardOptions.builder().logitPositions(read), diff.capture(1f)).logits();
            Scoring s = new Scoring(gm, diff);
            // the clean sources are subtracted as the forward pass runs, before the backward pass reads diff
            List<HookSpec> hooks = new ArrayList<>(diff.capture(-1f));
            hooks.addAll(s.hooks());
            ForwardResult clean = gm.run(cleanTokens, ForwardOptions.builder().backward(metric).logitPositions(read), hooks);
            return s.scores("EAP", 1, clean.metric(), metric.value(corruptedLogits));
        }
    }

    /**
     * EAP-IG with {@code steps} interpolation points between the corrupted and the clean token
     * embeddings ({@code hook_embed}; the positions are the clean run's, as the reference's).
     *
     * @param model the model
     * @param cleanTokens {@code [batch][pos]}
     * @param corruptedTokens {@code [batch][pos]}, the same shape
     * @param metric the metric
     * @param steps {@code m}, at least 1 (1 is EAP with the corrupted run's gradient)
     * @return the scores (a forward pass on the clean tokens and {@code m} forward and backward passes)
     */
    public static EdgeScores eapIg(HookedTransformer model, int[][] cleanTokens, int[][] corruptedTokens, LogitMetric metric, int steps) {
        check(model, cleanTokens, corruptedTokens, metric);
        if (steps < 1) {
            throw new IllegalArgumentException("EAP-IG needs at least 1 step, got " + steps);
        }
        try (GraphModel gm = GraphModel.of(model)) {
            GraphModel.Sources diff = gm.new Sources(cleanTokens.length, cleanTokens[0].length);
            // every run's logits feed only the metric: computed where it reads them
            int[][] read = metric.positionsRead(cleanTokens.length, cleanTokens[0].length);
            ForwardResult clean = gm.run(cleanTokens, ForwardOptions.builder().cache(n -> n.equals("hook_embed")).logitPositions(read),
                    diff.capture(-1f));
            Tensor cleanEmbed = clean.cache().get("hook_embed");
            Scoring s = new Scoring(gm, diff);
            // step 0 is the corrupted run itself; it also completes diff before its own backward pass
            List<HookSpec> first = new ArrayList<>(diff.capture(1f));
            first.addAll(s.hooks());
            ForwardResult corrupted = gm.run(corruptedTokens, ForwardOptions.builder().cache(n -> n.equals("hook_embed")).backward(metric)
                    .logitPositions(read), first);
            Tensor corruptedEmbed = corrupted.cache().get("hook_embed");
            Tensor towardClean = cleanEmbed.sub(corruptedEmbed);
            for (int k = 1; k < steps; k++) {
                Tensor embed = corruptedEmbed.add(towardClean.mul((float) k / steps));
                List<HookSpec> hooks = new ArrayList<>();
                hooks.add(HookSpec.of("hook_embed", (a, p) -> embed));
                hooks.addAll(s.hooks());
                gm.run(cleanTokens, ForwardOptions.builder().backward(metric).logitPositions(read), hooks);
            }
            return s.scores("EAP-IG (" + steps + (steps == 1 ? " step)" : " steps)"), steps, metric.value(clean.logits()), corrupted.metric());
        }
    }

    /**
     * The exact score of every edge: the metric with that edge alone corrupted (every other edge
     * kept, as {@link Circuit#evaluate} runs it, without pruning) minus the clean metric. One forward
     * pass per edge, in parallel.
     *
     * @param model the model
     * @param cleanTokens {@code [batch][pos]}
     * @param corruptedTokens {@code [batch][pos]}, the same shape
     * @param metric the metric of the logits
     * @return the scores
     */
    public static EdgeScores exact(HookedTransformer model, int[][] cleanTokens, int[][] corruptedTokens, ToDoubleFunction<Tensor> metric) {
        Batches.requireSameShape(cleanTokens, corruptedTokens);
        try (GraphModel gm = GraphModel.of(model)) {
            AttributionGraph g = gm.graph;
            GraphModel.Sources corrupted = gm.new Sources(cleanTokens.length, cleanTokens[0].length);
            double corruptedMetric = metric.applyAsDouble(gm.run(corruptedTokens, ForwardOptions.builder(), corrupted.capture(1f)).logits());
            double cleanMetric = metric.applyAsDouble(gm.run(cleanTokens, ForwardOptions.builder(), List.of()).logits());
            int nSrc = g.sources().size(), nDst = g.destinations().size();
            List<int[]> edges = new ArrayList<>();
            for (int s = 0; s < nSrc; s++) {
                for (int d = 0; d < nDst; d++) {
                    if (g.isEdge(s, d)) {
                        edges.add(new int[] {s, d});
                    }
                }
            }
            double[] scores = new double[nSrc * nDst];
            Parallel.forRange(edges.size(), 1, (from, to) -> {
                for (int i = from; i < to; i++) {
                    int s = edges.get(i)[0], d = edges.get(i)[1];
                    boolean[][] absent = new boolean[nSrc][nDst];
                    absent[s][d] = true;
                    scores[s * nDst + d] = Circuit.run(gm, cleanTokens, corrupted, absent, metric) - cleanMetric;
                }
            });
            return new EdgeScores(g, "exact", scores, cleanMetric, corruptedMetric, List.of());
        }
    }

    private static void check(HookedTransformer model, int[][] clean, int[][] corrupted, LogitMetric metric) {
        if (model == null || metric == null) {
            throw new IllegalArgumentException("edge attribution needs a model and a metric");
        }
        Batches.requireSameShape(clean, corrupted);
    }

    /** The gradient sums of one attribution, and its scores once its passes are done. */
    private static final class Scoring {
        private final GraphModel gm;
        private final GraphModel.Sources diff;
        private final GraphModel.GradientSums sums;

        Scoring(GraphModel gm, GraphModel.Sources diff) {
            this.gm = gm;
            this.diff = diff;
            this.sums = gm.new GradientSums();
        }

        List<HookSpec> hooks() {
            return sums.hooks();
        }

        EdgeScores scores(String method, int passes, double cleanMetric, double corruptedMetric) {
            boolean[] nonzero = new boolean[gm.graph.destinations().size()];
            double[] scores = sums.scores(diff, passes, nonzero);
            List<String> zero = new ArrayList<>();
            for (int d = 0; d < nonzero.length; d++) {
                if (!nonzero[d]) {
                    zero.add(gm.graph.destinations().get(d));
                }
            }
            return new EdgeScores(gm.graph, method, scores, cleanMetric, corruptedMetric, zero);
        }
    }
}
