package dev.lens4j.bench;

import dev.lens4j.tensor.Parallel;
import dev.lens4j.tensor.internal.ResidentMemory;
import dev.lens4j.tensor.Tensor;
import dev.lens4j.transformer.ForwardOptions;
import dev.lens4j.transformer.ForwardResult;
import dev.lens4j.transformer.HookedTransformer;
import dev.lens4j.transformer.KvCache;
import dev.lens4j.transformer.WeightPacking;
import dev.lens4j.transformer.generation.Sampler;
import dev.lens4j.transformer.loading.Models;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * lens4j's side of the alternating forward-pass comparisons with PyTorch
 * ({@code tools/bench/forward_vs_torch.py}): a long-lived process that loads one model and times one
 * case per request, so that the coordinator can alternate lens4j and PyTorch on the same case a few
 * seconds apart instead of running one library for minutes and then the other. Only public API is
 * used, so the same source builds against an older lens4j to measure it "before".
 *
 * <p>Protocol: one JSON object per line on standard input, one JSON line per request on standard
 * output.
 * <ul>
 *   <li>{@code {"op": "load", "model": "gpt2-random"}} builds GPT-2 small's shape with random weights
 *       ({@link ForwardModels#gpt2Small}); {@code {"op": "load", "model": "/path/to/hf-folder",
 *       "processing": "none"}} loads a Hugging Face folder with {@link Models#fromPretrainedNoProcessing}
 *       ({@code "default"}: {@link Models#fromPretrained}); {@code "packing": "ALL"} (a {@link WeightPacking})
 *       sets the packed weights of the forward and decoding passes. The answer gives the load time, the heap in
 *       use and the process's resident memory.</li>
 *   <li>{@code {"op": "forward", "batch": 1, "pos": 128, "threads": 1, "runs": 3}} times
 *       {@code runs} forward passes to logits; {@code "op": "cache"} the same with
 *       {@code runWithCache} of every hook point; {@code "op": "cache-closed"} closes each cache after its
 *       pass, so the next pass writes the activations it caches into the closed cache's arrays. The first
 *       request of a case on a thread count checks the result (logits finite, the cached pass's logits
 *       equal to the plain pass's within 1e-5) and warms it up ({@code warmup} passes, default 2).</li>
 *   <li>{@code {"op": "decode", "prompt": 16, "new": 32, "threads": 1, "runs": 3}} times greedy
 *       decoding with a KV cache, one position per pass, in tokens per second (the prompt's pass is
 *       not timed); the first request on a thread count checks that the cached steps choose what full
 *       passes choose, and warms it up.</li>
 *   <li>{@code {"op": "memory"}} gives the heap in use after a collection, the resident set and its peak,
 *       and what the model's packed weight matrices hold.</li>
 *   <li>{@code {"op": "quit"}} ends the process.</li>
 * </ul>
 * Every timed answer holds each run's wall-clock and process CPU seconds.
 *
 * <pre>
 *   java --add-modules jdk.incubator.vector -Xmx12g -cp benchmarks/target/benchmarks.jar dev.lens4j.bench.ForwardWorker
 * </pre>
 */
public final class ForwardWorker {

    private final com.sun.management.OperatingSystemMXBean os =
            (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
    private HookedTransformer model;
    private String modelName;
    /** The passes' packed weights, or null for the default. */
    private WeightPacking packing;
    private final Set<String> checked = new HashSet<>();

    private ForwardWorker() {}

    /**
     * Serves requests until {@code quit} or the end of standard input.
     *
     * @param args none
     * @throws IOException on an I/O error
     */
    public static void main(String[] args) throws IOException {
        PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        ForwardWorker w = new ForwardWorker();
        out.println("{\"ready\": true, \"java\": \"" + System.getProperty("java.vm.version") + "\", \"max_heap_mb\": "
                + Runtime.getRuntime().maxMemory() / (1 << 20) + "}");
        for (String line; (line = in.readLine()) != null; ) {
            Map<String, String> req = WorkerRequests.parse(line);
            if ("quit".equals(req.get("op"))) {
                break;
            }
            try {
                out.println(w.serve(req));
            } catch (RuntimeException | IOException e) {
                out.println("{\"error\": \"" + String.valueOf(e).replace('"', '\'').replace('\n', ' ') + "\"}");
            }
        }
        if (w.model != null) {
            w.model.close();
        }
    }

    private String serve(Map<String, String> req) throws IOException {
        String op = req.get("op");
        if ("load".equals(op)) {
            packing = req.containsKey("packing") ? WeightPacking.valueOf(req.get("packing")) : null;
            return load(req.get("model"), req.getOrDefault("processing", "none"));
        }
        if (model == null) {
            throw new IllegalStateException("no model loaded");
        }
        if ("memory".equals(op)) {
            System.gc();
            Runtime rt = Runtime.getRuntime();
            return String.format(Locale.ROOT, "{\"heap_used_mb\": %.1f, \"rss_mb\": %.1f, \"rss_peak_mb\": %.1f, \"packed_weight_mb\": %.1f, "
                            + "\"safetensors_rss_mb\": %.1f}",
                    (rt.totalMemory() - rt.freeMemory()) / 1048576.0, statusMb("VmRSS:"), statusMb("VmHWM:"), packedWeightMb(),
                    safetensorsRssMb());
        }
        Parallel.setThreads(Integer.parseInt(req.getOrDefault("threads", "1")));
        int runs = Integer.parseInt(req.getOrDefault("runs", "3"));
        int warmup = Integer.parseInt(req.getOrDefault("warmup", "2"));
        return switch (op) {
            case "forward", "cache", "cache-closed" -> forward(op, Integer.parseInt(req.get("batch")), Integer.parseInt(req.get("pos")), runs, warmup);
            case "decode" -> decode(Integer.parseInt(req.getOrDefault("prompt", "16")), Integer.parseInt(req.getOrDefault("new", "32")),
                    runs, warmup);
            default -> throw new IllegalArgumentException("unknown op " + op);
        };
    }

    private String load(String name, String processing) throws IOException {
        if (model != null) {
            model.close();
            model = null;
            checked.clear();
        }
        System.gc();
        long t0 = System.nanoTime();
        model = ForwardModels.load(name, processing);
        double seconds = (System.nanoTime() - t0) * 1e-9;
        modelName = name;
        System.gc();
        Runtime rt = Runtime.getRuntime();
        return String.format(Locale.ROOT, "{\"model\": \"%s\", \"load_s\": %.3f, \"heap_used_mb\": %.1f, \"rss_mb\": %.1f, "
                        + "\"rss_peak_mb\": %.1f, \"vocab\": %d}",
                name, seconds, (rt.totalMemory() - rt.freeMemory()) / 1048576.0, statusMb("VmRSS:"), statusMb("VmHWM:"),
                model.config().dVocab());
    }

    /**
     * {@code HookedTransformer.packedWeightBytes()} in MB, looked up reflectively so that this source still
     * builds against a lens4j from before packed weights (-1 there).
     */
    private double packedWeightMb() {
        try {
            return ((Long) HookedTransformer.class.getMethod("packedWeightBytes").invoke(model)) / 1048576.0;
        } catch (ReflectiveOperationException e) {
            return -1;
        }
    }

    /**
     * A figure of /proc/self/status in MB: {@code VmRSS:} the resident set now (heap, mapped pages
     * touched, code), {@code VmHWM:} its peak; -1 where there is none.
     */
    private static double statusMb(String key) {
        try {
            for (String l : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (l.startsWith(key)) {
                    return Long.parseLong(l.replaceAll("[^0-9]", "")) / 1024.0;
                }
            }
        } catch (IOException | NumberFormatException e) {
            return -1;
        }
        return -1;
    }

    /**
     * The resident part of the process's mappings of {@code .safetensors} files in MB, from
     * {@code /proc/self/smaps} (a checkpoint used in place; its pages leave once packed copies replace
     * them); -1 where there is none.
     */
    private static double safetensorsRssMb() {
        try {
            return ResidentMemory.available() ? ResidentMemory.mappedBytes(f -> f.endsWith(".safetensors")) / 1048576.0 : -1;
        } catch (IOException e) {
            return -1;
        }
    }

    private int[][] tokens(int batch, int pos) {
        return ForwardModels.tokens(2, batch, pos, model.config().dVocab());
    }

    private String forward(String op, int batch, int pos, int runs, int warmup) {
        int[][] tokens = tokens(batch, pos);
        // per thread count: a case first met on two threads after one (another team, other compiled paths)
        // was timed cold, its first round 1.5 times slower than the next
        String key = op + " " + batch + "x" + pos + " on " + Parallel.threads();
        ForwardOptions plain = options().build();
        Runnable pass = switch (op) {
            case "forward" -> () -> model.run(tokens, plain);
            case "cache" -> () -> model.runWithCache(tokens);
            default -> () -> model.runWithCache(tokens).cache().close(); // the next pass reuses its arrays
        };
        if (checked.add(key)) {
            check(tokens);
            for (int i = 0; i < warmup; i++) {
                pass.run();
            }
        }
        List<double[]> t = new ArrayList<>();
        for (int r = 0; r < runs; r++) {
            t.add(time(pass));
        }
        return answer(t, null);
    }

    /** The logits are finite and the cached pass's equal the plain pass's; in its own frame, so the cache is garbage when it returns. */
    private void check(int[][] tokens) {
        Tensor a = model.forward(tokens);
        // a cache of the residual stream only: every hook of Llama-3.2-1B at 8 x 128 would need more heap
        // than the timed passes (the cache ops time the full cache themselves)
        ForwardResult cached = model.runWithCache(tokens, n -> n.endsWith("hook_resid_post"));
        ForwardModels.checkFiniteAndClose(modelName + " logits with and without the cache", a, cached.logits());
    }

    private String decode(int promptLength, int steps, int runs, int warmup) {
        int[] prompt = ForwardModels.tokens(3, 1, promptLength, model.config().dVocab())[0];
        KvCache kv = model.newKvCache(1);
        ForwardOptions options = options().kvCache(kv).build();
        int[] generated = new int[promptLength + steps];
        Runnable run = () -> {
            kv.clear();
            System.arraycopy(prompt, 0, generated, 0, promptLength);
            Tensor logits = model.run(new int[][] {prompt}, options).logits();
            generated[promptLength] = Sampler.argmax(logits.select(0, 0).select(0, promptLength - 1).toArray());
        };
        Runnable steps1 = () -> {
            for (int i = 1; i < steps; i++) {
                int token = generated[promptLength + i - 1];
                Tensor logits = model.run(new int[][] {{token}}, options).logits();
                generated[promptLength + i] = Sampler.argmax(logits.toArray());
            }
        };
        String key = "decode " + promptLength + " on " + Parallel.threads();
        if (checked.add(key)) {
            run.run();
            steps1.run();
            int n = Math.min(8, steps - 1);
            // the same packing as the steps: a full pass in place would page a mapping in again
            Tensor full = model.run(new int[][] {Arrays.copyOf(generated, promptLength + n)}, options().build()).logits();
            for (int i = 0; i < n; i++) {
                int expected = Sampler.argmax(full.select(0, 0).select(0, promptLength - 1 + i).toArray());
                if (generated[promptLength + i] != expected) {
                    throw new IllegalStateException("cached step " + i + " chose " + generated[promptLength + i] + ", a full pass " + expected);
                }
            }
            for (int i = 0; i < warmup; i++) {
                run.run();
                steps1.run();
            }
        }
        List<double[]> t = new ArrayList<>();
        for (int r = 0; r < runs; r++) {
            run.run();
            t.add(time(steps1));
        }
        return answer(t, (double) (steps - 1));
    }

    /** @return a builder with the load request's packed weights, if it named them */
    private ForwardOptions.Builder options() {
        ForwardOptions.Builder b = ForwardOptions.builder();
        return packing == null ? b : b.packedWeights(packing);
    }

    /** @return wall-clock and process CPU seconds of one call */
    private double[] time(Runnable r) {
        long cpu0 = os.getProcessCpuTime();
        long t0 = System.nanoTime();
        r.run();
        return new double[] {(System.nanoTime() - t0) * 1e-9, (os.getProcessCpuTime() - cpu0) * 1e-9};
    }

    private static String answer(List<double[]> t, Double tokens) {
        StringBuilder wall = new StringBuilder(), cpu = new StringBuilder();
        for (double[] x : t) {
            wall.append(wall.isEmpty() ? "" : ", ").append(String.format(Locale.ROOT, "%.5f", x[0]));
            cpu.append(cpu.isEmpty() ? "" : ", ").append(String.format(Locale.ROOT, "%.5f", x[1]));
        }
        return "{\"runs_wall_s\": [" + wall + "], \"runs_cpu_s\": [" + cpu + "]"
                + (tokens == null ? "" : ", \"tokens\": " + tokens.intValue()) + "}";
    }
}
