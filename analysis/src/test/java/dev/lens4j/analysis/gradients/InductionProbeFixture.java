package dev.lens4j.analysis.gradients;

import dev.lens4j.analysis.heads.RepeatedTokens;
import dev.lens4j.transformer.HookedTransformer;
import dev.lens4j.transformer.LogitMetric;
import dev.lens4j.transformer.loading.Models;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * The task the gradient tests differentiate, loaded once per test class: the shipped induction model,
 * its repeated-token probe (BOS + A + A) as the clean input, the probe with its first copy redrawn as
 * the corrupted one, and the mean log-probability of the repeated half as the metric. A subclass's own
 * {@code @BeforeAll} runs after this one's.
 */
abstract class InductionProbeFixture {

    static HookedTransformer model;
    static RepeatedTokens probe;
    static int[][] clean, corrupted;
    static LogitMetric metric;

    @BeforeAll
    static void loadModelAndProbe() throws Exception {
        model = Models.fromPretrained("induction-2l");
        probe = RepeatedTokens.forModel(model);
        clean = probe.tokens();
        corrupted = probe.corruptedTokens();
        metric = LogitMetrics.logProb(clean, probe.repeatedLossFrom(), probe.repeatedLossTo());
    }

    @AfterAll
    static void closeModel() {
        model.close();
    }
}
