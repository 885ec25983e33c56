package dev.lens4j.tensor.internal;

import java.util.Map;
import java.util.WeakHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Which heap arrays a model keeps a derived copy of (a weight packed into GEMM panels), and whether
 * they were written since: the write barrier of every path through which {@code Tensor} lets a
 * registered array change. {@code Tensor.set} and {@code Tensor.copyFrom} count a write after storing;
 * {@code Tensor.heapArray()}, {@code heapStorage()}, {@code asMatrix()} and {@code sameViewOver} hand
 * the array itself to the caller, who may write it at any time afterwards, so they mark the array
 * <em>escaped</em> for good: a copy derived from an escaped array is never trusted again. Arrays are
 * keyed by identity (Java arrays do not override {@code equals}) and held weakly.
 *
 * <p>What this cannot see: an array the caller held before registering it (the {@code float[]} a
 * weight tensor was made from), and writes into memory segments. Models register their weights when
 * they are built, before any of their weights is handed out.
 */
public final class StorageWatch {

    /** One array's record: how many writes went through Tensor, and whether the array itself was handed out. */
    public static final class Watch {
        private final AtomicLong writes = new AtomicLong();
        private volatile boolean escaped;

        private Watch() {}

        /**
         * Returns the number of writes counted so far; a copy made while it was {@code w} is current
         * as long as it is still {@code w} and the array has not escaped.
         *
         * @return the write count
         */
        public long writes() {
            return writes.get();
        }

        /**
         * Returns whether the array was handed out as a raw array (and may change without a count).
         *
         * @return true once escaped
         */
        public boolean escaped() {
            return escaped;
        }
    }

    /**
     * A watch that never counts a write nor escapes, for storage nothing can write (a read-only mapping).
     *
     * @return a new watch of no array
     */
    public static Watch neverWritten() {
        return new Watch();
    }

    private static final Map<float[], Watch> WATCHES = new WeakHashMap<>();
    /** Whether any array was ever registered: until then the write paths cost one volatile read. */
    private static volatile boolean any;

    private StorageWatch() {}

    /**
     * Starts watching an array, or returns its watch if it has one (two models over the same weights
     * share it).
     *
     * @param storage the array
     * @return its watch
     */
    public static Watch watch(float[] storage) {
        synchronized (WATCHES) {
            any = true;
            return WATCHES.computeIfAbsent(storage, a -> new Watch());
        }
    }

    /**
     * Counts a write into an array (a no-op for arrays nobody watches); called after the write.
     *
     * @param storage the array written
     */
    public static void written(float[] storage) {
        Watch w = find(storage);
        if (w != null) {
            w.writes.incrementAndGet();
        }
    }

    /**
     * Marks an array as handed out raw (a no-op for arrays nobody watches).
     *
     * @param storage the array
     */
    public static void escaped(float[] storage) {
        if (READING.get() != null) {
            return;
        }
        Watch w = find(storage);
        if (w != null) {
            w.escaped = true;
        }
    }

    /** Set on a thread while it runs code that only reads the arrays it is handed ({@link #reading}). */
    private static final ThreadLocal<Boolean> READING = new ThreadLocal<>();

    /**
     * Runs code of lens4j's own that takes raw arrays only to read them, such as a model building its
     * matrix operands over weights another model already watches: the arrays it is handed on this thread
     * are not marked escaped, so the packed copies derived from them stay trusted. Writes through
     * {@code Tensor} are still counted. Never for code that could keep an array and write it later.
     *
     * @param code what to run
     * @param <T> its result
     * @return the result
     */
    public static <T> T reading(java.util.function.Supplier<T> code) {
        if (READING.get() != null) {
            return code.get();
        }
        READING.set(Boolean.TRUE);
        try {
            return code.get();
        } finally {
            READING.remove();
        }
    }

    private static Watch find(float[] storage) {
        if (!any || storage == null) {
            return null;
        }
        synchronized (WATCHES) {
            return WATCHES.get(storage);
        }
    }
}
