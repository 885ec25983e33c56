package dev.lens4j.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Supplier;

/**
 * CPU time on one thread of {@link GradientBenchmark}'s cases (its model, tokens, metric and checks): a
 * figure that a busy shared machine disturbs much less than wall-clock time. Each round times every case
 * once, one after the other, so the ratios of a round (attribution patching to a forward plus a forward
 * and backward pass; EAP-IG to the graph view's passes) compare runs made seconds apart; the output is one
 * JSON line per round with each case's CPU milliseconds, and a last line with the medians of the per-round
 * ratios. A plain main:
 *
 * <pre>
 *   java --add-modules jdk.incubator.vector -XX:+UseParallelGC -Xmx6g -cp benchmarks/target/benchmarks.jar \
 *       dev.lens4j.bench.GradientCpuTime 5 1x128 [forward forwardBackward attributionPatching ...]
 * </pre>
 */
public final class GradientCpuTime {

    private GradientCpuTime() {}

    /**
     * Runs the measurement.
     *
     * @param args rounds, a shape {@code batch x pos}, then the cases (default: forward, forwardBackward,
     *     attributionPatching, forwardBackwardGraphView, eapIg; attribution patching's parts: cleanRunWithCache,
     *     corruptedRunWithCacheAndBackward, attributionRuns (both), attributionSweeps (the estimates of the last
     *     attributionRuns))
     */
    public static void main(String[] args) {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 5;
        GradientBenchmark b = new GradientBenchmark();
        b.shape = args.length > 1 ? args[1] : "1x128";
        b.threads = 1;
        b.steps = 5;
        List<String> names = args.length > 2 ? Arrays.asList(args).subList(2, args.length)
                : List.of("forward", "forwardBackward", "attributionPatching", "forwardBackwardGraphView", "eapIg");
        Map<String, Supplier<Object>> cases = new LinkedHashMap<>();
        dev.lens4j.analysis.gradients.AttributionPatching[] runs = new dev.lens4j.analysis.gradients.AttributionPatching[1];
        for (String n : names) {
            cases.put(n, switch (n) {
                case "forward" -> b::forward;
                case "forwardBackward" -> b::forwardBackward;
                case "attributionPatching" -> b::attributionPatching;
                case "forwardBackwardGraphView" -> b::forwardBackwardGraphView;
                case "eapIg" -> b::eapIg;
                case "cleanRunWithCache" -> b::cleanRunWithCache;
                case "corruptedRunWithCacheAndBackward" -> b::corruptedRunWithCacheAndBackward;
                case "attributionRuns" -> () -> runs[0] = b.attributionRuns();
                case "attributionSweeps" -> () -> GradientBenchmark.sweeps(runs[0] != null ? runs[0] : (runs[0] = b.attributionRuns()));
                default -> throw new IllegalArgumentException("no case " + n + "; there are forward, forwardBackward,"
                        + " attributionPatching, forwardBackwardGraphView, eapIg, and attribution patching's parts:"
                        + " cleanRunWithCache, corruptedRunWithCacheAndBackward, attributionRuns, attributionSweeps");
            });
        }
        b.setUp();   // builds everything and checks each case's result once
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        Map<String, List<Double>> ratios = new LinkedHashMap<>();
        try {
            for (int r = -1; r < rounds; r++) {          // round -1 warms up
                Map<String, Double> ms = new LinkedHashMap<>();
                for (Map.Entry<String, Supplier<Object>> c : cases.entrySet()) {
                    long t0 = mx.getCurrentThreadCpuTime();
                    c.getValue().get();
                    ms.put(c.getKey(), (mx.getCurrentThreadCpuTime() - t0) / 1e6);
                }
                if (r < 0) {
                    continue;
                }
                StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "{\"round\": %d, \"shape\": \"%s\", \"threads\": 1", r + 1, b.shape));
                ms.forEach((k, v) -> line.append(String.format(Locale.ROOT, ", \"%s_cpu_ms\": %.1f", k, v)));
                line.append(String.format(Locale.ROOT, ", \"loadavg_1m\": %.2f}", ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage()));
                System.out.println(line);
                Double f = ms.get("forward"), fb = ms.get("forwardBackward"), ap = ms.get("attributionPatching");
                Double gv = ms.get("forwardBackwardGraphView"), ig = ms.get("eapIg");
                if (f != null && fb != null) {
                    ratios.computeIfAbsent("backward_over_forward", k -> new ArrayList<>()).add((fb - f) / f);
                }
                if (f != null && fb != null && ap != null) {
                    ratios.computeIfAbsent("attribution_over_forward_plus_forward_backward", k -> new ArrayList<>()).add(ap / (f + fb));
                    ratios.computeIfAbsent("attribution_over_forward", k -> new ArrayList<>()).add(ap / f);
                }
                if (fb != null && ig != null) {
                    ratios.computeIfAbsent("eap_ig_over_forward_backward", k -> new ArrayList<>()).add(ig / fb);
                }
                if (gv != null && ig != null) {
                    ratios.computeIfAbsent("eap_ig_over_graph_view_forward_backward", k -> new ArrayList<>()).add(ig / gv);
                }
            }
        } finally {
            b.tearDown();
        }
        StringBuilder out = new StringBuilder("{\"medians_of_round_ratios\": true");
        ratios.forEach((k, v) -> {
            List<Double> s = new ArrayList<>(v);
            s.sort(null);
            out.append(String.format(Locale.ROOT, ", \"%s\": %.2f", k, s.get(s.size() / 2)));
        });
        System.out.println(out.append('}'));
    }
}
