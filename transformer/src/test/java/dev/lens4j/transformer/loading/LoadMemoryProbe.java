package dev.lens4j.transformer.loading;

import com.sun.management.GarbageCollectionNotificationInfo;
import dev.lens4j.transformer.HookedTransformer;

import javax.management.NotificationEmitter;
import javax.management.openmbean.CompositeData;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.lang.management.MemoryUsage;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Run in a child JVM by {@link LoadMemoryMeasurement} and {@link Gpt2MemoryTest}: loads one
 * checkpoint folder, with or without weight processing, and prints one line of memory figures.
 * Loading under a given {@code -Xmx} and exiting 0 is what bounds the peak: a load whose live heap
 * ever passed the limit would have ended in {@link OutOfMemoryError}.
 *
 * <pre>
 *   java --add-modules jdk.incubator.vector -XX:+UseSerialGC -Xmn4m -Xmx700m -cp ... \
 *       dev.lens4j.transformer.loading.LoadMemoryProbe /tmp/gpt2-small-shaped processed
 *   baseline 1655624 retained 657301504 mapped 0 file 497774288 still-mapped false mapped-while-heap-grew false
 * </pre>
 *
 * Printed: the heap in use after {@code System.gc()} before loading ({@code baseline}) and with the
 * model loaded ({@code retained}, minus the baseline); the bytes of checkpoint files the model keeps
 * mapped; the file size; whether the file is still mapped once the model is loaded
 * ({@code /proc/self/maps}); and whether it was mapped at any garbage collection during the load
 * after which the heap held more than a tenth of the file (then mapping and heap copies coexisted,
 * and the peak is the heap's plus the file's). Exit status 3 on {@link OutOfMemoryError}.
 */
public final class LoadMemoryProbe {

    /** Young generation of the child: small, so that nearly all of {@code -Xmx} is there for the weights. */
    static final String YOUNG = "-Xmn4m";

    private LoadMemoryProbe() {}

    /**
     * Loads and reports.
     *
     * @param args the checkpoint folder, then {@code raw} (no processing) or {@code processed}
     * @throws IOException if the checkpoint cannot be read
     */
    public static void main(String[] args) throws IOException {
        Path dir = Path.of(args[0]);
        boolean processed = args[1].equals("processed");
        Path file = dir.resolve("model.safetensors");
        String mapping = file.toRealPath().toString();
        long fileSize = Files.size(file);
        MemoryMXBean mx = ManagementFactory.getMemoryMXBean();
        long baseline = heapAfterGc(mx);
        AtomicBoolean loading = new AtomicBoolean(true);
        AtomicBoolean mappedWhileHeapGrew = new AtomicBoolean();
        watchCollections(baseline + fileSize / 10, mapping, loading, mappedWhileHeapGrew);
        long[] mapped = new long[1];
        HookedTransformer model;
        try {
            model = load(dir, processed, mapped);
        } catch (OutOfMemoryError e) {
            System.out.println("oom");
            System.exit(3);
            return;
        }
        loading.set(false);
        long retained = heapAfterGc(mx) - baseline;
        System.out.println(String.format(Locale.ROOT,
                "baseline %d retained %d mapped %d file %d still-mapped %b mapped-while-heap-grew %b",
                baseline, retained, mapped[0], fileSize, isMapped(mapping), mappedWhileHeapGrew.get()));
        if (model.weights().wE().get(0, 0) != model.weights().wE().get(0, 0)) { // keeps the model reachable until here
            throw new AssertionError("NaN in W_E");
        }
        model.close();
    }

    /** Loads the model; the checkpoint record is not kept, as with {@code Models.fromPretrained}. */
    private static HookedTransformer load(Path dir, boolean processed, long[] mapped) throws IOException {
        LoadedCheckpoint c = HfCheckpoint.read(dir, processed ? LoadOptions.defaults() : LoadOptions.noProcessing());
        mapped[0] = c.owner() instanceof MappedSafetensors m ? m.mappedBytes() : 0;
        return c.toModel();
    }

    /**
     * After every collection while loading, notes whether the heap held more than {@code threshold}
     * bytes while the file was mapped.
     */
    private static void watchCollections(long threshold, String mapping, AtomicBoolean loading, AtomicBoolean flag) {
        for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
            ((NotificationEmitter) gc).addNotificationListener((n, handback) -> {
                if (!loading.get() || !n.getType().equals(GarbageCollectionNotificationInfo.GARBAGE_COLLECTION_NOTIFICATION)) {
                    return;
                }
                GarbageCollectionNotificationInfo info = GarbageCollectionNotificationInfo.from((CompositeData) n.getUserData());
                long used = 0;
                for (MemoryUsage u : info.getGcInfo().getMemoryUsageAfterGc().values()) {
                    used += u.getUsed();
                }
                if (used > threshold && isMapped(mapping)) {
                    flag.set(true);
                }
            }, null, null);
        }
    }

    private static boolean isMapped(String path) {
        Path maps = Path.of("/proc/self/maps");
        try {
            return Files.isReadable(maps) && Files.readString(maps).contains(path);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static long heapAfterGc(MemoryMXBean mx) {
        System.gc();
        System.gc();
        return mx.getHeapMemoryUsage().getUsed();
    }

    /**
     * What one probe run printed.
     *
     * @param exitCode 0 when the load fitted, 3 on {@link OutOfMemoryError}
     * @param baseline heap in use before loading, bytes
     * @param retained heap the loaded model holds, bytes
     * @param mapped checkpoint bytes the model keeps mapped
     * @param fileSize the checkpoint's size, bytes
     * @param stillMapped whether the file is mapped once the model is loaded
     * @param mappedWhileHeapGrew whether the file was mapped while the heap held more than a tenth of it
     */
    record Result(int exitCode, long baseline, long retained, long mapped, long fileSize, boolean stillMapped,
                  boolean mappedWhileHeapGrew) {
        boolean fitted() {
            return exitCode == 0;
        }
    }

    /**
     * Runs the probe in a child JVM (Serial GC, whose full collections compact the whole heap, so a
     * load fits whenever its live data does).
     *
     * @param dir the checkpoint folder
     * @param processed with TransformerLens's default processing, or none
     * @param maxHeapBytes the child's {@code -Xmx}
     * @return what it printed
     */
    static Result launch(Path dir, boolean processed, long maxHeapBytes) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--add-modules", "jdk.incubator.vector", "-XX:+UseSerialGC", YOUNG, "-Xmx" + (maxHeapBytes >> 20) + "m",
                "-Dlens4j.log=warn", "-cp", System.getProperty("java.class.path"),
                LoadMemoryProbe.class.getName(), dir.toString(), processed ? "processed" : "raw"));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        int code = p.waitFor();
        if (code == 3) {
            return new Result(3, 0, 0, 0, 0, false, false);
        }
        String line = out.lines().filter(l -> l.startsWith("baseline ")).findFirst().orElse("");
        String[] f = line.split(" ");
        if (code != 0 || f.length != 12) {
            throw new IllegalStateException("probe exited with " + code + ": " + out);
        }
        return new Result(0, Long.parseLong(f[1]), Long.parseLong(f[3]), Long.parseLong(f[5]), Long.parseLong(f[7]),
                Boolean.parseBoolean(f[9]), Boolean.parseBoolean(f[11]));
    }
}
