package dev.lens4j.tensor.kernel;

import dev.lens4j.tensor.kernel.panama.PanamaKernels;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The results of every floating-point kernel on fixed pseudo-random inputs, as float bits, so that
 * two JVMs (or two JIT tiers of one) can be compared bit for bit. Used by
 * {@link JitTierIndependenceTest}, whose child JVM runs {@link #main} in the interpreter.
 *
 * <p>Inputs depend only on the size and a fixed seed. Each operand sits at a nonzero offset inside
 * a larger array, so that the vector loops see unaligned data as they do in a model.
 */
final class KernelFingerprint {

    /** Odd sizes: one element (only a tail), a masked tail, vector loops plus tails, and the unrolled loop. */
    static final int[] SIZES = {1, 13, 207, 1025};

    private static final int OFF = 3;

    /** Inputs and outputs for one size; {@link #run} overwrites the outputs. */
    static final class Case {
        final int n;
        final float[] expIn, geluIn, scores, logits, a, b, x, w, bias;
        final float[] expOut, geluOut, erfGeluOut, softmaxOut, logSoftmaxOut, layerNormOut;
        float sum, sumOfSquares, dot, scale;

        Case(int n) {
            this.n = n;
            SplittableRandom r = new SplittableRandom(0x5eed + n);
            expIn = uniform(r, n, -110, 95);      // underflow to zero and overflow to infinity included
            geluIn = uniform(r, n, -12, 12);
            scores = gaussian(r, n, 1, 4);
            logits = gaussian(r, n, -3, 6);
            if (n > 1) {
                scores[OFF + n / 3] = Float.NEGATIVE_INFINITY;  // a masked attention score
            }
            a = gaussian(r, n, 0.5, 2);
            b = gaussian(r, n, -0.25, 3);
            x = gaussian(r, n, 3, 2);
            w = gaussian(r, n, 1, 0.3);
            bias = gaussian(r, n, 0, 0.5);
            expOut = new float[n];
            geluOut = new float[n];
            erfGeluOut = new float[n];
            softmaxOut = new float[n];
            logSoftmaxOut = new float[n];
            layerNormOut = new float[n];
        }

        /** Runs every kernel once on this case's inputs. */
        void run(Kernels k) {
            k.exp(expIn, OFF, expOut, 0, n);
            k.geluNew(geluIn, OFF, geluOut, 0, n);
            k.gelu(geluIn, OFF, erfGeluOut, 0, n);
            k.softmax(scores, OFF, softmaxOut, 0, n);
            k.logSoftmax(logits, OFF, logSoftmaxOut, 0, n);
            sum = k.sum(a, OFF, n);
            sumOfSquares = k.sumOfSquares(a, OFF, n);
            dot = k.dot(a, OFF, b, OFF, n);
            scale = k.layerNorm(x, OFF, w, OFF, bias, OFF, 1e-5f, layerNormOut, 0, n);
        }

        /** The results of the last {@link #run}, keyed {@code "kernel n"}, as float bits. */
        Map<String, int[]> bits() {
            Map<String, int[]> m = new LinkedHashMap<>();
            m.put("exp " + n, toBits(expOut));
            m.put("geluNew " + n, toBits(geluOut));
            m.put("gelu " + n, toBits(erfGeluOut));
            m.put("softmax " + n, toBits(softmaxOut));
            m.put("logSoftmax " + n, toBits(logSoftmaxOut));
            m.put("sum " + n, toBits(sum));
            m.put("sumOfSquares " + n, toBits(sumOfSquares));
            m.put("dot " + n, toBits(dot));
            m.put("layerNorm " + n, toBits(layerNormOut));
            m.put("layerNorm.scale " + n, toBits(scale));
            return m;
        }
    }

    private KernelFingerprint() {}

    static Case[] cases() {
        return Arrays.stream(SIZES).mapToObj(Case::new).toArray(Case[]::new);
    }

    /**
     * The kernels by name, as the child JVM's argument gives it.
     *
     * @param name {@code "panama"} or {@code "scalar"}
     * @return the kernels
     */
    static Kernels kernels(String name) {
        return switch (name) {
            case "panama" -> PanamaKernels.create();
            case "scalar" -> ScalarKernels.INSTANCE;
            default -> throw new IllegalArgumentException("unknown kernels \"" + name + "\"; expected panama or scalar");
        };
    }

    /** The results of one run of every case, in a fixed order. */
    static Map<String, int[]> fingerprint(Kernels k, Case[] cases) {
        Map<String, int[]> all = new LinkedHashMap<>();
        for (Case c : cases) {
            c.run(k);
            all.putAll(c.bits());
        }
        return all;
    }

    /**
     * Prints the fingerprints of the named kernel sets: for each, a line {@code kernels <set> <name()>},
     * then one line per result, {@code <set>/<kernel> <n>} followed by the float bits in hex.
     *
     * @param args the kernel sets, each {@code panama} or {@code scalar}
     */
    public static void main(String[] args) {
        PrintStream out = new PrintStream(System.out, false, StandardCharsets.UTF_8);
        for (String set : args) {
            Kernels k = kernels(set);
            out.println("kernels " + set + " " + k.name());
            for (Map.Entry<String, int[]> e : fingerprint(k, cases()).entrySet()) {
                StringBuilder line = new StringBuilder(set).append('/').append(e.getKey());
                for (int v : e.getValue()) {
                    line.append(' ').append(Integer.toHexString(v));
                }
                out.println(line);
            }
        }
        out.flush();
    }

    /** Parses one line of {@link #main}'s output into its key and bits. */
    static Map.Entry<String, int[]> parse(String line) {
        String[] f = line.split(" ");
        int[] v = new int[f.length - 2];
        for (int i = 0; i < v.length; i++) {
            v[i] = Integer.parseUnsignedInt(f[i + 2], 16);
        }
        return Map.entry(f[0] + " " + f[1], v);
    }

    private static int[] toBits(float... v) {
        int[] b = new int[v.length];
        for (int i = 0; i < v.length; i++) {
            b[i] = Float.floatToRawIntBits(v[i]);
        }
        return b;
    }

    private static float[] uniform(SplittableRandom r, int n, double lo, double hi) {
        float[] a = new float[OFF + n + 5];
        for (int i = 0; i < a.length; i++) {
            a[i] = (float) (lo + (hi - lo) * r.nextDouble());
        }
        return a;
    }

    private static float[] gaussian(SplittableRandom r, int n, double mean, double sd) {
        float[] a = new float[OFF + n + 5];
        for (int i = 0; i < a.length; i++) {
            // Box-Muller with StrictMath: the inputs must not depend on the JIT either
            double u = 1 - r.nextDouble(), v = r.nextDouble();
            a[i] = (float) (mean + sd * StrictMath.sqrt(-2 * StrictMath.log(u)) * StrictMath.cos(2 * Math.PI * v));
        }
        return a;
    }
}
