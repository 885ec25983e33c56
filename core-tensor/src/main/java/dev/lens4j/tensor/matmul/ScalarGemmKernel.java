package dev.lens4j.tensor.matmul;

/**
 * The plain-Java micro-kernel, used when the Vector API is unavailable: a 4 x 4 register tile of
 * scalar fused multiply-adds ({@link Math#fma} is a single instruction on current x86 and ARM cores).
 */
final class ScalarGemmKernel implements GemmMicroKernel {

    static final ScalarGemmKernel INSTANCE = new ScalarGemmKernel();

    private static final int MR = 4;
    private static final int NR = 4;

    private ScalarGemmKernel() {}

    @Override
    public String name() {
        return "scalar 4x4";
    }

    @Override
    public int mr() {
        return MR;
    }

    @Override
    public int nr() {
        return NR;
    }

    @Override
    public int nrStep() {
        return NR;
    }

    @Override
    public void tile(float[] a, int aOff, float[] b, int bOff, int width, int kc, float[] c, int cOff, int ldc, boolean load) {
        fullTile(a, aOff, b, bOff, kc, c, cOff, ldc, load);
    }

    private static void fullTile(float[] a, int ao, float[] b, int bo, int kc, float[] c, int co, int ldc, boolean load) {
        int o0 = co, o1 = co + ldc, o2 = co + 2 * ldc, o3 = co + 3 * ldc;
        float c00 = 0, c01 = 0, c02 = 0, c03 = 0, c10 = 0, c11 = 0, c12 = 0, c13 = 0;
        float c20 = 0, c21 = 0, c22 = 0, c23 = 0, c30 = 0, c31 = 0, c32 = 0, c33 = 0;
        if (load) {
            c00 = c[o0]; c01 = c[o0 + 1]; c02 = c[o0 + 2]; c03 = c[o0 + 3];
            c10 = c[o1]; c11 = c[o1 + 1]; c12 = c[o1 + 2]; c13 = c[o1 + 3];
            c20 = c[o2]; c21 = c[o2 + 1]; c22 = c[o2 + 2]; c23 = c[o2 + 3];
            c30 = c[o3]; c31 = c[o3 + 1]; c32 = c[o3 + 2]; c33 = c[o3 + 3];
        }
        for (int p = 0; p < kc; p++, ao += MR, bo += NR) {
            float b0 = b[bo], b1 = b[bo + 1], b2 = b[bo + 2], b3 = b[bo + 3];
            float x = a[ao];
            c00 = Math.fma(x, b0, c00); c01 = Math.fma(x, b1, c01); c02 = Math.fma(x, b2, c02); c03 = Math.fma(x, b3, c03);
            x = a[ao + 1];
            c10 = Math.fma(x, b0, c10); c11 = Math.fma(x, b1, c11); c12 = Math.fma(x, b2, c12); c13 = Math.fma(x, b3, c13);
            x = a[ao + 2];
            c20 = Math.fma(x, b0, c20); c21 = Math.fma(x, b1, c21); c22 = Math.fma(x, b2, c22); c23 = Math.fma(x, b3, c23);
            x = a[ao + 3];
            c30 = Math.fma(x, b0, c30); c31 = Math.fma(x, b1, c31); c32 = Math.fma(x, b2, c32); c33 = Math.fma(x, b3, c33);
        }
        c[o0] = c00; c[o0 + 1] = c01; c[o0 + 2] = c02; c[o0 + 3] = c03;
        c[o1] = c10; c[o1 + 1] = c11; c[o1 + 2] = c12; c[o1 + 3] = c13;
        c[o2] = c20; c[o2 + 1] = c21; c[o2 + 2] = c22; c[o2 + 3] = c23;
        c[o3] = c30; c[o3 + 1] = c31; c[o3 + 2] = c32; c[o3 + 3] = c33;
    }
}
