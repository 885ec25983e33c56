package dev.lens4j.transformer;

import dev.lens4j.tensor.Tensor;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Predicate;

/**
 * How much memory an activation cache will take, from the model's hook shapes
 * ({@link HookedTransformer#hookPoints}), before the pass that fills it runs. A cache of every hook
 * point grows with {@code batch x pos x pos} (the attention scores and patterns of every layer):
 * GPT-2 small on 8 x 1024 tokens needs about 14.4 GB (2^30 bytes each), plus 1.5 GB of logits. {@link #requireFits} refuses such a pass up front,
 * with the numbers and what to change, where running it would end in an {@link OutOfMemoryError}
 * after seconds of work.
 *
 * <pre>{@code
 * CacheEstimate e = CacheEstimate.of(model, 8, 1024, n -> true);
 * e.cacheBytes();     // the float32 activations the cache would hold
 * }</pre>
 *
 * @param batch sequences
 * @param pos positions per sequence
 * @param hookPoints how many hook points the filter accepts
 * @param cacheBytes the bytes of their activations (float32)
 * @param largest the hook point with the largest activation, or null when none is cached
 * @param largestBytes its bytes
 * @param logitsBytes the bytes of the pass's logits {@code [batch, pos, d_vocab]}, held with the cache
 */
public record CacheEstimate(int batch, int pos, int hookPoints, long cacheBytes, String largest, long largestBytes,
                            long logitsBytes) {

    /**
     * Estimates a cache from the model's hook shapes.
     *
     * @param model the model
     * @param batch sequences
     * @param pos positions per sequence
     * @param namesFilter the hook point names to cache
     * @return the estimate
     */
    public static CacheEstimate of(HookedTransformer model, int batch, int pos, Predicate<String> namesFilter) {
        long total = 0, max = -1;
        String largest = null;
        int count = 0;
        for (HookShape h : model.hookPoints(batch, pos)) {
            if (!namesFilter.test(h.name())) {
                continue;
            }
            long bytes = Float.BYTES;
            for (int d : h.shape()) {
                bytes *= d;
            }
            total += bytes;
            count++;
            if (bytes > max) {
                max = bytes;
                largest = h.name();
            }
        }
        long logits = (long) Float.BYTES * batch * pos * model.config().dVocab();
        return new CacheEstimate(batch, pos, count, total, largest, Math.max(max, 0), logits);
    }

    /**
     * Refuses a pass whose cache and logits cannot fit in the heap beside the model's heap weights and
     * the packed copies of its weight matrices it holds ({@link HookedTransformer#packedWeightBytes()}).
     * Only what cannot fit even in an otherwise empty heap is refused: a pass that fits may still run
     * out of memory when the program holds much else.
     *
     * @param model the model, whose weights on the heap and packed copies count against the limit
     * @param heapLimit the JVM's heap limit ({@link Runtime#maxMemory()})
     * @throws IllegalArgumentException with the estimate, the limit and what to change, if it cannot fit
     */
    public void requireFits(HookedTransformer model, long heapLimit) {
        if (heapLimit == Long.MAX_VALUE) {
            return; // no limit
        }
        long weights = heapWeightBytes(model) + model.packedWeightBytes();
        if (cacheBytes + logitsBytes <= heapLimit - weights) {
            return;
        }
        throw new IllegalArgumentException(String.format(Locale.ROOT,
                "caching %d hook points for a batch of %d x %d positions needs about %s (the largest, %s, %s), plus %s of "
                        + "logits, but the JVM's heap limit is %s, of which the weights and their packed copies take %s; cache fewer hook points "
                        + "(a names filter such as n -> n.endsWith(\"hook_pattern\")), run a smaller batch or fewer "
                        + "positions, or raise the heap limit (-Xmx)",
                hookPoints, batch, pos, bytes(cacheBytes), largest, bytes(largestBytes), bytes(logitsBytes), bytes(heapLimit),
                bytes(weights)));
    }

    /** The bytes of the model's weights that live on the heap, each storage counted once (views share it). */
    static long heapWeightBytes(HookedTransformer model) {
        List<Tensor> counted = new ArrayList<>();
        long total = 0;
        for (Tensor t : model.weights().stateDict().values()) {
            if (!t.isHeap() || counted.stream().anyMatch(t::sharesStorageWith)) {
                continue;
            }
            counted.add(t);
            total += (long) Float.BYTES * t.size();
        }
        return total;
    }

    /** A byte count for people: {@code 10.3 GB}, {@code 402.7 MB}, {@code 12.0 KB}, {@code 80 bytes}. */
    static String bytes(long n) {
        if (n >= 1L << 30) {
            return String.format(Locale.ROOT, "%.1f GB", n / (double) (1L << 30));
        }
        if (n >= 1L << 20) {
            return String.format(Locale.ROOT, "%.1f MB", n / (double) (1L << 20));
        }
        if (n >= 1L << 10) {
            return String.format(Locale.ROOT, "%.1f KB", n / (double) (1L << 10));
        }
        return n + " bytes";
    }
}
