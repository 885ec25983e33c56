package dev.lens4j.transformer;

import dev.lens4j.hooks.ActivationCache;
import dev.lens4j.tensor.Shapes;
import dev.lens4j.tensor.Tensor;
import dev.lens4j.tensor.io.SafetensorsFile;
import dev.lens4j.transformer.generation.GenerationConfig;
import dev.lens4j.transformer.generation.GenerationResult;
import dev.lens4j.transformer.loading.Models;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The forward pass against the independent PyTorch, TransformerLens-faithful reference of
 * {@code tools/reference} (float64, rounded to float32): every hook point, logits and loss, with raw
 * and processed weights; F16 and BF16 checkpoints; padded batches; KV-cached greedy generation.
 * Prints the largest absolute and relative difference per tensor, llm.c style.
 *
 * <p>The check, elementwise ({@link #check}): {@code |java - ref| <= REL * max(|ref|, FLOOR)}, equal
 * infinities match. That is <b>relative 1e-5</b> wherever {@code |ref| >= FLOOR = 1}, and below that
 * an <b>absolute floor of 1e-5</b> ({@code REL * FLOOR}).
 *
 * <p>Why a floor: Java computes in float32, the reference in float64. Every activation here is a sum
 * of products of numbers of order 1 (embeddings, weights, LayerNorm outputs of unit variance), so it
 * carries an absolute rounding error of the size of its terms' (one float32 ulp of 1 is 1.2e-7; after
 * a few dot products of length 32 to 128 and two layers, a few e-6), however small the value itself
 * is. A value near zero reached by cancellation, such as a logit of 1e-3, cannot be relative 1e-5
 * (1e-8, below one ulp of its terms); its error is bounded by the scale of its terms, 1. Measured on
 * these fixtures: the largest absolute difference is 6.4e-6 (BF16 logits; 4.3e-6 with the F32
 * weights), the largest relative difference where {@code |ref| >= 1} is 3.4e-6. A purely relative
 * check does not hold at smaller magnitudes (relative differences reach 1e-3 where
 * {@code 1e-3 < |ref| < 1e-2}, while the absolute ones there stay below 4.3e-6), so none is asserted.
 */
class ReferenceForwardTest {

    /** Relative tolerance, for {@code |ref| >= FLOOR}. */
    private static final double REL = 1e-5;

    /** The magnitude of the terms every value is a sum of; below it the tolerance is absolute, {@code REL * FLOOR}. */
    private static final double FLOOR = 1.0;

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
        check("loss", Tensor.scalar(model.loss(tokens)), TinyGpt2.read(ref, "loss"));
    }

    private static List<String> readHookNames() {
        try {
            return Files.readAllLines(TinyGpt2.DIR.resolve("hook_names.txt")).stream().filter(s -> !s.isBlank()).toList();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /**
     * Asserts {@code |actual - expected| <= REL * max(|expected|, FLOOR)} elementwise (equal values,
     * infinities included, match) and prints the largest absolute difference and the largest relative
     * one where {@code |expected| >= FLOOR}.
     */
    static void check(String name, Tensor actual, Tensor expected) {
        ReferenceChecks.check(name, actual, expected);
    }

    @Test
    void f16AndBf16CheckpointsMatchTheirReferenceRawAndProcessed() throws Exception {
        Tensor f32Logits;
        try (SafetensorsFile f32 = TinyGpt2.open("activations-raw.safetensors")) {
            f32Logits = TinyGpt2.read(f32, "logits");
        }
        for (String dtype : List.of("f16", "bf16")) {
            java.nio.file.Path dir = TinyGpt2.DIR.resolve("hf-" + dtype);
            try (SafetensorsFile ref = TinyGpt2.open("logits-" + dtype + ".safetensors");
                 HookedTransformer raw = Models.fromPretrainedNoProcessing(dir);
                 HookedTransformer processed = Models.fromPretrained(dir)) {
                int[][] tokens = TinyGpt2.ints(ref, "tokens");
                System.out.println("tiny-gpt2 " + dtype.toUpperCase(java.util.Locale.ROOT) + " checkpoint (weights rounded, computed in float32)");
                Tensor logits = raw.forward(tokens);
                check("logits", logits, TinyGpt2.read(ref, "logits"));
                check("loss_per_token", raw.perTokenLoss(tokens), TinyGpt2.read(ref, "loss_per_token"));
                check("loss", Tensor.scalar(raw.loss(tokens)), TinyGpt2.read(ref, "loss"));
                check("logits_processed", processed.forward(tokens), TinyGpt2.read(ref, "logits_processed"));
                check("loss_per_token_processed", processed.perTokenLoss(tokens), TinyGpt2.read(ref, "loss_per_token_processed"));
                check("loss_processed", Tensor.scalar(processed.loss(tokens)), TinyGpt2.read(ref, "loss_processed"));
                // the rounding is really there: these logits are not the float32 checkpoint's
                assertThat(logits.allClose(f32Logits, 1e-3f, 1e-3f)).as(dtype + " logits differ from F32 ones").isFalse();
            }
        }
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
