package dev.lens4j.tensor.kernel.panama;

import dev.lens4j.tensor.kernel.Kernels;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

import java.util.Arrays;

/**
 * {@link Kernels} on the JDK Vector API, at the platform's preferred vector width
 * ({@code FloatVector.SPECIES_PREFERRED}: 16 lanes with AVX-512, 8 with AVX2).
 *
 * <p>Loops follow one layout, each part labelled in the code:
 * <ol>
 *   <li><b>main loop</b>: for reductions, unrolled {@value #UNROLL} vectors deep into independent
 *       accumulators so that consecutive adds or FMAs do not wait on each other's latency;
 *       elementwise loops need no accumulators and are left to C2 to unroll;</li>
 *   <li><b>vector tail</b>: the whole vectors that remain after the unrolled loop, into one
 *       accumulator;</li>
 *   <li><b>tail</b>: the last {@code n % lanes} elements. Cheap operations finish with a scalar loop
 *       (as Lucene does); {@code exp}, {@code gelu_new} and the exponential pass of (log-)softmax use
 *       one masked vector instead: one scalar {@link Math#exp} (about 5 ns measured here) costs as much
 *       as a whole 16-lane vector exp, and a masked tail keeps short rows, such as attention rows of a
 *       few keys, on the fast path.</li>
 * </ol>
 *
 * <p>{@code exp} is computed here from adds, multiplies and fused multiply-adds ({@link #exp(FloatVector)}),
 * not with {@link VectorOperators#EXP}: HotSpot compiles that operator to its bundled vector math
 * library (Intel SVML on x86-64) only once C2 has compiled the caller, and runs it lane by lane
 * through {@link Math#exp} before, so the last bits of a result depended on how warm the JIT was
 * (two identical forward passes in one JVM differed by up to 3e-6). Plain arithmetic gives the same
 * bits in the interpreter, C1 and C2. {@code gelu_new} is written as {@code x / (1 + exp(-2u))}, which
 * equals {@code 0.5 x (1 + tanh(u))} and needs no {@code tanh}. Reductions sum in float in a different
 * order than the scalar oracle; the tests bound the difference.
 *
 * <p>Only this package imports {@code jdk.incubator.vector}; {@link PanamaBackend}, loaded
 * reflectively when the module is present, creates these kernels through {@link #create()}.
 */
public final class PanamaKernels implements Kernels {

    private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
    private static final int LANES = SPECIES.length();
    /** Vectors per iteration of an unrolled reduction loop. */
    private static final int UNROLL = 4;
    private static final int STRIDE = UNROLL * LANES;

    private static final float SQRT_2_OVER_PI = (float) Math.sqrt(2.0 / Math.PI);
    private static final float GELU_CUBIC = 0.044715f;

    /** {@code 1 / (2 sqrt 2)}: {@code t = 1 / (1 + |x| / (2 sqrt 2))} for the exact GELU's {@code erfc(|x| / sqrt 2)}. */
    private static final float HALF_INV_SQRT_2 = (float) (0.5 / Math.sqrt(2));
    /** Beyond {@code |x| = 20}, {@code erfc(|x| / sqrt 2)} (below 1e-88) is 0 in float. */
    private static final float ERF_CLAMP = 20f;
    /** {@code e^-16} rounded to float. */
    private static final float E_MINUS_16 = (float) Math.exp(-16);
    // P(t) of Erf's fit, E0 + E1 t + ... + E9 t^9 (constants, not an array, so that C2 folds them)
    private static final float E0 = -1.26551223f, E1 = 1.00002368f, E2 = 0.37409196f, E3 = 0.09678418f,
            E4 = -0.18628806f, E5 = 0.27886807f, E6 = -1.13520398f, E7 = 1.48851587f, E8 = -0.82215223f, E9 = 0.17087277f;

    // exp(x) = 2^n * exp(r), n = round(x / ln 2), r = x - n ln 2 in [-ln2/2, ln2/2] (Cephes expf).
    private static final float EXP_LO = -104f;          // exp(-104) < the smallest subnormal: rounds to 0
    private static final float EXP_HI = 89f;            // exp(89) > Float.MAX_VALUE: overflows to infinity
    private static final float LOG2E = 1.44269504088896341f;
    private static final float LN2_HI = 0.693359375f;   // ln 2 = LN2_HI + LN2_LO; n * LN2_HI is exact
    private static final float LN2_LO = -2.12194440e-4f;
    private static final float ROUNDER = 12582912f;     // 1.5 * 2^23: (y + ROUNDER) - ROUNDER rounds y to an integer
    private static final float P0 = 1.9875691500e-4f;
    private static final float P1 = 1.3981999507e-3f;
    private static final float P2 = 8.3334519073e-3f;
    private static final float P3 = 4.1665795894e-2f;
    private static final float P4 = 1.6666665459e-1f;
    private static final float P5 = 5.0000001201e-1f;

    private final String name;

    private PanamaKernels() {
        this.name = "panama(" + SPECIES.vectorBitSize() + "-bit, " + LANES + " lanes)";
    }

    /**
     * Creates the kernels (through {@link PanamaBackend}).
     *
     * @return the Vector API kernels
     * @throws UnsupportedOperationException when the preferred vector holds fewer than 4 floats,
     *     where the Vector API is slower than plain loops
     */
    public static PanamaKernels create() {
        if (LANES < 4) {
            throw new UnsupportedOperationException("preferred float vector has only " + LANES
                    + " lanes (" + SPECIES.vectorBitSize() + " bits); scalar kernels are faster");
        }
        return new PanamaKernels();
    }

    @Override
    public String name() {
        return name;
    }

    // ---------------------------------------------------------------- elementwise

    @Override
    public void add(float[] a, int aOff, float[] b, int bOff, float[] out, int outOff, int n) {
        int i = 0;
        // vector loop
        for (int bound = SPECIES.loopBound(n); i < bound; i += LANES) {
            FloatVector.fromArray(SPECIES, a, aOff + i)
                    .add(FloatVector.fromArray(SPECIES, b, bOff + i))
                    .intoArray(out, outOff + i);
        }
        // scalar tail
        for (; i < n; i++) {
            out[outOff + i] = a[aOff + i] + b[bOff + i];
        }
    }

    @Override
    public void sub(float[] a, int aOff, float[] b, int bOff, float[] out, int outOff, int n) {
        int i = 0;
        // vector loop
        for (int bound = SPECIES.loopBound(n); i < bound; i += LANES) {
            FloatVector.fromArray(SPECIES, a, aOff + i)
                    .sub(FloatVector.fromArray(SPECIES, b, bOff + i))
                    .intoArray(out, outOff + i);
        }
        // scalar tail
        for (; i < n; i++) {
            out[outOff + i] = a[aOff + i] - b[bOff + i];
        }
    }

    @Override
    public void mul(float[] a, int aOff, float[] b, int bOff, float[] out, int outOff, int n) {
        int i = 0;
        // vector loop
        for (int bound = SPECIES.loopBound(n); i < bound; i += LANES) {
            FloatVector.fromArray(SPECIES, a, aOff + i)
                    .mul(FloatVector.fromArray(SPECIES, b, bOff + i))
                    .intoArray(out, outOff + i);
        }
        // scalar tail
        for (; i < n; i++) {
            out[outOff + i] = a[aOff + i] * b[bOff + i];
        }
    }

    @Override
    public void div(float[] a, int aOff, float[] b, int bOff, float[] out, int outOff, int n) {
        int i = 0;
        // vector loop
        for (int bound = SPECIES.loopBound(n); i < bound; i += LANES) {
            FloatVector.fromArray(SPECIES, a, aOff + i)
                    .div(FloatVector.fromArray(SPECIES, b, bOff + i))
                    .intoArray(out, outOff + i);
        }
        // scalar tail
        for (; i < n; i++) {
            out[outOff + i] = a[aOff + i] / b[bOff + i];
        }
    }

    @Override
    public void addScalar(float[] a, int aOff, float s, float[] out, int outOff, int n) {
        FloatVector vs = FloatVector.broadcast(SPECIES, s);
        int i = 0;
        // vector loop
        for (int bound = SPECIES.loopBound(n); i < bound; i += LANES) {
            FloatVector.fromArray(SPECIES, a, aOff + i).add(vs).intoArray(out, outOff + i);
        }
        // scalar tail
        for (; i < n; i++) {
            out[outOff + i] = a[aOff + i] + s;
        }
    }

    @Override
    public void mulScalar(float[] a, int aOff, float s, float[] out, int outOff, int n) {
        FloatVector vs = FloatVector.broadcast(SPECIES, s);
        int i = 0;
        // vector loop
        for (int bound = SPECIES.loopBound(n); i < bound; i += LANES) {
            FloatVector.fromArray(SPECIES, a, aOff + i).mul(vs).intoArray(out, outOff + i);
        }
        // scalar tail
        for (; i < n; i++) {
            out[outOff + i] = a[aOff + i] * s;
        }
    }

    @Override
    public void axpy(float alpha, float[] x, int xOff, float[] y, int yOff, int n) {
        FloatVector va = FloatVector.broadcast(SPECIES, alpha);
        int i = 0;
        // vector loop
        for (int bound = SPECIES.loopBound(n); i < bound; i += LANES) {
            FloatVector.fromArray(SPECIES, x, xOff + i)
                    .fma(va, FloatVector.fromArray(SPECIES, y, yOff + i))
                    .intoArray(y, yOff + i);
        }
        // scalar tail
        for (; i < n; i++) {
            y[yOff + i] += alpha * x[xOff + i];
        }
    }

    @Override
    public void exp(float[] a, int aOff, float[] out, int outOff, int n) {
        int i = 0;
        // vector loop
        for (int bound = SPECIES.loopBound(n); i < bound; i += LANES) {
            exp(FloatVector.fromArray(SPECIES, a, aOff + i)).intoArray(out, outOff + i);
        }
        // masked tail
        if (i < n) {
            VectorMask<Float> m = SPECIES.indexInRange(i, n);
            exp(FloatVector.fromArray(SPECIES, a, aOff + i, m)).intoArray(out, outOff + i, m);
        }
    }

    @Override
    public void geluNew(float[] a, int aOff, float[] out, int outOff, int n) {
        int i = 0;
        // vector loop
        for (int bound = SPECIES.loopBound(n); i < bound; i += LANES) {
            gelu(FloatVector.fromArray(SPECIES, a, aOff + i)).intoArray(out, outOff + i);
        }
        // masked tail
        if (i < n) {
            VectorMask<Float> m = SPECIES.indexInRange(i, n);
            gelu(FloatVector.fromArray(SPECIES, a, aOff + i, m)).intoArray(out, outOff + i, m);
        }
    }

    /**
     * {@code 0.5 x (1 + tanh(u))} with {@code u = sqrt(2/pi) (x + 0.044715 x^3)}, computed as
     * {@code x / (1 + exp(-2u))} (the same function: {@code 1 + tanh(u) = 2 / (1 + exp(-2u))}), which is
     * accurate at both ends: for large negative {@code u} the exponential overflows to infinity and the
     * result is a signed zero, as the tanh form gives.
     */
    private static FloatVector gelu(FloatVector x) {
        FloatVector u = x.mul(GELU_CUBIC).mul(x).mul(x).add(x).mul(SQRT_2_OVER_PI);
        return x.div(exp(u.mul(-2f)).add(1f));
    }

    @Override
    public void gelu(float[] a, int aOff, float[] out, int outOff, int n) {
        int bound = SPECIES.loopBound(n);
        geluErf(a, aOff, out, outOff, bound);
        if (bound < n) {
            // the tail through a zero-padded vector's worth of scratch: the same lanes, no second copy of the math
            float[] tail = new float[LANES];
            System.arraycopy(a, aOff + bound, tail, 0, n - bound);
            geluErf(tail, 0, tail, 0, LANES);
            System.arraycopy(tail, 0, out, outOff + bound, n - bound);
        }
    }

    /**
     * {@code out[i] = gelu(a[i])} for {@code i < n}, a multiple of the lanes: the exact GELU,
     * {@code 0.5 x (1 + erf(x / sqrt 2))}, with {@link dev.lens4j.tensor.kernel.Erf}'s fit of {@code erfc(z) = t exp(-z^2 + P(t))}, {@code z = |x| / sqrt 2}, {@code t = 1 / (1 + z / 2)}, in
     * float32, as {@code x (1 - erfc / 2)} for {@code x >= 0} and {@code x erfc / 2} below, so that
     * both sides keep the fit's relative accuracy (the negative side is a small difference of two
     * numbers near 1 otherwise). {@code -z^2 = -x^2 / 2} is carried exactly as a float pair (an FMA
     * gives the rounding error of {@code x^2}) and the rounding of {@code -z^2 + P(t)} is put back as
     * {@code exp(s) (1 + err)}: a rounded exponent alone would cost up to 32 ulp near {@code x = -13}.
     * {@code |x|} is clamped to 20 inside {@code erfc} (where it is 0 in float), so {@code +inf} gives
     * {@code +inf} and {@code -inf} gives NaN ({@code -inf * 0}), as the scalar kernel does.
     */
    private static void geluErf(float[] a, int aOff, float[] out, int outOff, int n) {
        // one loop body, no vector crosses a call (a helper this size is too big for C2 to inline, and its
        // vectors would be boxed: 8x slower than gelu_new, measured)
        for (int i = 0; i < n; i += LANES) {
            FloatVector x = FloatVector.fromArray(SPECIES, a, aOff + i);
            FloatVector ax = x.abs().min(ERF_CLAMP);
            FloatVector t = ax.fma(HALF_INV_SQRT_2, 1f);
            t = t.broadcast(1f).div(t);
            FloatVector p = t.fma(E9, E8);
            p = horner(p, t, E7);
            p = horner(p, t, E6);
            p = horner(p, t, E5);
            p = horner(p, t, E4);
            p = horner(p, t, E3);
            p = horner(p, t, E2);
            p = horner(p, t, E1);
            p = horner(p, t, E0);
            FloatVector hi = ax.mul(ax);                 // x^2 = hi + lo exactly
            FloatVector lo = ax.fma(ax, hi.neg());
            FloatVector nh = hi.mul(-0.5f);              // -x^2 / 2, exact
            FloatVector s = nh.add(p);                   // -z^2 + P(t), rounded; TwoSum: s + e = nh + p exactly
            FloatVector bv = s.sub(nh);
            FloatVector e = nh.sub(s.sub(bv)).add(p.sub(bv));
            FloatVector corr = e.sub(lo.mul(0.5f));
            // below s = -64 exp(s) is computed as exp(s + 16) e^-16 (s + 16 is exact there), so that a
            // subnormal exp(s) does not drop the correction: the result stays a normal float down to x = -13.2
            VectorMask<Float> deep = s.lt(-64f);
            FloatVector ex = exp(s.add(s.broadcast(0f).blend(16f, deep)));
            FloatVector scale = s.broadcast(1f).blend(E_MINUS_16, deep);
            FloatVector halfErfc = t.mul(ex.fma(corr, ex)).mul(0.5f);      // times e^16 where deep
            FloatVector neg = x.mul(halfErfc).mul(scale);                  // scaled last: x erfc / 2 may be normal where erfc / 2 is not
            FloatVector pos = x.mul(halfErfc.mul(scale).neg().add(1f));
            pos.blend(neg, x.lt(0f)).intoArray(out, outOff + i);
        }
    }

    /** One Horner step, {@code p t + c} as one fused multiply-add. */
    private static FloatVector horner(FloatVector p, FloatVector t, float c) {
        return p.fma(t, FloatVector.broadcast(SPECIES, c));
    }

    /** Lane {@code i} takes lane {@code i + h} (mod the length), for h = LANES/2, LANES/4, ..., 1. */
    private static final VectorShuffle<Float>[] FOLDS = folds();

    @SuppressWarnings({"unchecked", "rawtypes"}) // a generic array: VectorShuffle<Float>[] cannot be created directly
    private static VectorShuffle<Float>[] folds() {
        int steps = Integer.numberOfTrailingZeros(LANES);
        VectorShuffle<Float>[] f = new VectorShuffle[steps];
        for (int k = 0, h = LANES / 2; k < steps; k++, h /= 2) {
            f[k] = VectorShuffle.iota(SPECIES, h, 1, true);
        }
        return f;
    }

    /**
     * The sum of the lanes, as a fixed tree of pairwise adds. Not {@code reduceLanes(ADD)}: its order
     * is unspecified, and C2 sums in another order than the interpreter does, so results would depend on
     * how warm the JIT is.
     */
    private static float sumLanes(FloatVector v) {
        for (VectorShuffle<Float> fold : FOLDS) {
            v = v.add(v.rearrange(fold));
        }
        return v.lane(0);
    }

    /**
     * {@code exp} of every lane, within about 1 ulp of {@link Math#exp} (Cephes {@code expf}): the
     * argument is split as {@code n ln 2 + r} with {@code |r| <= ln 2 / 2}, {@code exp(r)} comes from a
     * degree-5 polynomial, and {@code 2^n} is assembled in the exponent bits in two halves so that
     * results in the subnormal range round as they should. NaN stays NaN, {@code -inf} gives 0 and
     * {@code +inf} gives {@code +inf}. Only adds, multiplies, FMAs, min/max and bit operations: the
     * same bits on every JIT tier.
     */
    static FloatVector exp(FloatVector x) {
        FloatVector xc = x.max(EXP_LO).min(EXP_HI);                    // NaN stays NaN
        FloatVector n = xc.fma(LOG2E, ROUNDER).sub(ROUNDER);            // round(x / ln 2)
        FloatVector r = n.fma(x.broadcast(-LN2_HI), xc);
        r = n.fma(x.broadcast(-LN2_LO), r);
        FloatVector p = r.fma(P0, P1);                                   // Horner, one FMA per step
        p = p.fma(r, x.broadcast(P2));
        p = p.fma(r, x.broadcast(P3));
        p = p.fma(r, x.broadcast(P4));
        p = p.fma(r, x.broadcast(P5));
        FloatVector rr = r.mul(r);
        FloatVector y = p.fma(rr, r).add(1f);                         // exp(r)
        // 2^n = 2^n1 * 2^n2 with n1 = floor(n / 2), n2 = n - n1, both in [-75, 64]: normal floats
        IntVector ni = (IntVector) n.convert(VectorOperators.F2I, 0);
        IntVector n1 = ni.lanewise(VectorOperators.ASHR, 1);
        IntVector n2 = ni.sub(n1);
        FloatVector s1 = n1.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
        FloatVector s2 = n2.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
        return y.mul(s1).mul(s2);
    }

    // ---------------------------------------------------------------- reductions

    @Override
    public float dot(float[] a, int aOff, float[] b, int bOff, int n) {
        FloatVector acc0 = FloatVector.zero(SPECIES);
        FloatVector acc1 = FloatVector.zero(SPECIES);
        FloatVector acc2 = FloatVector.zero(SPECIES);
        FloatVector acc3 = FloatVector.zero(SPECIES);
        int i = 0;
        // main loop, unrolled into four accumulators
        for (int bound = n - n % STRIDE; i < bound; i += STRIDE) {
            acc0 = FloatVector.fromArray(SPECIES, a, aOff + i).fma(FloatVector.fromArray(SPECIES, b, bOff + i), acc0);
            acc1 = FloatVector.fromArray(SPECIES, a, aOff + i + LANES)
                    .fma(FloatVector.fromArray(SPECIES, b, bOff + i + LANES), acc1);
            acc2 = FloatVector.fromArray(SPECIES, a, aOff + i + 2 * LANES)
                    .fma(FloatVector.fromArray(SPECIES, b, bOff + i + 2 * LANES), acc2);
            acc3 = FloatVector.fromArray(SPECIES, a, aOff + i + 3 * LANES)
                    .fma(FloatVector.fromArray(SPECIES, b, bOff + i + 3 * LANES), acc3);
        }
        // vector tail
        for (int bound = SPECIES.loopBound(n); i < bound; i += LANES) {
            acc0 = FloatVector.fromArray(SPECIES, a, aOff + i).fma(FloatVector.fromArray(SPECIES, b, bOff + i), acc0);
        }
        float s = sumLanes(acc0.add(acc1).add(acc2.add(acc3)));
        // scalar tail
        for (; i < n; i++) {
            s += a[aOff + i] * b[bOff + i];
        }
        return s;
    }

    @Override
    public float sum(float[] a, int aOff, int n) {
        FloatVector acc0 = FloatVector.zero(SPECIES);
        FloatVector acc1 = FloatVector.zero(SPECIES);
        FloatVector acc2 = FloatVector.zero(SPECIES);
        FloatVector acc3 = FloatVector.zero(SPECIES);
        int i = 0;
        // main loop, unrolled into four accumulators
        for (int bound = n - n % STRIDE; i < bound; i += STRIDE) {
            acc0 = acc0.add(FloatVector.fromArray(SPECIES, a, aOff + i));
            acc1 = acc1.add(FloatVector.fromArray(SPECIES, a, aOff + i + LANES));
            acc2 = acc2.add(FloatVector.fromArray(SPECIES, a, aOff + i + 2 * LANES));
            acc3 = acc3.add(FloatVector.fromArray(SPECIES, a, aOff + i + 3 * LANES));
        }
        // vector tail
        for (int bound = SPECIES.loopBound(n); i < bound; i += LANES) {
            acc0 = acc0.add(FloatVector.fromArray(SPECIES, a, aOff + i));
        }
        float s = sumLanes(acc0.add(acc1).add(acc2.add(acc3)));
        // scalar tail
        for (; i < n; i++) {
            s += a[aOff + i];
        }
        return s;
    }

    @Override
    public float sumOfSquares(float[] a, int aOff, int n) {
        return centredSumOfSquares(a, aOff, 0f, n);
    }

    /** {@code sum (a[i] - centre)^2}; the variance pass of LayerNorm, and with centre 0 the sum of squares. */
    private static float centredSumOfSquares(float[] a, int aOff, float centre, int n) {
        FloatVector vc = FloatVector.broadcast(SPECIES, centre);
        FloatVector acc0 = FloatVector.zero(SPECIES);
        FloatVector acc1 = FloatVector.zero(SPECIES);
        FloatVector acc2 = FloatVector.zero(SPECIES);
        FloatVector acc3 = FloatVector.zero(SPECIES);
        int i = 0;
        // main loop, unrolled into four accumulators
        for (int bound = n - n % STRIDE; i < bound; i += STRIDE) {
            FloatVector c0 = FloatVector.fromArray(SPECIES, a, aOff + i).sub(vc);
            FloatVector c1 = FloatVector.fromArray(SPECIES, a, aOff + i + LANES).sub(vc);
            FloatVector c2 = FloatVector.fromArray(SPECIES, a, aOff + i + 2 * LANES).sub(vc);
            FloatVector c3 = FloatVector.fromArray(SPECIES, a, aOff + i + 3 * LANES).sub(vc);
            acc0 = c0.fma(c0, acc0);
            acc1 = c1.fma(c1, acc1);
            acc2 = c2.fma(c2, acc2);
            acc3 = c3.fma(c3, acc3);
        }
        // vector tail
        for (int bound = SPECIES.loopBound(n); i < bound; i += LANES) {
            FloatVector c = FloatVector.fromArray(SPECIES, a, aOff + i).sub(vc);
            acc0 = c.fma(c, acc0);
        }
        float s = sumLanes(acc0.add(acc1).add(acc2.add(acc3)));
        // scalar tail
        for (; i < n; i++) {
            float c = a[aOff + i] - centre;
            s += c * c;
        }
        return s;
    }

    @Override
    public float max(float[] a, int aOff, int n) {
        // Vector MAX has Math.max semantics, so a NaN propagates through every step below.
        FloatVector acc0 = FloatVector.broadcast(SPECIES, Float.NEGATIVE_INFINITY);
        FloatVector acc1 = acc0;
        FloatVector acc2 = acc0;
        FloatVector acc3 = acc0;
        int i = 0;
        // main loop, unrolled into four accumulators
        for (int bound = n - n % STRIDE; i < bound; i += STRIDE) {
            acc0 = acc0.max(FloatVector.fromArray(SPECIES, a, aOff + i));
            acc1 = acc1.max(FloatVector.fromArray(SPECIES, a, aOff + i + LANES));
            acc2 = acc2.max(FloatVector.fromArray(SPECIES, a, aOff + i + 2 * LANES));
            acc3 = acc3.max(FloatVector.fromArray(SPECIES, a, aOff + i + 3 * LANES));
        }
        // vector tail
        for (int bound = SPECIES.loopBound(n); i < bound; i += LANES) {
            acc0 = acc0.max(FloatVector.fromArray(SPECIES, a, aOff + i));
        }
        float m = acc0.max(acc1).max(acc2.max(acc3)).reduceLanes(VectorOperators.MAX);
        // scalar tail
        for (; i < n; i++) {
            m = Math.max(m, a[aOff + i]);
        }
        return m;
    }

    @Override
    public int argmax(float[] a, int aOff, int n) {
        if (n == 0) {
            return -1;
        }
        // Two passes: the (vectorised) maximum, then the first lane equal to it. The second pass
        // usually stops early and is far cheaper than carrying an index vector through the first.
        float m = max(a, aOff, n);
        boolean nan = Float.isNaN(m);
        FloatVector vm = FloatVector.broadcast(SPECIES, m);
        int i = 0;
        // vector search
        for (int bound = SPECIES.loopBound(n); i < bound; i += LANES) {
            FloatVector v = FloatVector.fromArray(SPECIES, a, aOff + i);
            VectorMask<Float> hit = nan ? v.test(VectorOperators.IS_NAN) : v.eq(vm);
            if (hit.anyTrue()) {
                return i + hit.firstTrue();
            }
        }
        // scalar tail
        for (; i < n; i++) {
            float v = a[aOff + i];
            if (nan ? Float.isNaN(v) : v == m) {
                return i;
            }
        }
        throw new AssertionError("argmax: maximum " + m + " not found in its own row");
    }

    // ---------------------------------------------------------------- row operations

    @Override
    public void softmax(float[] x, int xOff, float[] out, int outOff, int n) {
        // pass 1: the maximum, so that no exponential overflows
        float m = max(x, xOff, n);
        if (m == Float.NEGATIVE_INFINITY) {
            Arrays.fill(out, outOff, outOff + n, 0f);
            return;
        }
        // pass 2: out = exp(x - m), summed on the way
        float s = expShiftedSum(x, xOff, m, out, outOff, n);
        // pass 3: normalise
        mulScalar(out, outOff, 1f / s, out, outOff, n);
    }

    @Override
    public void logSoftmax(float[] x, int xOff, float[] out, int outOff, int n) {
        // pass 1: the maximum
        float m = max(x, xOff, n);
        if (m == Float.NEGATIVE_INFINITY) {
            Arrays.fill(out, outOff, outOff + n, Float.NEGATIVE_INFINITY);
            return;
        }
        // pass 2: sum exp(x - m), nothing stored
        float s = expShiftedSum(x, xOff, m, null, 0, n);
        // pass 3: out = x - logsumexp(x)
        float lse = m + (float) Math.log(s);
        addScalar(x, xOff, -lse, out, outOff, n);
    }

    /**
     * {@code sum exp(x[i] - m)}, also storing each term in {@code out} unless it is null.
     *
     * <p>One accumulator: each iteration calls the vector exp routine, whose cost dwarfs the latency
     * of the add, so more accumulators gain nothing here.
     */
    private static float expShiftedSum(float[] x, int xOff, float m, float[] out, int outOff, int n) {
        FloatVector vm = FloatVector.broadcast(SPECIES, m);
        FloatVector acc = FloatVector.zero(SPECIES);
        int i = 0;
        // vector loop
        for (int bound = SPECIES.loopBound(n); i < bound; i += LANES) {
            FloatVector e = exp(FloatVector.fromArray(SPECIES, x, xOff + i).sub(vm));
            if (out != null) {
                e.intoArray(out, outOff + i);
            }
            acc = acc.add(e);
        }
        // masked tail: inactive lanes load as 0, whose exp(0 - m) must not reach the sum
        if (i < n) {
            VectorMask<Float> mask = SPECIES.indexInRange(i, n);
            FloatVector e = exp(FloatVector.fromArray(SPECIES, x, xOff + i, mask).sub(vm));
            if (out != null) {
                e.intoArray(out, outOff + i, mask);
            }
            acc = acc.add(e, mask);
        }
        return sumLanes(acc);
    }

    @Override
    public float layerNorm(float[] x, int xOff, float[] w, int wOff, float[] b, int bOff, float eps,
                           float[] out, int outOff, int n) {
        // pass 1: mean
        float mean = sum(x, xOff, n) / n;
        // pass 2: variance about the mean (two passes: no cancellation from E[x^2] - E[x]^2)
        float variance = centredSumOfSquares(x, xOff, mean, n) / n;
        float scale = (float) Math.sqrt((double) variance + eps);
        float inv = 1f / scale;
        // pass 3: out = (x - mean) / scale * w + b
        FloatVector vMean = FloatVector.broadcast(SPECIES, mean);
        FloatVector vInv = FloatVector.broadcast(SPECIES, inv);
        int i = 0;
        int bound = SPECIES.loopBound(n);
        // vector loop, one variant per combination of weight and bias so the loop body has no branch
        if (w != null && b != null) {
            for (; i < bound; i += LANES) {
                FloatVector.fromArray(SPECIES, x, xOff + i).sub(vMean).mul(vInv)
                        .fma(FloatVector.fromArray(SPECIES, w, wOff + i), FloatVector.fromArray(SPECIES, b, bOff + i))
                        .intoArray(out, outOff + i);
            }
        } else if (w != null) {
            for (; i < bound; i += LANES) {
                FloatVector.fromArray(SPECIES, x, xOff + i).sub(vMean).mul(vInv)
                        .mul(FloatVector.fromArray(SPECIES, w, wOff + i))
                        .intoArray(out, outOff + i);
            }
        } else if (b != null) {
            for (; i < bound; i += LANES) {
                FloatVector.fromArray(SPECIES, x, xOff + i).sub(vMean).mul(vInv)
                        .add(FloatVector.fromArray(SPECIES, b, bOff + i))
                        .intoArray(out, outOff + i);
            }
        } else {
            for (; i < bound; i += LANES) {
                FloatVector.fromArray(SPECIES, x, xOff + i).sub(vMean).mul(vInv).intoArray(out, outOff + i);
            }
        }
        // scalar tail
        for (; i < n; i++) {
            float v = (x[xOff + i] - mean) * inv;
            if (w != null) {
                v *= w[wOff + i];
            }
            if (b != null) {
                v += b[bOff + i];
            }
            out[outOff + i] = v;
        }
        return scale;
    }
}
