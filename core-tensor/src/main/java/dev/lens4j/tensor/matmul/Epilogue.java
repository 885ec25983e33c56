package dev.lens4j.tensor.matmul;

import dev.lens4j.tensor.kernel.KernelProvider;
import dev.lens4j.tensor.kernel.Kernels;
import java.util.Objects;

/**
 * What {@link Gemm} does to the output besides the product, fused into the multiplication so that
 * each block of C is finished while it is still in cache instead of being read back by a second
 * pass: a bias the products start from, {@code gelu_new} after it, a residual added at the end.
 *
 * <p>The fused results are bit-identical to the unfused sequence of calls, because each step is
 * exactly the step the unfused code takes, element by element:
 * <ul>
 *   <li>{@link #bias}: {@code C[i, j] = bias[j] + sum_p A[i, p] B[p, j]} as one fused multiply-add
 *       chain starting from {@code bias[j]} (what copying the bias into C and multiplying with
 *       {@code accumulate = true} gives);</li>
 *   <li>{@link #biasGeluNew}: then {@code C = gelu_new(C)} with {@link Kernels#geluNew} of
 *       {@link KernelProvider#kernels()} (an elementwise kernel: its lanes do not depend on where a
 *       row segment starts);</li>
 *   <li>{@link #biasResidual}: then {@code C[i, j] = residual[i, j] + C[i, j]} (one float addition),
 *       e.g. {@code resid_mid = resid_pre + (z W_O + b_O)} without a separate {@code attn_out} array.</li>
 * </ul>
 * A bias needs {@code accumulate = false}: the products start from the bias, not from C.
 *
 * <pre>{@code
 * // hook_post [pos, d_mlp] = gelu_new(ln2.hook_normalized [pos, d_model] W_in + b_in), in one pass over C
 * Gemm.multiply(x, wIn, post, 0, dMlp, Epilogue.biasGeluNew(bIn, 0));
 * }</pre>
 */
public final class Epilogue {

    private static final Epilogue NONE = new Epilogue(null, 0, false, null, 0, 0);

    /** Added before the products, {@code [n]} from {@code biasOff}; or null. */
    private final float[] bias;
    private final int biasOff;
    /** Apply {@code gelu_new} after the bias and products. */
    private final boolean gelu;
    /** Added at the end, {@code [m, n]} from {@code residualOff} with row stride {@code ldr}; or null. */
    private final float[] residual;
    private final int residualOff;
    private final int ldr;

    private Epilogue(float[] bias, int biasOff, boolean gelu, float[] residual, int residualOff, int ldr) {
        this.bias = bias;
        this.biasOff = biasOff;
        this.gelu = gelu;
        this.residual = residual;
        this.residualOff = residualOff;
        this.ldr = ldr;
    }

    /**
     * Nothing besides the product.
     *
     * @return the empty epilogue
     */
    public static Epilogue none() {
        return NONE;
    }

    /**
     * {@code C = bias + A B}: the products start from the bias.
     *
     * @param bias the bias {@code [n]}, e.g. {@code b_in [d_mlp]}
     * @param biasOff index of {@code bias[0]}
     * @return the epilogue
     */
    public static Epilogue bias(float[] bias, int biasOff) {
        return new Epilogue(Objects.requireNonNull(bias, "bias"), biasOff, false, null, 0, 0);
    }

    /**
     * {@code C = gelu_new(bias + A B)}: GPT-2's MLP input projection and activation in one pass.
     *
     * @param bias the bias {@code [n]}, e.g. {@code b_in [d_mlp]}
     * @param biasOff index of {@code bias[0]}
     * @return the epilogue
     */
    public static Epilogue biasGeluNew(float[] bias, int biasOff) {
        return new Epilogue(Objects.requireNonNull(bias, "bias"), biasOff, true, null, 0, 0);
    }

    /**
     * {@code C = residual + (bias + A B)}: a projection that writes into the residual stream.
     *
     * @param bias the bias {@code [n]}, e.g. {@code b_O [d_model]}, or null for none
     * @param biasOff index of {@code bias[0]}
     * @param residual the residual {@code [m, n]}, e.g. {@code hook_resid_pre [pos, d_model]}; must not
     *        overlap C (the products overwrite C before the residual is added)
     * @param residualOff index of {@code residual[0, 0]}
     * @param ldr elements between consecutive rows of the residual
     * @return the epilogue
     */
    public static Epilogue biasResidual(float[] bias, int biasOff, float[] residual, int residualOff, int ldr) {
        return new Epilogue(bias, biasOff, false, Objects.requireNonNull(residual, "residual"), residualOff, ldr);
    }

    /** @return true if this epilogue does nothing */
    boolean isNone() {
        return bias == null && !gelu && residual == null;
    }

    /** @return the bias array, or null when this epilogue adds none */
    float[] biasArray() {
        return bias;
    }

    /** @return the index of the bias's first element (0 when there is no bias) */
    int biasOffset() {
        return bias == null ? 0 : biasOff;
    }

    /** @return true if the products start from the bias (prefilled into C) */
    boolean hasBias() {
        return bias != null;
    }

    /** @return true if something happens after the products */
    boolean hasFinish() {
        return gelu || residual != null;
    }

    /**
     * Checks the arrays against the product's shape.
     *
     * @throws IllegalArgumentException naming the shape and the array that is too short
     */
    void check(int m, int n, boolean accumulate, float[] c, int cOff, int ldc, String shapes) {
        if (bias != null) {
            if (accumulate) {
                throw new IllegalArgumentException("matmul " + shapes + ": a bias epilogue starts the products from the bias;"
                        + " it cannot accumulate into C");
            }
            if (biasOff < 0 || (long) biasOff + n > bias.length) {
                throw new IllegalArgumentException("matmul " + shapes + ": bias (length " + bias.length + ") has no "
                        + n + " elements at offset " + biasOff);
            }
        }
        if (residual != null && m > 0 && n > 0) {
            long last = (long) residualOff + (long) (m - 1) * ldr + n;
            if (residualOff < 0 || (m > 1 && ldr < n) || last > residual.length) {
                throw new IllegalArgumentException("matmul " + shapes + ": residual (length " + residual.length
                        + ") cannot hold [" + m + ", " + n + "] at offset " + residualOff + " with row stride " + ldr);
            }
            if (residual == c) {
                long cLast = (long) cOff + (long) (m - 1) * ldc + n;
                if (residualOff < cLast && cOff < last) {
                    throw new IllegalArgumentException("matmul " + shapes + ": the residual overlaps C (the products"
                            + " overwrite C before the residual is added)");
                }
            }
        }
    }

    /** Writes the bias into {@code C[i0:i1, j0:j1]}, the starting values of the products. */
    void prefill(float[] c, int cOff, int ldc, int i0, int i1, int j0, int j1) {
        for (int i = i0; i < i1; i++) {
            System.arraycopy(bias, biasOff + j0, c, cOff + i * ldc + j0, j1 - j0);
        }
    }

    /** Applies gelu_new and the residual to the finished {@code C[i0:i1, j0:j1]}. */
    void finish(float[] c, int cOff, int ldc, int i0, int i1, int j0, int j1) {
        Kernels k = KernelProvider.kernels();
        int w = j1 - j0;
        for (int i = i0; i < i1; i++) {
            int o = cOff + i * ldc + j0;
            if (gelu) {
                k.geluNew(c, o, c, o, w);
            }
            if (residual != null) {
                k.add(residual, residualOff + i * ldr + j0, c, o, c, o, w);
            }
        }
    }
}
