package dev.lens4j.hooks;

import dev.lens4j.tensor.Shapes;
import dev.lens4j.tensor.Tensor;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.Predicate;

/**
 * The hooks of one pass, resolved against a model's hook points when the pass starts: the model's
 * own hooks (a {@link HookRegistry#snapshot()}), then the call's hooks, then the activation cache if
 * one was asked for. Each pass has its own {@code ForwardHooks}, so passes on several threads never
 * see each other's hooks.
 *
 * <p>A forward pass asks {@link #isActive} before it builds a tensor for a hook point, so points
 * nobody hooks cost nothing, and calls {@link #run} for the others. A backward pass does the same
 * with {@link #isGradientActive} and {@link #runBackward}: backward hooks
 * ({@link HookDirection#BACKWARD}) run on the gradient at a point, and with a cache the gradient is
 * recorded as {@code <name>_grad}, as TransformerLens's {@code run_with_cache(incl_bwd=True)} does.
 */
public final class ForwardHooks {

    private static final Hook[] NO_HOOKS = new Hook[0];

    /** The suffix of a gradient's name in a cache: {@code blocks.0.attn.hook_z_grad}. */
    public static final String GRAD_SUFFIX = "_grad";

    private final Hook[][] hooksByPoint;
    private final Hook[][] backwardByPoint;
    private final boolean[] cached;
    private final boolean[] active;
    private final boolean cacheGradients;
    private final ActivationCache.Builder cache;
    private final boolean any;

    private ForwardHooks(Hook[][] hooksByPoint, Hook[][] backwardByPoint, boolean[] cached, boolean cacheGradients,
                         ActivationCache.Builder cache) {
        this.hooksByPoint = hooksByPoint;
        this.backwardByPoint = backwardByPoint;
        this.cached = cached;
        this.cacheGradients = cacheGradients;
        this.cache = cache;
        this.active = new boolean[hooksByPoint.length];
        boolean a = false;
        for (int i = 0; i < active.length; i++) {
            active[i] = hooksByPoint[i].length > 0 || cached[i];
            a |= active[i];
        }
        this.any = a;
    }

    /**
     * Resolves hooks against a model's hook points.
     *
     * @param points the model's hook points; {@code points.get(i).index() == i}
     * @param modelHooks the model's own hooks, fired first, in order
     * @param callHooks this call's hooks, fired next, in order
     * @param cacheFilter names to record in an {@link ActivationCache} (after all hooks ran), or null for no cache
     * @param nLayers the model's number of layers, for the cache
     * @return the hooks of one pass
     * @throws IllegalArgumentException if a spec names a hook point the model does not have (the message lists close names)
     */
    public static ForwardHooks resolve(List<HookPoint> points, List<HookSpec> modelHooks, List<HookSpec> callHooks,
                                       Predicate<String> cacheFilter, int nLayers) {
        return resolve(points, modelHooks, callHooks, cacheFilter, false, nLayers);
    }

    /**
     * Resolves forward and backward hooks against a model's hook points.
     *
     * @param points the model's hook points; {@code points.get(i).index() == i}
     * @param modelHooks the model's own hooks, fired first, in order (backward ones only in a backward pass)
     * @param callHooks this call's hooks, fired next, in order
     * @param cacheFilter names to record in an {@link ActivationCache} (after all hooks ran), or null for no cache
     * @param cacheGradients whether the cache also records the gradient at each of those points, as {@code <name>_grad}
     * @param nLayers the model's number of layers, for the cache
     * @return the hooks of one pass
     * @throws IllegalArgumentException if a spec names a hook point the model does not have (the message lists close names)
     */
    public static ForwardHooks resolve(List<HookPoint> points, List<HookSpec> modelHooks, List<HookSpec> callHooks,
                                       Predicate<String> cacheFilter, boolean cacheGradients, int nLayers) {
        List<String> ordered = new ArrayList<>();
        for (HookPoint p : points) {
            ordered.add(p.name());
        }
        return resolve(points, modelHooks, callHooks, cacheFilter, cacheGradients, nLayers, new HookRegistry(ordered)::checkName);
    }

    /**
     * Resolves the hooks a model's registry holds and this call's against its hook points, checking every
     * exact name with the registry ({@link HookRegistry#checkName}), whose message also says which option a
     * missing point needs.
     *
     * @param points the model's hook points; {@code points.get(i).index() == i}
     * @param registry the model's registry: its hooks fire first, in order, and it checks the names
     * @param callHooks this call's hooks, fired next, in order
     * @param cacheFilter names to record in an {@link ActivationCache} (after all hooks ran), or null for no cache
     * @param cacheGradients whether the cache also records the gradient at each of those points, as {@code <name>_grad}
     * @param nLayers the model's number of layers, for the cache
     * @return the hooks of one pass
     * @throws IllegalArgumentException if a spec names a hook point the model does not have
     */
    public static ForwardHooks resolve(List<HookPoint> points, HookRegistry registry, List<HookSpec> callHooks,
                                       Predicate<String> cacheFilter, boolean cacheGradients, int nLayers) {
        return resolve(points, registry.snapshot(), callHooks, cacheFilter, cacheGradients, nLayers, registry::checkName);
    }

    private static ForwardHooks resolve(List<HookPoint> points, List<HookSpec> modelHooks, List<HookSpec> callHooks,
                                        Predicate<String> cacheFilter, boolean cacheGradients, int nLayers,
                                        Consumer<String> checkName) {
        for (int i = 0; i < points.size(); i++) {
            if (points.get(i).index() != i) {
                throw new IllegalArgumentException("hook point " + points.get(i) + " has index " + points.get(i).index() + " but is at position " + i);
            }
        }
        List<HookSpec> all = new ArrayList<>(modelHooks);
        all.addAll(callHooks);
        for (HookSpec s : all) {
            if (s.name() != null) {
                checkName.accept(s.name());
            }
        }
        Hook[][] byPoint = new Hook[points.size()][];
        Hook[][] backward = new Hook[points.size()][];
        boolean[] cached = new boolean[points.size()];
        List<Hook> fwd = new ArrayList<>();
        List<Hook> bwd = new ArrayList<>();
        for (HookPoint p : points) {
            fwd.clear();
            bwd.clear();
            for (HookSpec s : all) {
                if (s.matches(p.name())) {
                    (s.isBackward() ? bwd : fwd).add(s.hook());
                }
            }
            byPoint[p.index()] = fwd.isEmpty() ? NO_HOOKS : fwd.toArray(NO_HOOKS);
            backward[p.index()] = bwd.isEmpty() ? NO_HOOKS : bwd.toArray(NO_HOOKS);
            cached[p.index()] = cacheFilter != null && cacheFilter.test(p.name());
        }
        return new ForwardHooks(byPoint, backward, cached, cacheGradients && cacheFilter != null,
                cacheFilter == null ? null : ActivationCache.builder(nLayers));
    }

    /**
     * Returns hooks of a pass with nothing hooked and no cache.
     *
     * @param points the model's hook points
     * @return hooks of a pass with nothing hooked and no cache
     */
    public static ForwardHooks none(List<HookPoint> points) {
        Hook[][] byPoint = new Hook[points.size()][];
        Arrays.fill(byPoint, NO_HOOKS);
        return new ForwardHooks(byPoint, byPoint, new boolean[points.size()], false, null);
    }

    /**
     * Returns true when a hook or the cache wants this point's value.
     *
     * @param point a hook point of the model
     * @return true when a hook or the cache wants this point's value
     */
    public boolean isActive(HookPoint point) {
        return active[point.index()];
    }

    /**
     * Returns true when this pass's cache records this point's value.
     *
     * @param point a hook point of the model
     * @return true when this pass's cache records this point's value
     */
    public boolean isCached(HookPoint point) {
        return cached[point.index()];
    }

    /**
     * Returns true when at least one hook (not just the cache) runs at this point: only then can the
     * value change, by replacement or in place, while the pass runs.
     *
     * @param point a hook point of the model
     * @return true when a hook runs at this point
     */
    public boolean hasHooks(HookPoint point) {
        return hooksByPoint[point.index()].length > 0;
    }

    /**
     * Returns true when any point is hooked or cached.
     *
     * @return true when any point is hooked or cached
     */
    public boolean anyActive() {
        return any;
    }

    /**
     * Runs the hooks of a point on its value, then records the result in the cache if asked.
     *
     * @param point the hook point
     * @param activation the value, in the point's shape
     * @return the value to continue with: {@code activation} unless a hook replaced it
     * @throws IllegalArgumentException if a hook returned a tensor of another shape (naming the point and both shapes)
     */
    public Tensor run(HookPoint point, Tensor activation) {
        Tensor current = activation;
        for (Hook h : hooksByPoint[point.index()]) {
            Tensor r = h.apply(current, point);
            if (r != null && r != current) {
                if (!Arrays.equals(r.shape(), current.shape())) {
                    throw new IllegalArgumentException("hook on " + point.name() + " returned shape " + Shapes.str(r.shape())
                            + " but the activation has shape " + Shapes.str(current.shape()));
                }
                current = r;
            }
        }
        if (cached[point.index()]) {
            cache.put(point.name(), current);
        }
        return current;
    }

    /**
     * Returns true when a backward hook or the gradient cache wants the gradient at this point.
     *
     * @param point a hook point of the model
     * @return true when the gradient at this point is hooked or cached
     */
    public boolean isGradientActive(HookPoint point) {
        return backwardByPoint[point.index()].length > 0 || (cacheGradients && cached[point.index()]);
    }

    /**
     * Returns true when at least one backward hook runs at this point (so the gradient may change).
     *
     * @param point a hook point of the model
     * @return true when a backward hook runs at this point
     */
    public boolean hasBackwardHooks(HookPoint point) {
        return backwardByPoint[point.index()].length > 0;
    }

    /**
     * Returns true when any point has a backward hook.
     *
     * @return true when some backward hook was given
     */
    public boolean anyBackwardHooks() {
        for (Hook[] h : backwardByPoint) {
            if (h.length > 0) {
                return true;
            }
        }
        return false;
    }

    /**
     * Runs the backward hooks of a point on the gradient with respect to its activation, then
     * records the result in the cache as {@code <name>_grad} if asked.
     *
     * @param point the hook point
     * @param gradient the gradient, in the point's shape
     * @return the gradient to continue with: {@code gradient} unless a hook replaced it
     * @throws IllegalArgumentException if a hook returned a tensor of another shape (naming the point, the direction and both shapes)
     */
    public Tensor runBackward(HookPoint point, Tensor gradient) {
        Tensor current = gradient;
        for (Hook h : backwardByPoint[point.index()]) {
            Tensor r = h.apply(current, point);
            if (r != null && r != current) {
                if (!Arrays.equals(r.shape(), current.shape())) {
                    throw new IllegalArgumentException("backward hook on " + point.name() + " returned shape " + Shapes.str(r.shape())
                            + " but the gradient has shape " + Shapes.str(current.shape()));
                }
                current = r;
            }
        }
        if (cacheGradients && cached[point.index()]) {
            cache.put(point.name() + GRAD_SUFFIX, current);
        }
        return current;
    }

    /**
     * Returns the cache of this pass (empty when no cache was asked for).
     *
     * @return the cache of this pass (empty when no cache was asked for)
     */
    public ActivationCache cache() {
        return cache(null);
    }

    /**
     * Returns the cache of this pass (empty when no cache was asked for), with what closing it gives
     * back to the model that ran the pass ({@link ActivationCache#close()}).
     *
     * @param onClose run once when the cache (or one derived from it) is first closed, or null
     * @return the cache of this pass (empty when no cache was asked for)
     */
    public ActivationCache cache(Runnable onClose) {
        return cache == null ? ActivationCache.empty() : cache.build(onClose);
    }

    /**
     * Returns true when this pass records a cache.
     *
     * @return true when this pass records a cache
     */
    public boolean caching() {
        return cache != null;
    }
}
