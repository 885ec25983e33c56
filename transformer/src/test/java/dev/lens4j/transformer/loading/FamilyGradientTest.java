package dev.lens4j.transformer.loading;

import dev.lens4j.hooks.ActivationCache;
import dev.lens4j.tensor.Tensor;
import dev.lens4j.tensor.io.SafetensorsFile;
import dev.lens4j.transformer.ForwardOptions;
import dev.lens4j.transformer.ForwardResult;
import dev.lens4j.transformer.HookedTransformer;
import dev.lens4j.transformer.LogitMetric;
import dev.lens4j.transformer.ReferenceChecks;
import dev.lens4j.transformer.TransformerConfig;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The backward pass of every family against TransformerLens 2.18's {@code run_with_cache(incl_bwd=True)}
 * (torch autograd) on the loss: the gradient at every hook point ({@code <name>_grad}), raw and
 * processed, with split Q/K/V inputs as the fixtures were recorded (see
 * {@code reference/families/README.md}), within {@code 1e-4} of each tensor's largest value plus
 * {@code 1e-6} (gradients of a mean loss are far below 1, where the forward tests' floor of 1e-5
 * would say little; the 1e-6 covers gradients that are zero but for rounding).
 */
class FamilyGradientTest {

    @ParameterizedTest(name = "{0} {1}")
    @CsvSource({"gpt2, raw", "gpt2, processed", "gpt_neox, raw", "gpt_neox, processed", "llama, raw", "llama, processed",
            "llama-untied, raw", "mistral, raw", "mistral, processed", "qwen2, raw", "qwen2, processed", "qwen3, raw",
            "qwen3, processed", "gemma, raw", "gemma, processed", "gemma2, raw", "gemma2, processed", "phi3, raw", "phi3, processed"})
    void everyHookGradientMatchesTransformerLens(String family, String kind) throws IOException {
        Path dir = FamilyReferenceTest.ROOT.resolve(family);
        Path refFile = dir.resolve("tl-" + kind + "-grad.safetensors");
        if (!Files.exists(refFile)) {
            return;
        }
        LoadOptions options = kind.equals("raw") ? LoadOptions.noProcessing() : LoadOptions.defaults();
        try (LoadedCheckpoint c = HfCheckpoint.read(dir.resolve("hf"), options);
             SafetensorsFile ref = SafetensorsFile.open(refFile)) {
            TransformerConfig cfg = c.config().withHookSwitches(true, true, true, false);
            try (HookedTransformer model = HookedTransformer.of(cfg, c.weights(), null, c.owner())) {
                int[][] tokens = ReferenceChecks.ints(ref, "tokens");
                ForwardResult r = model.run(tokens, ForwardOptions.builder().cache(n -> true)
                        .backward(LogitMetric.meanLoss(tokens)).build());
                ReferenceChecks.check(family + " " + kind + " loss", Tensor.scalar((float) r.metric()), ReferenceChecks.read(ref, "loss"));
                ActivationCache cache = r.cache();
                List<String> expected = new ArrayList<>();
                for (String n : ref.names()) {
                    if (n.endsWith("_grad")) {
                        expected.add(n);
                    }
                }
                List<String> ours = new ArrayList<>();
                for (String n : cache.names()) {
                    if (n.endsWith("_grad")) {
                        ours.add(n);
                    }
                }
                assertThat(ours).as(family + " " + kind + ": gradient keys").containsExactlyInAnyOrderElementsOf(expected);
                for (String n : expected) {
                    ReferenceChecks.checkScaled(family + " " + kind + " " + n, cache.get(n), ReferenceChecks.read(ref, n), 1e-4, 1e-6);
                }
            }
        }
    }
}
