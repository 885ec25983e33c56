package dev.lens4j.transformer.loading;

import dev.lens4j.transformer.TransformerConfig;
import dev.lens4j.transformer.TransformerWeights;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Loading a float32 checkpoint costs its mapping and almost no heap.
 *
 * <p>The checkpoint is GPT-2 small's width, vocabulary and context (d_model 768, 12 heads, d_vocab
 * 50257, n_ctx 1024) with 2 layers instead of 12: 214 MB, every byte written. Method: the heap in use
 * is read from {@link MemoryMXBean} after two {@code System.gc()} calls, before loading and after
 * loading and reading weights from every tensor (so the mapping is really paged in); the off-heap cost
 * is the mapping, the size of the mapped files. Memory is "heap growth + mapped bytes", and must stay
 * within 1.5 times the file size; the heap growth alone must stay under 5% of it, i.e. no second copy
 * of any weight.
 */
class Gpt2MemoryTest {

    @Test
    void f32LoadingMapsTheFileAndCopiesNothing(@TempDir Path dir) throws IOException {
        TransformerConfig cfg = TransformerConfig.gpt2(2, 768, 12, 1024, 50257);
        SyntheticCheckpoints.writeJson(dir.resolve("config.json"), SyntheticCheckpoints.hfConfig(cfg));
        Map<String, int[]> shapes = new LinkedHashMap<>();
        Gpt2Checkpoint.hfTensorShapes(cfg).forEach((n, s) -> shapes.put("transformer." + n, s));
        Path file = dir.resolve("model.safetensors");
        SyntheticCheckpoints.writeStreamed(file, shapes);
        long fileSize = Files.size(file);
        List<String> names = List.copyOf(shapes.keySet());

        MemoryMXBean mx = ManagementFactory.getMemoryMXBean();
        long before = heapAfterGc(mx);
        try (LoadedCheckpoint c = Gpt2Checkpoint.read(dir, LoadOptions.noProcessing())) {
            TransformerWeights w = c.weights();
            // Read the last element of every weight and whole rows of the big ones, against the generator.
            int d = 768;
            int wte = names.indexOf("transformer.wte.weight");
            for (int row : new int[] {0, 25_000, 50_256}) {
                for (int col = 0; col < d; col++) {
                    float expected = SyntheticCheckpoints.streamedValue(wte, (long) row * d + col);
                    assertThat(w.wE().get(row, col)).isEqualTo(expected);
                    assertThat(w.wU().get(col, row)).isEqualTo(expected);
                }
            }
            int cAttn = names.indexOf("transformer.h.1.attn.c_attn.weight");
            // W_V[head 11, row 767, dim 63] is c_attn[767, 2*768 + 11*64 + 63], the last element.
            assertThat(w.layers().get(1).wV().get(11, 767, 63))
                    .isEqualTo(SyntheticCheckpoints.streamedValue(cAttn, 767L * 3 * d + 3 * d - 1));
            int fc = names.indexOf("transformer.h.0.mlp.c_fc.weight");
            assertThat(w.layers().get(0).wIn().get(767, 3071))
                    .isEqualTo(SyntheticCheckpoints.streamedValue(fc, 768L * 3072 - 1));
            double sum = 0;
            for (float x : w.wE().select(0, 12_345).toArray()) {
                sum += x;
            }
            assertThat(sum).isFinite();

            long heapGrowth = heapAfterGc(mx) - before;
            long mapped = ((MappedSafetensors) c.owner()).mappedBytes();
            assertThat(mapped).isEqualTo(fileSize);
            System.out.printf("2-layer GPT-2-small-width F32 checkpoint: file %.1f MB, mapped %.1f MB, heap growth %.2f MB "
                    + "(%.4f of the file); total %.3f x file size%n", fileSize / 1e6, mapped / 1e6, heapGrowth / 1e6,
                    heapGrowth / (double) fileSize, (heapGrowth + mapped) / (double) fileSize);
            assertThat(heapGrowth).isLessThan(fileSize / 20);
            assertThat(heapGrowth + mapped).isLessThanOrEqualTo((long) (1.5 * fileSize));
        }
    }

    private static long heapAfterGc(MemoryMXBean mx) {
        System.gc();
        System.gc();
        return mx.getHeapMemoryUsage().getUsed();
    }
}
