package dev.lens4j.analysis.gradients;

import dev.lens4j.hooks.Hook;
import dev.lens4j.hooks.HookSpec;
import dev.lens4j.tensor.Tensor;
import dev.lens4j.transformer.ForwardOptions;
import dev.lens4j.transformer.ForwardResult;
import dev.lens4j.transformer.HookedTransformer;
import dev.lens4j.transformer.TransformerConfig;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A model as its {@link AttributionGraph} sees it: the same weights with TransformerLens's
 * {@code use_attn_result}, {@code use_split_qkv_input} and {@code use_hook_mlp_in} switched on (so
 * each head's output and each head's query, key and value inputs are hook points of their own), and
 * the hooks that read source outputs into a {@link Sources} store, add to destination inputs, and
 * accumulate edge scores from destination gradients. The original model's own hooks fire first in
 * every pass, as they would on it.
 */
final class GraphModel implements AutoCloseable {

    final HookedTransformer model;
    final AttributionGraph graph;
    private final List<HookSpec> own;
    private final int dModel;

    private GraphModel(HookedTransformer model, AttributionGraph graph, List<HookSpec> own) {
        this.model = model;
        this.graph = graph;
        this.own = own;
        this.dModel = model.config().dModel();
    }

    /**
     * The graph view of a model; the weights and their packed copies are shared, not copied.
     *
     * @param original the model
     * @return its graph view (close it when done; closing leaves the original open)
     */
    static GraphModel of(HookedTransformer original) {
        TransformerConfig cfg = original.config();
        AttributionGraph graph = AttributionGraph.of(cfg);
        HookedTransformer view = original.withHookSwitches(true, true, !cfg.attnOnly(), false);
        return new GraphModel(view, graph, original.hooks().snapshot());
    }

    /**
     * Runs a pass with the original model's hooks first, then the given ones.
     *
     * @param tokens {@code [batch][pos]}
     * @param options the pass, without hooks of the original model
     * @return the result
     */
    ForwardResult run(int[][] tokens, ForwardOptions.Builder options, List<HookSpec> hooks) {
        boolean backward = options.build().backward() != null;
        List<HookSpec> all = new ArrayList<>();
        for (HookSpec h : own) {
            // the original model's backward hooks run only in the passes that have one, as on the model itself
            if (backward || !h.isBackward()) {
                all.add(h);
            }
        }
        all.addAll(hooks);
        return model.run(tokens, options.hooks(all).build());
    }

    // ------------------------------------------------------------------ sources

    /**
     * Source outputs of one batch, {@code [n_sources, batch * pos, d_model]} row-major: the sum of
     * the outputs the capture hooks were given, each times its sign.
     */
    final class Sources {
        final int rows;
        final float[] data;

        Sources(int batch, int pos) {
            this.rows = batch * pos;
            this.data = new float[graph.sources().size() * rows * dModel];
        }

        private Sources(int rows, float[] data) {
            this.rows = rows;
            this.data = data;
        }

        Sources copy() {
            return new Sources(rows, data.clone());
        }

        /** The first {@code end} sources, {@code [end, batch * pos * d_model]}, a view. */
        Tensor upTo(int end) {
            return Tensor.of(data, graph.sources().size(), rows * dModel).slice(0, 0, end);
        }

        /**
         * Hooks that add {@code sign} times every source output of a pass to this store.
         *
         * @param sign +1 or -1
         * @return forward hooks on {@code hook_embed}, each layer's {@code hook_result} and {@code hook_mlp_out}
         */
        List<HookSpec> capture(float sign) {
            List<HookSpec> hooks = new ArrayList<>();
            hooks.add(HookSpec.of("hook_embed", Hook.observe(a -> add(0, a, -1, sign))));
            for (int l = 0; l < graph.layers(); l++) {
                int first = graph.layerSourceStart(l);
                hooks.add(HookSpec.of("blocks." + l + ".attn.hook_result", Hook.observe(a -> {
                    for (int h = 0; h < graph.heads(); h++) {
                        add(first + h, a, h, sign);
                    }
                })));
                if (graph.hasMlp()) {
                    hooks.add(HookSpec.of("blocks." + l + ".hook_mlp_out", Hook.observe(a -> add(first + graph.heads(), a, -1, sign))));
                }
            }
            return hooks;
        }

        /** Adds {@code sign * act} ({@code [batch, pos, d_model]}, or head {@code head} of {@code [batch, pos, head_index, d_model]}). */
        private void add(int src, Tensor act, int head, float sign) {
            Tensor a = head < 0 ? act : act.select(2, head);
            if (a.size() != rows * dModel) {
                throw new IllegalArgumentException("source " + graph.sources().get(src) + " has " + a.size() + " values, expected "
                        + rows + " rows of " + dModel + "; the clean and corrupted batches must have one shape");
            }
            float[] v = a.contiguous().toArray();
            int o = src * rows * dModel;
            for (int i = 0; i < v.length; i++) {
                data[o + i] += sign * v[i];
            }
        }
    }

    // ------------------------------------------------------------------ destinations

    /**
     * The gradients at every destination input, summed over the backward passes of one attribution
     * (EAP-IG's steps). An edge's score is linear in its destination's gradient, so the scores are
     * computed once from the sums ({@link #scores}) rather than once per pass: a pass then only adds
     * its gradients, in their hook points' layouts, and the products with the source differences
     * (which read every source's difference once per destination group) are paid once.
     */
    final class GradientSums {
        private final Map<String, float[]> sums = new HashMap<>();

        /**
         * Backward hooks that add each pass's gradients to the sums.
         *
         * @return hooks on every destination's hook point
         */
        List<HookSpec> hooks() {
            List<HookSpec> hooks = new ArrayList<>();
            for (int l = 0; l < graph.layers(); l++) {
                for (String in : List.of("q", "k", "v")) {
                    hooks.add(sum("blocks." + l + ".hook_" + in + "_input"));
                }
                if (graph.hasMlp()) {
                    hooks.add(sum("blocks." + l + ".hook_mlp_in"));
                }
            }
            hooks.add(sum(logitsHook()));
            return hooks;
        }

        private HookSpec sum(String name) {
            return HookSpec.backward(name, Hook.observe(g -> add(name, g)));
        }

        private synchronized void add(String name, Tensor g) {
            Tensor c = g.isContiguous() && g.isHeap() ? g : g.contiguous();
            float[] a = c.heapArray();
            int o = c.heapOffset(), n = c.size();
            float[] s = sums.computeIfAbsent(name, k -> new float[n]);
            if (s.length != n) {
                throw new IllegalStateException("the gradient at " + name + " has " + n + " values in one pass and " + s.length
                        + " in another");
            }
            for (int i = 0; i < n; i++) {
                s[i] += a[o + i];
            }
        }

        /**
         * Every edge's score from the summed gradients: for each destination, the sum over batch,
         * positions and d_model of each upstream source's entry of {@code diff} times the gradient at
         * the destination's input, divided by {@code passes}.
         *
         * @param diff the source differences (corrupted - clean)
         * @param passes how many backward passes the sums hold
         * @param nonzero per destination, set when its summed gradient is nonzero somewhere
         * @return {@code [n_sources * n_destinations]} row-major
         */
        double[] scores(Sources diff, int passes, boolean[] nonzero) {
            int nDst = graph.destinations().size(), heads = graph.heads(), width = diff.rows * dModel;
            double[] scores = new double[graph.sources().size() * nDst];
            for (int l = 0; l < graph.layers(); l++) {
                int start = graph.layerStart(l);
                List<String> inputs = List.of("q", "k", "v");
                for (int i = 0; i < 3; i++) {
                    float[] g = sums.get("blocks." + l + ".hook_" + inputs.get(i) + "_input");
                    int base = start + i * heads, end = graph.upstreamEnd(base);
                    if (g == null) {
                        continue;
                    }
                    // [batch * pos, head, d_model] -> [head, batch * pos * d_model]: one row of gradients per head
                    Tensor perHead = Tensor.of(g, diff.rows, heads, dModel).permute(1, 0, 2).reshape(heads, width);
                    Tensor s = perHead.matmul(diff.upTo(end).mT()); // [head, end]
                    for (int h = 0; h < heads; h++) {
                        nonzero[base + h] = perHead.select(0, h).abs().max() > 0f;
                        for (int src = 0; src < end; src++) {
                            scores[src * nDst + base + h] = (double) s.get(h, src) / passes;
                        }
                    }
                }
                if (graph.hasMlp()) {
                    vector(diff, "blocks." + l + ".hook_mlp_in", start + 3 * heads, passes, scores, nonzero);
                }
            }
            vector(diff, logitsHook(), nDst - 1, passes, scores, nonzero);
            return scores;
        }

        private void vector(Sources diff, String name, int dst, int passes, double[] scores, boolean[] nonzero) {
            float[] g = sums.get(name);
            if (g == null) {
                return;
            }
            int end = graph.upstreamEnd(dst), nDst = graph.destinations().size();
            Tensor grad = Tensor.of(g, g.length);
            Tensor s = diff.upTo(end).matmul(grad); // [end]
            nonzero[dst] = grad.abs().max() > 0f;
            for (int src = 0; src < end; src++) {
                scores[src * nDst + dst] = (double) s.get(src) / passes;
            }
        }
    }

    /** The hook point the logits' destination reads: the last block's output. */
    private String logitsHook() {
        return "blocks." + (graph.layers() - 1) + ".hook_resid_post";
    }

    /**
     * Forward hooks that add to every destination input the differences of the sources whose edge
     * into it is absent from a circuit: {@code input += sum over absent edges of diff[source]}. With
     * {@code diff = corrupted - (this pass's own source outputs)}, each absent edge carries the
     * corrupted source output and each present one this pass's (hannamw/EAP-IG's
     * {@code evaluate_graph}).
     *
     * @param diff filled while the pass runs, by capture hooks that fire before these
     * @param absent {@code [n_sources][n_destinations]}, true where the edge exists and is not in the circuit
     * @return the hooks
     */
    List<HookSpec> corruptAbsentEdges(Sources diff, boolean[][] absent) {
        List<HookSpec> hooks = new ArrayList<>();
        int heads = graph.heads();
        for (int l = 0; l < graph.layers(); l++) {
            int start = graph.layerStart(l);
            String[] inputs = {"q", "k", "v"};
            for (int i = 0; i < 3; i++) {
                int base = start + i * heads;
                int end = graph.upstreamEnd(base);
                Tensor mask = Tensor.zeros(heads, end);   // [head, source]
                boolean any = false;
                for (int h = 0; h < heads; h++) {
                    for (int src = 0; src < end; src++) {
                        if (absent[src][base + h]) {
                            mask.set(1f, h, src);
                            any = true;
                        }
                    }
                }
                if (!any) {
                    continue;
                }
                hooks.add(HookSpec.of("blocks." + l + ".hook_" + inputs[i] + "_input", (act, point) -> {
                    // [head, batch * pos * d_model] -> [batch, pos, head, d_model]
                    Tensor update = mask.matmul(diff.upTo(end)).reshape(heads, diff.rows, dModel).permute(1, 0, 2);
                    return act.add(update.reshape(act.shape()));
                }));
            }
            if (graph.hasMlp()) {
                addVectorHook(hooks, "blocks." + l + ".hook_mlp_in", diff, absent, start + 3 * heads);
            }
        }
        addVectorHook(hooks, logitsHook(), diff, absent, graph.destinations().size() - 1);
        return hooks;
    }

    private void addVectorHook(List<HookSpec> hooks, String name, Sources diff, boolean[][] absent, int dst) {
        int end = graph.upstreamEnd(dst);
        Tensor mask = Tensor.zeros(end);
        boolean any = false;
        for (int src = 0; src < end; src++) {
            if (absent[src][dst]) {
                mask.set(1f, src);
                any = true;
            }
        }
        if (any) {
            hooks.add(HookSpec.of(name, (act, point) -> act.add(mask.matmul(diff.upTo(end)).reshape(act.shape()))));
        }
    }

    @Override
    public void close() {
        model.close();
    }
}
