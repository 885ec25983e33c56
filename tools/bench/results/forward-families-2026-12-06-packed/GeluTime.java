import dev.lens4j.tensor.kernel.*;
import java.lang.management.*;
public class GeluTime {
    public static void main(String[] a) {
        ThreadMXBean tb = ManagementFactory.getThreadMXBean();
        int n = 128 * 3072 * 12;   // the activations of a Pythia-160M 1x128 pass
        float[] x = new float[n], out = new float[n];
        java.util.SplittableRandom r = new java.util.SplittableRandom(1);
        for (int i = 0; i < n; i++) x[i] = (float) (r.nextGaussian() * 2);
        Kernels s = ScalarKernels.INSTANCE, p = KernelProvider.kernels(), q = ReproducibleKernels.INSTANCE;
        System.out.println("kernels: " + p.name());
        for (int w = 0; w < 5; w++) { s.gelu(x, 0, out, 0, n); p.gelu(x, 0, out, 0, n); p.geluNew(x, 0, out, 0, n); }
        for (int round = 0; round < 5; round++) {
            StringBuilder sb = new StringBuilder();
            for (Kernels k : new Kernels[] {s, p}) {
                long c0 = tb.getCurrentThreadCpuTime();
                for (int c = 0; c < 3072 * 12 * 128; c += 3072) k.gelu(x, c, out, c, 3072);
                sb.append(String.format("%s gelu %.4f s  ", k == s ? "scalar" : "vector", (tb.getCurrentThreadCpuTime() - c0) * 1e-9));
            }
            long c0 = tb.getCurrentThreadCpuTime();
            for (int c = 0; c < n; c += 3072) p.geluNew(x, c, out, c, 3072);
            sb.append(String.format("vector gelu_new %.4f s", (tb.getCurrentThreadCpuTime() - c0) * 1e-9));
            System.out.println(sb);
        }
    }
}
