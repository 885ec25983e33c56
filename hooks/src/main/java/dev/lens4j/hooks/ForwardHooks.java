package dev.lens4j.hooks;

import dev.lens4j.tensor.Shapes;
import dev.lens4j.tensor.Tensor;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Predicate;

/**
 * The hooks of one forward pass, resolved against a model's hook points when the pass starts: the
 * model's own hooks (a {@link HookRegistry#snapshot()}), then the call's hooks, then the activation
 * cache if one was asked for. Each pass has its own {@code ForwardHooks}, so passes on several
 * threads never see each other's hooks.
 *
 * <p>A forward pass asks {@link #isActive} before it builds a tensor for a hook point, so points
 * nobody hooks cost nothing, and calls {@link #run} for the others.
 */
public final class ForwardHooks {

    private static final Hook[] NO_HOOKS = new Hook[0];

    private final Hook[][] hooksByPoint;
    private final boolean[] cached;
    private final boolean[] active;
    private final ActivationCache.Builder cache;
    private final boolean any;

    private ForwardHooks(Hook[][] hooksByPoint, boolean[] cached, ActivationCache.Builder cache) {
        this.hooksByPoint = hooksByPoint;
        this.cached = cached;
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
        Set<String> names = new HashSet<>();
        for (int i = 0; i < points.size(); i++) {
            if (points.get(i).index() != i) {
                throw new IllegalArgumentException("hook point " + points.get(i) + " has index " + points.get(i).index() + " but is at position " + i);
            }
            names.add(points.get(i).name());
        }
        List<HookSpec> all = new ArrayList<>(modelHooks);
        all.addAll(callHooks);
        for (HookSpec s : all) {
            if (s.name() != null && !names.contains(s.name())) {
                List<String> ordered = new ArrayList<>();
                for (HookPoint p : points) {
                    ordered.add(p.name());
                }
                throw new IllegalArgumentException("no hook point named '" + s.name() + "'" + Names.closeNamesHint(s.name(), ordered));
            }
        }
        Hook[][] byPoint = new Hook[points.size()][];
        boolean[] cached = new boolean[points.size()];
        List<Hook> tmp = new ArrayList<>();
        for (HookPoint p : points) {
            tmp.clear();
            for (HookSpec s : all) {
                if (s.matches(p.name())) {
                    tmp.add(s.hook());
                }
            }
            byPoint[p.index()] = tmp.isEmpty() ? NO_HOOKS : tmp.toArray(NO_HOOKS);
            cached[p.index()] = cacheFilter != null && cacheFilter.test(p.name());
        }
        return new ForwardHooks(byPoint, cached, cacheFilter == null ? null : ActivationCache.builder(nLayers));
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
        return new ForwardHooks(byPoint, new boolean[points.size()], null);
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
     * Returns the cache of this pass (empty when no cache was asked for).
     *
     * @return the cache of this pass (empty when no cache was asked for)
     */
    public ActivationCache cache() {
        return cache == null ? ActivationCache.empty() : cache.build();
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
