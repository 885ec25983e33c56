package dev.lens4j.transformer.train;

import dev.lens4j.transformer.Normalization;
import dev.lens4j.transformer.Activation;
import dev.lens4j.transformer.TransformerConfig;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Finite-difference checks of every parameter group's gradient, on tiny models of each supported
 * architecture (attention-only or with MLP, with or without LayerNorm), in float32.
 *
 * <p>For each group (embed.W_E, blocks.0.attn.W_QKV, ...) up to 24 entries are perturbed by +-h and the
 * central difference {@code (loss(p + h) - loss(p - h)) / 2h} is compared with the analytic gradient; the
 * check is on the whole vector of checked entries: {@code |fd - grad| / max(|fd|, |grad|) < 1e-2}.
 */
class GradientCheckTest {

    private static final float H = 1e-2f;

    @ParameterizedTest(name = "{0}, mlp={1}")
    @CsvSource({"LN, 0", "none, 0", "LN, 12", "none, 12"})
    void everyParameterGroupMatchesFiniteDifferences(String norm, int dMlp) {
        int B = 2, T = 7, V = 11;
        TransformerConfig cfg = TransformerConfig.builder().nLayers(2).dModel(8).nHeads(2).dHead(4).attnOnly(dMlp == 0).dMlp(dMlp).nCtx(9).dVocab(V).actFn(Activation.fromTlName("gelu_new")).normalization(Normalization.fromTlName(norm.equals("none") ? null : norm)).modelName("tiny").build();
        SplittableRandom rng = new SplittableRandom(42);
        ParameterLayout layout = new ParameterLayout(cfg);
        float[] params = new float[layout.total()];
        for (ParameterLayout.Entry e : layout.entries()) {
            // Random everything, LayerNorm weights around 1, so that every bias and gain matters.
            boolean gain = e.name().endsWith(".w");
            for (int i = 0; i < e.size(); i++) {
                params[e.offset() + i] = (float) ((gain ? 1 : 0) + 0.4 * TrainableTransformer.gaussian(rng));
            }
        }
        int[] tokens = new int[B * T];
        int[] targets = new int[B * T];
        for (int i = 0; i < B * T; i++) {
            tokens[i] = rng.nextInt(V);
        }
        for (int i = 0; i < B * T; i++) {
            targets[i] = i % T == T - 1 || i == 3 ? -1 : tokens[i + 1]; // -1: last position, and one ignored row
        }
        TrainableTransformer model = new TrainableTransformer(cfg, B, T, params);
        double loss0 = model.forward(tokens, targets);
        assertThat(loss0).isBetween(0.5, 10.0);
        model.backward();
        float[] grads = model.grads.clone();

        List<String> report = new ArrayList<>();
        for (ParameterLayout.Entry e : layout.entries()) {
            int n = Math.min(24, e.size());
            double diff2 = 0, fd2 = 0, an2 = 0;
            for (int k = 0; k < n; k++) {
                int i = e.offset() + (int) ((long) k * e.size() / n);
                float old = model.params[i];
                model.params[i] = old + H;
                double plus = model.forward(tokens, targets);
                model.params[i] = old - H;
                double minus = model.forward(tokens, targets);
                model.params[i] = old;
                double fd = (plus - minus) / (2 * H);
                diff2 += (fd - grads[i]) * (fd - grads[i]);
                fd2 += fd * fd;
                an2 += (double) grads[i] * grads[i];
            }
            double rel = Math.sqrt(diff2) / Math.max(1e-9, Math.max(Math.sqrt(fd2), Math.sqrt(an2)));
            report.add(String.format("%-22s |grad| %.3e rel.err %.2e", e.name(), Math.sqrt(an2), rel));
            assertThat(Math.sqrt(an2)).as("gradient of %s must not vanish", e.name()).isGreaterThan(1e-4);
            assertThat(rel).as("%s: finite differences vs backward pass%n%s", e.name(), String.join("\n", report))
                    .isLessThan(1e-2);
        }
        System.out.println(norm + " mlp=" + dMlp + "\n" + String.join("\n", report));
    }
}
