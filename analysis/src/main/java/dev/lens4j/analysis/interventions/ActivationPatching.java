package dev.lens4j.analysis.interventions;

import dev.lens4j.hooks.ActNames;
import dev.lens4j.hooks.ActivationCache;
import dev.lens4j.hooks.Hook;
import dev.lens4j.hooks.HookSpec;
import dev.lens4j.tensor.Parallel;
import dev.lens4j.tensor.Shapes;
import dev.lens4j.tensor.Tensor;
import dev.lens4j.transformer.ForwardOptions;
import dev.lens4j.transformer.ForwardResult;
import dev.lens4j.transformer.HookedTransformer;
import dev.lens4j.transformer.TransformerConfig;

import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;
import java.util.function.Function;

/**
 * Activation patching from a clean run into a corrupted one, with TransformerLens's
 * {@code patching} module semantics: for every index of a sweep, run the corrupted tokens with
 * one activation (or a slice of it) replaced by the clean run's, and record a metric of the
 * patched logits.
 *
 * <pre>{@code
 * Metric diff = Metrics.logitDiff(-1, answers, wrong);
 * ActivationPatching patching = ActivationPatching.of(model, cleanTokens, corruptedTokens, diff);
 * Metric normalised = Metrics.normalised(diff, patching.cleanMetric(), patching.corruptedMetric());
 * Tensor byLayerPos = patching.withMetric(normalised).residPre();   // [n_layers, pos]
 * Tensor byHead = patching.headOutAllPos();                          // [n_layers, n_heads]
 * }</pre>
 *
 * <p>The clean run is made once and its cache reused for every patch. The patched runs of a sweep
 * are independent, each with its own per-call hook, and run in parallel through
 * {@link Parallel}; each result lands in its own slot, so a sweep gives the same numbers on any
 * number of threads. The sweep is split across the threads and each patched pass runs whole on the
 * thread that took it ({@link Parallel} runs a call made from inside a range on the calling thread),
 * so the passes do not meet at the many small parallel sections of a forward pass.
 *
 * <p>A patch in block {@code L} cannot change blocks before it, so a patched run starts at block
 * {@code L} from the corrupted run's cached {@code resid_pre} (recorded once, by a run that also
 * gives {@link #corruptedMetric()}) instead of at the embedding: a sweep over all layers does about
 * half the block computations a full run per patch would. The model's own hooks ({@link
 * HookedTransformer#hooks()}) in earlier blocks are in that cached stream, but do not fire again.
 */
public final class ActivationPatching extends PatchingSweeps {

    private final HookedTransformer model;
    private final int[][] corrupted;
    private final ActivationCache clean;
    private final Metric metric;
    private final Tensor cleanLogits;     // or null when built from a cache
    private volatile Tensor corruptedLogits;
    private volatile Tensor[] corruptedResid; // resid_pre of every block of the corrupted run
    private volatile Set<String> names;   // the model's hook point names, looked up once

    /**
     * Patches into the corrupted tokens from a clean run's cache.
     *
     * @param model the model
     * @param corruptedTokens {@code [batch][pos]}: the run that gets patched
     * @param cleanCache the clean run's activations, over the same batch and positions; it must
     *                   hold every hook point a sweep patches
     * @param metric what to record from each patched run's logits
     */
    public ActivationPatching(HookedTransformer model, int[][] corruptedTokens, ActivationCache cleanCache, Metric metric) {
        this(model, corruptedTokens, cleanCache, metric, null);
    }

    private ActivationPatching(HookedTransformer model, int[][] corruptedTokens, ActivationCache cleanCache, Metric metric, Tensor cleanLogits) {
        if (model == null || corruptedTokens == null || cleanCache == null || metric == null) {
            throw new IllegalArgumentException("activation patching needs a model, corrupted tokens, a clean cache and a metric");
        }
        this.model = model;
        this.corrupted = corruptedTokens;
        this.clean = cleanCache;
        this.metric = metric;
        this.cleanLogits = cleanLogits;
    }

    /**
     * Runs the clean tokens once, caching every activation, for patching into the corrupted tokens.
     *
     * @param model the model
     * @param cleanTokens {@code [batch][pos]}
     * @param corruptedTokens {@code [batch][pos]}, the same shape
     * @param metric what to record from each patched run
     * @return the patching experiment
     */
    public static ActivationPatching of(HookedTransformer model, int[][] cleanTokens, int[][] corruptedTokens, Metric metric) {
        if (cleanTokens == null || corruptedTokens == null || cleanTokens.length != corruptedTokens.length
                || cleanTokens.length == 0 || cleanTokens[0].length != corruptedTokens[0].length) {
            throw new IllegalArgumentException("clean and corrupted tokens must have the same [batch][pos] shape, got "
                    + dims(cleanTokens) + " and " + dims(corruptedTokens));
        }
        ForwardResult run = model.runWithCache(cleanTokens);
        return new ActivationPatching(model, corruptedTokens, run.cache(), metric, run.logits());
    }

    /**
     * The same clean cache and corrupted tokens with another metric (no new clean run).
     *
     * @param other the metric
     * @return a patching experiment sharing this one's runs
     */
    public ActivationPatching withMetric(Metric other) {
        ActivationPatching p = new ActivationPatching(model, corrupted, clean, other, cleanLogits);
        Tensor[] r = corruptedResid;
        if (r != null) {
            p.corruptedLogits = corruptedLogits;
            p.corruptedResid = r;
        }
        return p;
    }

    /**
     * The metric of the clean run, the value a perfect patch restores.
     *
     * @return the metric of the clean run
     * @throws IllegalStateException when this experiment was built from a cache, without the clean logits
     */
    public float cleanMetric() {
        if (cleanLogits == null) {
            throw new IllegalStateException("the clean logits are unknown: build the experiment with ActivationPatching.of(...)");
        }
        return metric.apply(cleanLogits);
    }

    /**
     * The metric of the corrupted run, the value of a patch that changes nothing.
     *
     * @return the metric of the unpatched corrupted run (run once)
     */
    public float corruptedMetric() {
        corruptedResid();
        return metric.apply(corruptedLogits);
    }

    /** The corrupted run's {@code resid_pre} of every block, recorded once along with its logits. */
    private Tensor[] corruptedResid() {
        Tensor[] r = corruptedResid;
        if (r == null) {
            synchronized (this) {
                r = corruptedResid;
                if (r == null) {
                    ForwardResult run = model.runWithCache(corrupted, n -> n.endsWith(".hook_resid_pre"));
                    r = new Tensor[cfg().nLayers()];
                    for (int l = 0; l < r.length; l++) {
                        r[l] = run.cache().get("resid_pre", l);
                    }
                    corruptedLogits = run.logits();
                    corruptedResid = r;
                }
            }
        }
        return r;
    }

    /**
     * The logits of the corrupted run with some hooks, started at the earliest block they are in.
     *
     * @param specs the hooks
     * @param start the first block any hook is in (0 for a hook outside the blocks)
     */
    private Tensor runPatched(HookSpec[] specs, int start) {
        if (start == 0) {
            return model.runWithHooks(corrupted, specs);
        }
        Tensor resid = corruptedResid()[start];
        return model.runFromResidual(resid, ForwardOptions.builder().startAtLayer(start).hooks(specs).build()).logits();
    }

    /** The block a hook point belongs to ({@code blocks.L....}), or 0 for the embeddings and the final LayerNorm. */
    private int blockOf(String hookName) {
        if (!hookName.startsWith("blocks.")) {
            return 0;
        }
        int end = hookName.indexOf('.', 7);
        int l = Integer.parseInt(hookName.substring(7, end));
        return l < cfg().nLayers() ? l : 0;
    }

    /**
     * The clean run's activations, what every patch copies from.
     *
     * @return the clean run's cache
     */
    public ActivationCache cleanCache() {
        return clean;
    }

    // ------------------------------------------------------------------ generic

    /**
     * The metric of one corrupted run with some patches applied together.
     *
     * @param patches patches at hook points of the model, held by the clean cache
     * @return the metric
     */
    public float run(Patch... patches) {
        HookSpec[] specs = new HookSpec[patches.length];
        int start = cfg().nLayers();
        for (int i = 0; i < patches.length; i++) {
            specs[i] = hook(patches[i]);
            start = Math.min(start, blockOf(patches[i].hookName()));
        }
        return metric.apply(runPatched(specs, patches.length == 0 ? 0 : start));
    }

    /**
     * A sweep over any index (TransformerLens's {@code generic_activation_patch}): for every
     * multi-index of {@code shape}, in row-major order, one corrupted run with the patch
     * {@code patchAt} gives for it.
     *
     * <pre>{@code
     * // patch hook_k of every head at every position: [n_layers, pos, n_heads]
     * Tensor r = patching.generic(new int[] {L, pos, H}, i -> Patch.headAtPosition(ActNames.of("k", i[0]), i[1], i[2]));
     * }</pre>
     *
     * @param shape the sweep's index shape, which is the result's shape
     * @param patchAt the patch for a multi-index
     * @return the metric of every patched run, {@code shape}
     */
    public Tensor generic(int[] shape, Function<int[], Patch> patchAt) {
        int n = Shapes.numel(shape);
        HookSpec[] specs = new HookSpec[n];
        int[] start = new int[n];
        int[] idx = new int[shape.length];
        for (int i = 0; i < n; i++) {
            Patch patch = patchAt.apply(idx.clone());
            specs[i] = hook(patch);
            start[i] = blockOf(patch.hookName());
            for (int d = shape.length - 1; d >= 0; d--) {
                if (++idx[d] < shape[d]) {
                    break;
                }
                idx[d] = 0;
            }
        }
        float[] out = new float[n];
        Parallel.forRange(n, 1, (s, e) -> {
            for (int i = s; i < e; i++) {
                out[i] = metric.apply(runPatched(new HookSpec[] {specs[i]}, start[i]));
            }
        });
        return Tensor.of(out, shape);
    }

    private HookSpec hook(Patch patch) {
        String name = patch.hookName();
        if (!hookNames().contains(name)) {
            throw new IllegalArgumentException("model " + model.config().modelName() + " has no hook point '" + name + "'");
        }
        Tensor cleanAct = clean.get(name);
        Patch.Setter setter = patch.setter();
        Hook hook = (act, point) -> {
            if (!Arrays.equals(act.shape(), cleanAct.shape())) {
                throw new IllegalArgumentException("clean activation " + Shapes.str(cleanAct.shape()) + " of " + name
                        + " does not match the corrupted run's " + Shapes.str(act.shape()));
            }
            return setter.patch(act, cleanAct);
        };
        return HookSpec.of(name, hook);
    }

    private Set<String> hookNames() {
        Set<String> s = names;
        if (s == null) {
            s = new HashSet<>(model.hookPointNames());
            names = s;
        }
        return s;
    }

    // ------------------------------------------------------------------ TransformerLens's sweeps (PatchingSweeps)

    private TransformerConfig cfg() {
        return model.config();
    }

    private int pos() {
        return corrupted[0].length;
    }

    @Override
    protected TransformerConfig sweepConfig() {
        return cfg();
    }

    @Override
    protected Tensor layerPositionSweep(String shortName) {
        return generic(new int[] {cfg().nLayers(), pos()}, i -> Patch.position(ActNames.of(shortName, i[0]), i[1]));
    }

    @Override
    protected Tensor headVectorSweep(String which, boolean byPosition) {
        return byPosition
                ? generic(new int[] {cfg().nLayers(), pos(), headsOf(which)}, i -> Patch.headAtPosition(ActNames.of(which, i[0]), i[1], i[2]))
                : generic(new int[] {cfg().nLayers(), headsOf(which)}, i -> Patch.head(ActNames.of(which, i[0]), i[1]));
    }

    @Override
    protected Tensor patternSweep(boolean byPosition) {
        return byPosition
                ? generic(new int[] {cfg().nLayers(), cfg().nHeads(), pos()}, i -> Patch.headAtPosition(ActNames.of("pattern", i[0]), i[2], i[1]))
                : generic(new int[] {cfg().nLayers(), cfg().nHeads()}, i -> Patch.head(ActNames.of("pattern", i[0]), i[1]));
    }

    private static String dims(int[][] t) {
        return t == null ? "null" : "[" + t.length + "][" + (t.length == 0 || t[0] == null ? 0 : t[0].length) + "]";
    }
}
