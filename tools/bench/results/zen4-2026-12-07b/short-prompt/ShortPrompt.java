import dev.lens4j.transformer.ForwardOptions;
import dev.lens4j.transformer.HookedTransformer;
import dev.lens4j.transformer.loading.Models;
import java.nio.file.Path;

/** Decoding one token at a time from a one-token prompt: tokens per second per round of 16 steps. */
public class ShortPrompt {
    public static void main(String[] a) throws Exception {
        dev.lens4j.tensor.Parallel.setThreads(1);
        try (HookedTransformer m = Models.fromPretrainedNoProcessing(Path.of(a[0]))) {
            var kv = m.newKvCache(1);
            ForwardOptions o = ForwardOptions.builder().kvCache(kv).build();
            StringBuilder out = new StringBuilder();
            for (int round = 0; round < 4; round++) {
                kv.clear();
                int tok = 1, n = 16;
                long t0 = System.nanoTime();
                for (int i = 0; i < n; i++) {
                    m.run(new int[][] {{tok}}, o).logits();
                    tok = (tok * 7 + 3) % 1000;
                }
                out.append(String.format(java.util.Locale.ROOT, "%.2f ", n / ((System.nanoTime() - t0) * 1e-9)));
            }
            System.out.println(a[1] + " tok/s by round: " + out + " packed MiB " + m.packedWeightBytes() / (1 << 20));
        }
    }
}
