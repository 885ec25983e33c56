package dev.lens4j.app;

import dev.lens4j.hooks.ActivationCache;
import dev.lens4j.tensor.Tensor;
import dev.lens4j.tensor.io.Npy;
import dev.lens4j.tensor.io.SafetensorsFile;
import dev.lens4j.transformer.HookedTransformer;
import dev.lens4j.transformer.loading.Models;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

class CacheCommandTest {

    private static final String PROMPT = "apple river stone apple river";

    /** The cache of the same prompt, computed here directly. */
    private static ActivationCache expectedCache() throws Exception {
        try (HookedTransformer model = Models.fromPretrained(TestModels.induction())) {
            int[] tokens = model.tokenizer().toTokens(PROMPT);
            ActivationCache cache = model.runWithCache(new int[][] {tokens}).cache();
            // copy out of the model's lifetime
            ActivationCache.Builder b = ActivationCache.builder(cache.nLayers());
            cache.asMap().forEach((name, t) -> b.put(name, Tensor.of(t.toArray(), t.shape())));
            return b.build();
        }
    }

    /**
     * Equal up to the last bits: a forward pass run before the JIT compiled the Vector API's exp may
     * differ from a later one in the last bit of a float (see the transformer module's tests).
     */
    private static void assertSame(String name, Tensor saved, Tensor expected) {
        assertThat(saved.shape()).as(name).isEqualTo(expected.shape());
        float[] a = saved.toArray(), e = expected.toArray();
        for (int i = 0; i < a.length; i++) {
            if (Float.isInfinite(e[i])) {
                assertThat(a[i]).as(name + "[" + i + "]").isEqualTo(e[i]);
            } else {
                assertThat(a[i]).as(name + "[" + i + "]").isCloseTo(e[i], org.assertj.core.data.Offset.offset(1e-5f * (1 + Math.abs(e[i]))));
            }
        }
    }

    @Test
    void savesOneNpyPerHookPointEqualToTheCachedActivation() throws Exception {
        Path dir = TestModels.newFolder("cache").resolve("acts");
        CommandRun run = CommandRun.of("cache", "--model", TestModels.induction().toString(), "--prompt", PROMPT, "--save", dir.toString());
        assertThat(run.status()).as(run.toString()).isZero();
        ActivationCache expected = expectedCache();
        try (Stream<Path> files = Files.list(dir)) {
            assertThat(files.map(p -> p.getFileName().toString()))
                    .containsExactlyInAnyOrderElementsOf(expected.names().stream().map(n -> n + ".npy").toList());
        }
        for (String name : expected.names()) {
            assertSame(name, Npy.readTensor(dir.resolve(name + ".npy")), expected.get(name));
        }
        // the listing: every hook point with its shape and norm
        assertThat(run.out()).contains("on 6 tokens: \"<|bos|>\" \" apple\" \" river\" \" stone\" \" apple\" \" river\"")
                .containsPattern("blocks\\.1\\.attn\\.hook_pattern\\s+\\[1, 4, 6, 6]\\s+\\d+\\.\\d{4}\\s+1\\.0000")
                .contains("blocks.0.attn.hook_attn_scores *")
                .contains(expected.size() + " hook points");
        double norm = expected.get("blocks.0.hook_resid_post").norm();
        assertThat(run.out()).containsPattern("blocks\\.0\\.hook_resid_post\\s+\\[1, 6, 64]\\s+" + String.format(java.util.Locale.ROOT, "%.4f", norm).replace(".", "\\."));
    }

    /** Before: a NaN activation printed norm 0 (its NaN entries were skipped as if they were the masked -inf). */
    @Test
    void countsNanAndInfinitiesInsteadOfPrintingAZeroNorm() throws Exception {
        Path dir = TestModels.newFolder("nan-weight");
        try (HookedTransformer m = dev.lens4j.transformer.loading.LensCheckpoint.load(TestModels.induction())) {
            java.util.Map<String, Tensor> sd = new java.util.LinkedHashMap<>();
            m.weights().stateDict().forEach((k, v) -> sd.put(k, v.copy()));
            sd.get("blocks.1.attn.W_V").set(Float.NaN, 0, 0, 0); // head 0's first value dimension, at every position
            dev.lens4j.transformer.loading.LensCheckpoint.save(m.config(),
                    dev.lens4j.transformer.TransformerWeights.fromStateDict(m.config(), sd, "test"), m.tokenizer(), dir);
        }
        CommandRun refused = CommandRun.of("cache", "--model", dir.toString(), "--prompt", PROMPT);
        assertThat(refused.status()).as(refused.toString()).isEqualTo(1);
        assertThat(refused.err()).startsWith("lens4j: " + dir.resolve("model.safetensors") + ": tensor \"blocks.1.attn.W_V\" "
                + "[4, 64, 16] holds NaN at [0, 0, 0] (flat index 0)");

        CommandRun run = CommandRun.of("cache", "--model", dir.toString(), "--prompt", PROMPT, "--no-processing",
                "--allow-non-finite-weights", "--names", "blocks\\.1\\.attn\\.hook_v|blocks\\.0\\.attn\\.hook_attn_scores");
        assertThat(run.status()).as(run.toString()).isZero();
        assertThat(run.out())
                .containsPattern("blocks\\.1\\.attn\\.hook_v \\*\\s+\\[1, 6, 4, 16]\\s+\\d+\\.\\d{4}\\s+\\d+\\.\\d{4}\\s+6 NaN\n")
                // 4 heads x 15 masked entries above the diagonal of a 6 x 6 pattern
                .containsPattern("blocks\\.0\\.attn\\.hook_attn_scores \\*\\s+\\[1, 4, 6, 6]\\s+\\d+\\.\\d{4}\\s+\\d+\\.\\d{4}\\s+60 -inf\n")
                .contains("NaN in 1 hook point, first blocks.1.attn.hook_v: the forward pass produced NaN");
    }

    /**
     * Before: the files written before the failure stayed. A file-size limit ({@code ulimit -f 16}, in KB)
     * makes writing fail part-way: the first activations of a 40-token prompt are 10 KB, its attention
     * scores 25 KB.
     */
    @Test
    void aSaveThatFailsPartWayWritesNoFileAndKeepsTheFolder() throws Exception {
        Path dir = TestModels.newFolder("save-fails").resolve("acts");
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("notes.txt"), "kept");
        Files.writeString(dir.resolve("hook_embed.npy"), "an older file of a name the command writes");
        String javaBin = ProcessHandle.current().info().command().orElse("java");
        String prompt = "apple river stone ".repeat(13).strip();
        Process p = new ProcessBuilder("bash", "-c", "ulimit -f 16 && exec \"$0\" \"$@\"", javaBin, "-XX:-UsePerfData",
                "--add-modules", "jdk.incubator.vector", "-cp", System.getProperty("java.class.path"), Main.class.getName(),
                "cache", "--model", TestModels.induction().toString(), "--prompt", prompt, "--save", dir.toString())
                .redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertThat(p.waitFor()).as(output).isEqualTo(1);
        assertThat(output).containsPattern("lens4j: --save " + java.util.regex.Pattern.quote(dir.toString())
                + ": writing blocks\\.\\d\\.attn\\.hook_attn_scores\\.npy failed \\(File too large\\); no file was written");
        try (Stream<Path> files = Files.list(dir)) {
            assertThat(files.map(f -> f.getFileName().toString())).containsExactlyInAnyOrder("notes.txt", "hook_embed.npy");
        }
        assertThat(Files.readString(dir.resolve("hook_embed.npy"))).isEqualTo("an older file of a name the command writes");
        try (Stream<Path> beside = Files.list(dir.getParent())) {
            assertThat(beside.map(f -> f.getFileName().toString())).as("no staged folder is left").containsExactly("acts");
        }

        // and one that succeeds replaces the file of the same name and keeps the other
        CommandRun run = CommandRun.of("cache", "--model", TestModels.induction().toString(), "--prompt", PROMPT,
                "--names", "hook_embed", "--save", dir.toString());
        assertThat(run.status()).as(run.toString()).isZero();
        try (Stream<Path> files = Files.list(dir)) {
            assertThat(files.map(f -> f.getFileName().toString())).containsExactlyInAnyOrder("notes.txt", "hook_embed.npy");
        }
        assertThat(Npy.read(dir.resolve("hook_embed.npy")).shape()).containsExactly(1, 6, 64);
    }

    @Test
    void savesOneSafetensorsFileNamedByHookPoint() throws Exception {
        Path dir = TestModels.newFolder("cache-st");
        CommandRun run = CommandRun.of("cache", "--model", TestModels.induction().toString(), "--prompt", PROMPT,
                "--names", "attn\\.hook_(z|pattern)", "--save", dir.toString(), "--format", "safetensors");
        assertThat(run.status()).as(run.toString()).isZero();
        ActivationCache expected = expectedCache();
        try (SafetensorsFile f = SafetensorsFile.open(dir.resolve(CacheCommand.SAFETENSORS_FILE))) {
            assertThat(f.names()).containsExactlyInAnyOrder("blocks.0.attn.hook_z", "blocks.0.attn.hook_pattern",
                    "blocks.1.attn.hook_z", "blocks.1.attn.hook_pattern");
            for (String name : f.names()) {
                assertSame(name, f.tensor(name), expected.get(name));
            }
            assertThat(f.metadata()).containsEntry("prompt", PROMPT).containsEntry("tokens", "[0, 1, 2, 3, 1, 2]");
        }
        assertThat(run.out()).contains("4 hook points");
    }

    @Test
    void aFilterThatMatchesNothingIsOneLine() {
        CommandRun run = CommandRun.of("cache", "--model", TestModels.induction().toString(), "--prompt", PROMPT, "--names", "nothing");
        assertThat(run.status()).isEqualTo(1);
        assertThat(run.errLines()).singleElement().asString().startsWith("lens4j: --names /nothing/ matches none");
    }
}
