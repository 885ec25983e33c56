package dev.lens4j.transformer.loading;

import dev.lens4j.tensor.io.DType;
import dev.lens4j.transformer.TransformerConfig;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * The memory it takes to load a GPT-2-small-shaped checkpoint (12 layers, d_model 768, d_vocab 50257,
 * n_ctx 1024: 497.8 MB of float32, every byte written), with and without weight processing. Not a
 * test (it writes half a gigabyte and starts about twenty JVMs, a minute in all): run it by hand;
 * {@link Gpt2MemoryTest} asserts the bound on a smaller model of the same proportions.
 *
 * <pre>
 *   ./mvnw -q -B -o -pl transformer test-compile dependency:build-classpath -Dmdep.outputFile=/tmp/cp.txt
 *   java --add-modules jdk.incubator.vector \
 *       -cp "transformer/target/test-classes:transformer/target/classes:$(cat /tmp/cp.txt)" \
 *       dev.lens4j.transformer.loading.LoadMemoryMeasurement /tmp/gpt2-small-shaped
 *
 *   checkpoint /tmp/gpt2-small-shaped: 497.8 MB
 *   fromPretrainedNoProcessing peak heap   21.0 MB + mapped  497.8 MB =  518.7 MB = 1.042 x file; ...
 *   fromPretrained             peak heap  692.1 MB + mapped    0.0 MB =  692.1 MB = 1.390 x file; ...
 * </pre>
 *
 * <p>Method. Peak heap: the smallest {@code -Xmx} (to 4 MB) under which a child JVM
 * ({@link LoadMemoryProbe}: Serial GC, 4 MB young generation) loads the model without
 * {@link OutOfMemoryError}; it includes the child's own baseline (under 2 MB) and, for a 50257-token
 * vocabulary, the built-in GPT-2 tokenizer (most of the 21 MB of the unprocessed load). Off-heap:
 * the checkpoint bytes mapped while the heap is at that peak. Unprocessed, the file stays mapped (the
 * weights are views of it), so the total is peak heap + file size. Processed, the loader reads the
 * tensors with plain positional reads after the header check has unmapped the file, so nothing is
 * mapped while the heap grows (the probe checks at every collection) and the total is the peak heap.
 * Retained: heap in use after {@code System.gc()} with the model loaded, minus the baseline.
 */
public final class LoadMemoryMeasurement {

    private LoadMemoryMeasurement() {}

    /**
     * Writes the checkpoint (unless the folder has one) and measures both modes.
     *
     * @param args the folder to write the checkpoint to (default a new temporary folder), optionally
     *             followed by another shape: n_layers d_model n_heads n_ctx d_vocab
     * @throws Exception if writing or a child JVM fails
     */
    public static void main(String[] args) throws Exception {
        Path dir = args.length > 0 ? Path.of(args[0]) : Files.createTempDirectory("gpt2-small-shaped");
        TransformerConfig cfg = args.length == 6
                ? TransformerConfig.gpt2(Integer.parseInt(args[1]), Integer.parseInt(args[2]), Integer.parseInt(args[3]),
                        Integer.parseInt(args[4]), Integer.parseInt(args[5]))
                : TransformerConfig.gpt2(12, 768, 12, 1024, 50257);
        long size = ensureCheckpoint(dir, cfg);
        System.out.printf(Locale.ROOT, "checkpoint %s: %.1f MB%n", dir, size / 1e6);
        for (boolean processed : new boolean[] {false, true}) {
            LoadMemoryProbe.Result r = LoadMemoryProbe.launch(dir, processed, 4L << 30);
            long peak = smallestHeap(dir, processed, 4 << 20, 2 * size + (64 << 20));
            long offHeap = r.mapped() > 0 || r.mappedWhileHeapGrew() ? r.fileSize() : 0;
            System.out.printf(Locale.ROOT, "%-26s peak heap %6.1f MB + mapped %6.1f MB = %6.1f MB = %.3f x file; "
                            + "retained heap %6.1f MB, mapped %6.1f MB (%.3f x file); mapped while the heap grew: %b%n",
                    processed ? "fromPretrained" : "fromPretrainedNoProcessing", peak / 1e6, offHeap / 1e6,
                    (peak + offHeap) / 1e6, (peak + offHeap) / (double) size, r.retained() / 1e6, r.mapped() / 1e6,
                    (r.retained() + r.mapped()) / (double) size, r.mappedWhileHeapGrew());
        }
    }

    /** Writes a streamed F32 GPT-2 checkpoint of {@code cfg} unless the folder has one; returns the file size. */
    static long ensureCheckpoint(Path dir, TransformerConfig cfg) throws IOException {
        Files.createDirectories(dir);
        Path file = dir.resolve("model.safetensors");
        if (!Files.isRegularFile(file)) {
            SyntheticCheckpoints.writeStreamedGpt2(dir, cfg, DType.F32);
        }
        return Files.size(file);
    }

    /** The smallest {@code -Xmx} in {@code (lo, hi]}, to 4 MB, under which the load fits. */
    static long smallestHeap(Path dir, boolean processed, long lo, long hi) throws IOException, InterruptedException {
        if (!LoadMemoryProbe.launch(dir, processed, hi).fitted()) {
            throw new IllegalStateException("does not load in " + (hi >> 20) + " MB of heap");
        }
        long step = 4L << 20;
        while (hi - lo > step) {
            long mid = (lo + hi) / 2 / step * step;
            if (mid <= lo) {
                break;
            }
            if (LoadMemoryProbe.launch(dir, processed, mid).fitted()) {
                hi = mid;
            } else {
                lo = mid;
            }
        }
        return hi;
    }
}
