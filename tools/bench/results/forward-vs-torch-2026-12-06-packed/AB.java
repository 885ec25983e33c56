package dev.lens4j.bench;
import dev.lens4j.transformer.*;
import dev.lens4j.tensor.Parallel;
import java.lang.management.*;

public class AB {
    public static void main(String[] a) throws Exception {
        Parallel.setThreads(1);
        ThreadMXBean tb = ManagementFactory.getThreadMXBean();
        com.sun.management.OperatingSystemMXBean os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        try (HookedTransformer m = ForwardModels.gpt2Small(1)) {
            int batch = Integer.parseInt(a[0]), pos = Integer.parseInt(a[1]);
            int[][] t = ForwardModels.tokens(2, batch, pos, 50257);
            ForwardOptions on = ForwardOptions.builder().build();
            ForwardOptions off = ForwardOptions.builder().packedWeights(WeightPacking.NONE).build();
            for (int i = 0; i < 3; i++) { m.run(t, on); m.run(t, off); }
            System.out.println("packed MB " + m.packedWeightBytes() / 1048576.0);
            for (int r = 0; r < Integer.parseInt(a[2]); r++) {
                for (ForwardOptions o : new ForwardOptions[] {on, off}) {
                    long c0 = tb.getCurrentThreadCpuTime(), p0 = os.getProcessCpuTime(), w0 = System.nanoTime();
                    m.run(t, o);
                    long c1 = tb.getCurrentThreadCpuTime(), p1 = os.getProcessCpuTime(), w1 = System.nanoTime();
                    System.out.printf("%s thread %.3f process %.3f wall %.3f%n", o == on ? "packed" : "unpacked", (c1 - c0) * 1e-9, (p1 - p0) * 1e-9, (w1 - w0) * 1e-9);
                }
            }
        }
    }
}
