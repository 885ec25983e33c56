package dev.lens4j.transformer;

import dev.lens4j.hooks.ActivationCache;
import dev.lens4j.tensor.Shapes;
import dev.lens4j.tensor.Tensor;
import dev.lens4j.tensor.io.SafetensorsFile;
import dev.lens4j.transformer.generation.GenerationConfig;
import dev.lens4j.transformer.generation.GenerationResult;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The forward pass against the independent PyTorch, TransformerLens-faithful reference of
 * {@code tools/reference} (float64, rounded to float32): every hook point, logits and loss, with raw
 * and processed weights; padded batches; KV-cached greedy generation. Prints the largest
 * difference per tensor, llm.c style.
 */
class ReferenceForwardTest {

    /** |a - b| <= TOL * max(1, |b|) elementwise; equal infinities match. */
    private static final float TOL = 1e-5f;

    @Test
    void rawWeightsMatchEveryHookLogitsAndLoss() throws Exception {
        try (HookedTransformer model = TinyGpt2.rawModel(TinyGpt2.config());
             SafetensorsFile ref = TinyGpt2.open("activations-raw.safetensors")) {
            compareAll("raw (mapped HF checkpoint)", model, ref);
        }
    }

    @Test
    void rawWeightsInTransformerLensLayoutGiveTheSameValues() throws Exception {
        TransformerConfig c = TinyGpt2.config();
        try (HookedTransformer model = HookedTransformer.of(c, TinyGpt2.fromTl("tl-weights-raw.safetensors", c), null, null);
             SafetensorsFile ref = TinyGpt2.open("activations-raw.safetensors")) {
            compareAll("raw (TL state dict on the heap)", model, ref);
        }
    }

    @Test
    void processedWeightsMatchEveryHookLogitsAndLoss() throws Exception {
        try (HookedTransformer model = TinyGpt2.processedModel(TinyGpt2.config());
             SafetensorsFile ref = TinyGpt2.open("activations-processed.safetensors")) {
            compareAll("processed (LNPre)", model, ref);
        }
    }

    private static void compareAll(String label, HookedTransformer model, SafetensorsFile ref) {
        int[][] tokens = TinyGpt2.ints(ref, "tokens");
        ForwardResult run = model.runWithCache(tokens);
        ActivationCache cache = run.cache();
        List<String> expectedNames = readHookNames();
        assertThat(cache.names()).as("hooks in TransformerLens firing order").containsExactlyElementsOf(expectedNames);
        System.out.println("tiny-gpt2 " + label + ": max |java - reference| per tensor");
        for (String name : expectedNames) {
            check(name, cache.get(name), TinyGpt2.read(ref, name));
        }
        check("logits", run.logits(), TinyGpt2.read(ref, "logits"));
        check("loss_per_token", model.perTokenLoss(tokens), TinyGpt2.read(ref, "loss_per_token"));
        float loss = model.loss(tokens);
        float refLoss = TinyGpt2.read(ref, "loss").item();
        System.out.printf("  %-36s %.3e%n", "loss", Math.abs(loss - refLoss));
        assertThat(Math.abs(loss - refLoss)).isLessThanOrEqualTo(TOL * Math.max(1f, Math.abs(refLoss)));
    }

    private static List<String> readHookNames() {
        try {
            return Files.readAllLines(TinyGpt2.DIR.resolve("hook_names.txt")).stream().filter(s -> !s.isBlank()).toList();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** Asserts closeness and prints the largest difference. */
    static void check(String name, Tensor actual, Tensor expected) {
        assertThat(actual.shape()).as(name + " shape").containsExactly(expected.shape());
        float[] a = actual.toArray();
        float[] b = expected.toArray();
        double maxDiff = 0;
        int worst = -1;
        for (int i = 0; i < a.length; i++) {
            if (a[i] == b[i]) {
                continue;
            }
            double diff = Math.abs((double) a[i] - b[i]);
            if (!(diff <= TOL * Math.max(1.0, Math.abs(b[i])))) {
                worst = i;
            }
            if (!(diff <= maxDiff)) {
                maxDiff = diff;
            }
        }
        System.out.printf("  %-36s %.3e%n", name, maxDiff);
        assertThat(worst).as(name + Shapes.str(expected.shape()) + ": element " + worst + " is "
                + (worst < 0 ? "" : a[worst] + ", reference " + b[worst])).isEqualTo(-1);
    }

    @Test
    void paddedBatchesMatchAtRealTokensLeftAndRight() throws Exception {
        try (HookedTransformer raw = TinyGpt2.rawModel(TinyGpt2.config());
             HookedTransformer processed = TinyGpt2.processedModel(TinyGpt2.config());
             SafetensorsFile ref = TinyGpt2.open("padded.safetensors")) {
            System.out.println("tiny-gpt2 padded batches: max |java - reference| at real tokens");
            for (String side : new String[] {"left", "right"}) {
                int[][] tokens = TinyGpt2.ints(ref, side + ".tokens");
                int[][] mask = TinyGpt2.ints(ref, side + ".attention_mask");
                ForwardOptions o = ForwardOptions.builder().attentionMask(mask).build();
                checkMasked(side + ".logits", raw.run(tokens, o).logits(), TinyGpt2.read(ref, side + ".logits"), mask);
                checkMasked(side + ".logits_processed", processed.run(tokens, o).logits(), TinyGpt2.read(ref, side + ".logits_processed"), mask);
            }
        }
    }

    private static void checkMasked(String name, Tensor actual, Tensor expected, int[][] mask) {
        float[] m = new float[actual.size()];
        int v = actual.dim(2);
        for (int b = 0; b < mask.length; b++) {
            for (int t = 0; t < mask[b].length; t++) {
                if (mask[b][t] == 1) {
                    java.util.Arrays.fill(m, (b * mask[b].length + t) * v, (b * mask[b].length + t + 1) * v, 1f);
                }
            }
        }
        Tensor mt = Tensor.of(m, actual.shape());
        check(name, actual.mul(mt), expected.mul(mt));
    }

    @Test
    void kvCachedGreedyGenerationMatchesTheReference() throws Exception {
        try (HookedTransformer model = TinyGpt2.rawModel(TinyGpt2.config());
             SafetensorsFile ref = TinyGpt2.open("generate.safetensors")) {
            int[] prompt = TinyGpt2.ints(ref, "prompt")[0];
            int[] expected = TinyGpt2.ints(ref, "tokens")[0];
            GenerationResult g = model.generate(prompt, GenerationConfig.builder()
                    .maxNewTokens(expected.length - prompt.length).keepLogits(true).build());
            assertThat(g.tokens()).containsExactly(expected);
            Tensor stepLogits = Tensor.stack(0, g.stepLogits().toArray(new Tensor[0]));
            System.out.println("tiny-gpt2 KV-cached greedy generation");
            check("step_logits", stepLogits, TinyGpt2.read(ref, "step_logits"));
        }
    }
}
