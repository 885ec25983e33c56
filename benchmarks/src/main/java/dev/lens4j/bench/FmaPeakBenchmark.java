package dev.lens4j.bench;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.util.concurrent.TimeUnit;

/**
 * One core's float32 FMA peak through the Vector API: twelve independent chains of fused
 * multiply-adds on the preferred species, nothing loaded or stored, so that every GEMM rate on this
 * page can be read as a fraction of what the core can do (twelve chains cover the FMA latency of every
 * CPU lens4j has run on: 4 cycles times 2 ports on Sapphire Rapids and Zen 4). The secondary metric
 * {@code gflops} is GFLOP/s, 2 flops per lane per FMA. One thread: the peak of n cores is n times it.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
public class FmaPeakBenchmark {

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    /** Steps per invocation, each twelve FMAs. */
    private static final int STEPS = 1 << 20;

    /** The multiplier and addend, from fields so that the loop cannot be folded. */
    public float m = 0.9999f, c = 1e-4f;

    /**
     * Twelve chains of {@link #STEPS} FMAs each.
     *
     * @param flops counts the flops done (the GEMM benchmark's counter)
     * @return the chains' sum (so that none is dead code)
     */
    @Benchmark
    public float fma(MatmulBenchmark.Flops flops) {
        FloatVector vm = FloatVector.broadcast(S, m), vc = FloatVector.broadcast(S, c);
        FloatVector a0 = vc, a1 = vc, a2 = vc, a3 = vc, a4 = vc, a5 = vc, a6 = vc, a7 = vc, a8 = vc, a9 = vc, a10 = vc, a11 = vc;
        for (int i = 0; i < STEPS; i++) {
            a0 = a0.fma(vm, vc);
            a1 = a1.fma(vm, vc);
            a2 = a2.fma(vm, vc);
            a3 = a3.fma(vm, vc);
            a4 = a4.fma(vm, vc);
            a5 = a5.fma(vm, vc);
            a6 = a6.fma(vm, vc);
            a7 = a7.fma(vm, vc);
            a8 = a8.fma(vm, vc);
            a9 = a9.fma(vm, vc);
            a10 = a10.fma(vm, vc);
            a11 = a11.fma(vm, vc);
        }
        flops.gflops += 12.0 * 2 * S.length() * STEPS * 1e-9;
        return a0.add(a1).add(a2).add(a3).add(a4).add(a5).add(a6).add(a7).add(a8).add(a9).add(a10).add(a11)
                .reduceLanes(VectorOperators.ADD);
    }
}
