package dev.lens4j.bench;

import dev.lens4j.tensor.Parallel;
import dev.lens4j.tensor.matmul.Gemm;
import dev.lens4j.tensor.matmul.Gemv;
import dev.lens4j.tensor.matmul.StorageType;
import dev.lens4j.tensor.matmul.PackedMatrix;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

/**
 * lens4j's side of the alternating comparisons with PyTorch ({@code tools/bench/matmul_vs_torch.py}):
 * a long-lived process that times one case per request, so that the coordinator can alternate
 * lens4j and PyTorch every second or so on the same case instead of running one library for minutes
 * and then the other. Not a JMH benchmark (JMH cannot be paused while another process runs); the
 * loop is the one JMH's throughput mode runs, calls until the time is up, and the same loop
 * {@code torch_matmul.py} runs on its side.
 *
 * <p>Protocol: one JSON object per line on standard input, one JSON line per request on standard
 * output. A request {@code {"op": "gemm", "m": 128, "k": 768, "n": 2304, "b": "N", "threads": 1,
 * "seconds": 1.0, "variant": "plain"}} runs {@code C[m, n] = A[m, k] B[k, n]} for at least
 * {@code seconds} ({@code b}: {@code N} a row-major B, {@code T} a transposed view of a row-major
 * {@code [n, k]}, as the tied unembedding {@code W_E^T}; {@code variant}: {@code plain} through
 * {@link Gemm#multiply}, which packs B on every call, {@code packed} through
 * {@link Gemm#multiplyPacked} on a {@link PackedMatrix} made once); the first request for a case
 * checks a sample of the result against a double-precision reference and warms the case up for
 * {@code warmup} seconds (default 3: the Vector API code runs interpreted until C2 compiles it).
 * The answer holds the calls made, the wall-clock and process CPU seconds they took, and GFLOP/s per
 * wall-clock second and per CPU second. {@code {"op": "gemv", "shape": "768x3072", "type": "BF16",
 * "threads": 1}} times {@link Gemv#multiply} of one row (see {@link GemvCase}) and answers GB/s of W's
 * stored bytes; {@code {"op": "triad", "threads": 2}} times STREAM's triad
 * ({@link MemoryBandwidthBenchmark}) and answers GB/s; {@code {"op": "decode", "type": "BF16", "unembed":
 * "T", "threads": 1}} times all the products of a GPT-2-small decoding step (see {@link DecodeStep}). {@code {"op": "quit"}} ends the process.
 *
 * <pre>
 *   java --add-modules jdk.incubator.vector -cp benchmarks/target/benchmarks.jar dev.lens4j.bench.GemmWorker
 * </pre>
 */
public final class GemmWorker {

    private final Map<String, Runnable> cases = new HashMap<>();
    private final Map<String, GemvCase> gemvs = new HashMap<>();
    private final Map<String, DecodeStep> decodes = new HashMap<>();
    private MemoryBandwidthBenchmark.Triad triad;

    /**
     * The matrix-vector products of one GPT-2-small decoding step, each weight its own array: 12
     * blocks of QKV {@code [768, 2304]}, attention out {@code [768, 768]}, MLP in {@code [768, 3072]}
     * and out {@code [3072, 768]}, then the unembedding {@code [768, 50257]} (row-major {@code W_U}, or
     * {@code W_E^T}): 124M weights, 497 MB as float32, far more than the caches, so that every product
     * reads its weight from memory as a real decoding step does. (Random weights; no attention.)
     */
    private static final class DecodeStep {
        final GemvCase[] cases;

        DecodeStep(StorageType type, boolean tiedUnembed) {
            String[] block = {"768x2304", "768x768", "768x3072", "3072x768"};
            cases = new GemvCase[12 * block.length + 1];
            for (int i = 0; i < cases.length - 1; i++) {
                cases[i] = new GemvCase(block[i % block.length], type, 1);
            }
            cases[cases.length - 1] = new GemvCase(tiedUnembed ? "768x50257T" : "768x50257", type, 1);
        }

        void run() {
            for (GemvCase c : cases) {
                Gemv.multiply(c.x, 0, c.k, 1, c.w, null, 0, c.out, 0, c.n);
            }
        }

        void check() {
            run();
            for (GemvCase c : cases) {
                c.checkSample(8);
            }
        }

        long bytes() {
            long b = 0;
            for (GemvCase c : cases) {
                b += c.bytes();
            }
            return b;
        }
    }
    private final com.sun.management.OperatingSystemMXBean os =
            (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();

    private GemmWorker() {}

    /**
     * Serves requests until {@code quit} or the end of standard input.
     *
     * @param args none
     * @throws Exception on an I/O error
     */
    public static void main(String[] args) throws Exception {
        PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        GemmWorker w = new GemmWorker();
        out.println("{\"ready\": true, \"gemm_kernel\": \"" + Gemm.kernelName() + "\", \"java\": \""
                + System.getProperty("java.vm.version") + "\"}");
        for (String line; (line = in.readLine()) != null; ) {
            Map<String, String> req = WorkerRequests.parse(line);
            if ("quit".equals(req.get("op"))) {
                break;
            }
            try {
                out.println(w.serve(req));
            } catch (RuntimeException e) {
                out.println("{\"error\": \"" + String.valueOf(e).replace('"', '\'') + "\"}");
            }
        }
    }

    private String serve(Map<String, String> req) {
        String op = req.get("op");
        int threads = Integer.parseInt(req.getOrDefault("threads", "1"));
        double seconds = Double.parseDouble(req.getOrDefault("seconds", "1"));
        double warmup = Double.parseDouble(req.getOrDefault("warmup", "3"));
        Parallel.setThreads(threads);
        if ("gemv".equals(op)) {
            String shape = req.get("shape"), type = req.getOrDefault("type", "F32");
            String key = "gemv " + shape + " " + type;
            GemvCase g = gemvs.get(key);
            if (g == null) {
                GemvCase c = new GemvCase(shape, StorageType.valueOf(type), 1);
                gemvs.put(key, c);
                g = c;
                Runnable once = () -> Gemv.multiply(c.x, 0, c.k, 1, c.w, null, 0, c.out, 0, c.n);
                once.run();
                c.checkSample(64);
                time(once, warmup);
            }
            GemvCase c = g;
            double[] t = time(() -> Gemv.multiply(c.x, 0, c.k, 1, c.w, null, 0, c.out, 0, c.n), seconds);
            return rate(t, c.bytes() * 1e-9, "gbps", threads);
        }
        if ("decode".equals(op)) {
            String type = req.getOrDefault("type", "F32"), unembed = req.getOrDefault("unembed", "N");
            String key = "decode " + type + " " + unembed;
            DecodeStep d = decodes.get(key);
            if (d == null) {
                d = new DecodeStep(StorageType.valueOf(type), "T".equals(unembed));
                decodes.put(key, d);
                d.check();
                time(d::run, warmup);
            }
            return rate(time(d::run, seconds), d.bytes() * 1e-9, "gbps", threads);
        }
        if ("triad".equals(op)) {
            if (triad == null) {
                triad = new MemoryBandwidthBenchmark.Triad(32 << 20);
                time(triad::run, warmup);
            }
            return rate(time(triad::run, seconds), triad.bytes() * 1e-9, "gbps", threads);
        }
        if (!"gemm".equals(op)) {
            throw new IllegalArgumentException("unknown op " + op);
        }
        int m = Integer.parseInt(req.get("m")), k = Integer.parseInt(req.get("k")), n = Integer.parseInt(req.get("n"));
        String layout = req.getOrDefault("b", "N");
        String variant = req.getOrDefault("variant", "plain");
        String key = op + " " + m + "x" + k + "x" + n + " " + layout + " " + variant;
        double flops = 2.0 * m * n * k;
        Runnable run = cases.get(key);
        if (run == null) {
            run = gemmCase(m, k, n, "T".equals(layout), variant);
            cases.put(key, run);
            time(run, warmup);
        }
        return rate(time(run, seconds), flops * 1e-9, "gflops", threads);
    }

    /** The answer: calls, times, and {@code unit} (per call {@code perCall}) per wall-clock and per CPU second. */
    private static String rate(double[] t, double perCall, String unit, int threads) {
        return String.format(Locale.ROOT,
                "{\"calls\": %d, \"wall_s\": %.6f, \"cpu_s\": %.6f, \"%s_wall\": %.2f, \"%s_cpu\": %.2f}",
                (long) t[0], t[1], t[2], unit, perCall * t[0] / t[1], unit, perCall * t[0] / t[2] * threads);
    }

    /** @return calls, wall seconds, process CPU seconds */
    private double[] time(Runnable run, double seconds) {
        long cpu0 = os.getProcessCpuTime();
        long t0 = System.nanoTime();
        long calls = 0;
        do {
            run.run();
            calls++;
        } while (System.nanoTime() - t0 < seconds * 1e9);
        long wall = System.nanoTime() - t0;
        long cpu = os.getProcessCpuTime() - cpu0;
        return new double[] {calls, wall * 1e-9, cpu * 1e-9};
    }

    private static Runnable gemmCase(int m, int k, int n, boolean transposedB, String variant) {
        MatmulBenchmark.GemmCase g = new MatmulBenchmark.GemmCase(m + "x" + k + "x" + n, transposedB, 42);
        Runnable run = switch (variant) {
            case "plain" -> () -> Gemm.multiply(g.a, g.b, g.c, 0, g.n, false);
            case "packed" -> {
                PackedMatrix packed = PackedMatrix.pack(g.b);
                yield () -> Gemm.multiplyPacked(g.a, packed, g.c, 0, g.n, false);
            }
            default -> throw new IllegalArgumentException("variant must be plain or packed, got " + variant);
        };
        run.run();
        g.checkSample(64);
        return run;
    }
}
