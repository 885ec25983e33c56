package dev.lens4j.analysis.gradients;

import dev.lens4j.hooks.Hook;
import dev.lens4j.hooks.HookSpec;
import dev.lens4j.tensor.Tensor;
import dev.lens4j.transformer.ForwardOptions;
import dev.lens4j.transformer.ForwardResult;
import dev.lens4j.transformer.HookedTransformer;
import dev.lens4j.transformer.TransformerConfig;

import java.util.ArrayList;
import java.util.List;

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
     * The graph view of a model; the weights are shared, not copied.
     *
     * @param original the model
     * @return its graph view (close it when done; closing leaves the original open)
     */
    static GraphModel of(HookedTransformer original) {
        TransformerConfig cfg = original.config();
        AttributionGraph graph = AttributionGraph.of(cfg);
        TransformerConfig switched = cfg.withHookSwitches(true, true, !cfg.attnOnly(), false);
        HookedTransformer view = HookedTransformer.of(switched, original.weights(), original.hasTokenizer() ? original.tokenizer() : null, null);
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
        List<HookSpec> all = new ArrayList<>(own);
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
     * Backward hooks that add {@code diff . gradient} of every edge to {@code scores}: for each
     * destination, the sum over batch, positions and d_model of each upstream source's entry of
     * {@code diff} times the gradient at the destination's input.
     *
     * @param diff the source differences (corrupted - clean)
     * @param scores {@code [n_sources * n_destinations]} row-major, added to
     * @param nonzero per destination, set when its gradient is nonzero somewhere
     * @return the hooks
     */
    List<HookSpec> scoreEdges(Sources diff, double[] scores, boolean[] nonzero) {
        List<HookSpec> hooks = new ArrayList<>();
        int nDst = graph.destinations().size();
        int heads = graph.heads();
        for (int l = 0; l < graph.layers(); l++) {
            int start = graph.layerStart(l);
            String[] inputs = {"q", "k", "v"};
            for (int i = 0; i < 3; i++) {
                int base = start + i * heads;
                int end = graph.upstreamEnd(base);
                hooks.add(HookSpec.backward("blocks." + l + ".hook_" + inputs[i] + "_input", Hook.observe(g -> {
                    // [batch, pos, head, d_model] -> [head, batch * pos * d_model]: one row of gradients per head
                    Tensor perHead = g.reshape(diff.rows, heads, dModel).permute(1, 0, 2).reshape(heads, diff.rows * dModel);
                    Tensor s = diff.upTo(end).matmul(perHead.mT()); // [end, head]
                    for (int h = 0; h < heads; h++) {
                        nonzero[base + h] |= perHead.select(0, h).abs().max() > 0f;
                        for (int src = 0; src < end; src++) {
                            scores[src * nDst + base + h] += s.get(src, h);
                        }
                    }
                })));
            }
            if (graph.hasMlp()) {
                int dst = start + 3 * heads;
                hooks.add(HookSpec.backward("blocks." + l + ".hook_mlp_in", Hook.observe(g -> addVector(diff, g, dst, scores, nonzero))));
            }
        }
        int logits = nDst - 1;
        hooks.add(HookSpec.backward("blocks." + (graph.layers() - 1) + ".hook_resid_post",
                Hook.observe(g -> addVector(diff, g, logits, scores, nonzero))));
        return hooks;
    }

    private void addVector(Sources diff, Tensor g, int dst, double[] scores, boolean[] nonzero) {
        int end = graph.upstreamEnd(dst);
        Tensor s = diff.upTo(end).matmul(g.reshape(diff.rows * dModel)); // [end]
        nonzero[dst] |= g.abs().max() > 0f;
        int nDst = graph.destinations().size();
        for (int src = 0; src < end; src++) {
            scores[src * nDst + dst] += s.get(src);
        }
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
        addVectorHook(hooks, "blocks." + (graph.layers() - 1) + ".hook_resid_post", diff, absent, graph.destinations().size() - 1);
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
