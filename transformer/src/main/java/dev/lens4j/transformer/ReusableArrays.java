package dev.lens4j.transformer;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The arrays of a closed {@link dev.lens4j.hooks.ActivationCache} of one model, which that model's next
 * cached pass writes the activations it caches into instead of allocating new ones (1.8 GB of the 1.9 GB
 * of GPT-2 small's cache at 1 x 1024, which the garbage collector would otherwise reclaim). It
 * holds the arrays of the last cache closed, only until the end of the next cached pass: what that pass
 * did not take is dropped, so a model keeps no memory for a shape it no longer runs. Thread-safe.
 */
final class ReusableArrays {

    private final Map<Integer, ArrayDeque<float[]>> byLength = new HashMap<>();

    /**
     * One of the arrays of that length, removed from the pool, or null; its elements are a closed
     * cache's values, which the caller must overwrite.
     */
    synchronized float[] take(int length) {
        ArrayDeque<float[]> q = byLength.get(length);
        return q == null ? null : q.poll();
    }

    /** Replaces the pool's arrays with a closed cache's (distinct arrays that nothing reads any more). */
    synchronized void give(List<float[]> arrays) {
        byLength.clear();
        for (float[] a : arrays) {
            byLength.computeIfAbsent(a.length, n -> new ArrayDeque<>()).add(a);
        }
    }

    /** Drops every array (the end of a cached pass, or of the model). */
    synchronized void clear() {
        byLength.clear();
    }
}
