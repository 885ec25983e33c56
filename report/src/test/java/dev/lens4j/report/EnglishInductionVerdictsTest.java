package dev.lens4j.report;

import dev.lens4j.analysis.interventions.Ablation;
import dev.lens4j.hooks.HookHandle;
import dev.lens4j.hooks.HookSpec;
import dev.lens4j.transformer.HookedTransformer;
import dev.lens4j.transformer.loading.Models;
import dev.lens4j.transformer.train.CorpusData;
import dev.lens4j.transformer.train.LessonRecipes;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.InputStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The main job's claims on the models of English, as {@code lens4j lesson} shows them: on
 * {@code english-2l} every claim is supported, with the same bars a perfect mechanism reaches
 * ({@code InductionVerdictsTest}); on models that lack the structure (the one-layer {@code english-1l},
 * the recipe's architecture before training, {@code english-2l} with its induction heads ablated) none
 * about it is.
 */
class EnglishInductionVerdictsTest {

    private static final Verdict S = Verdict.SUPPORTED;
    private static final Verdict N = Verdict.NOT_SUPPORTED;
    private static final Verdict A = Verdict.NOT_APPLICABLE;

    static HookedTransformer shipped;

    @BeforeAll
    static void load() throws Exception {
        shipped = Models.fromPretrained("english-2l");
    }

    @AfterAll
    static void close() {
        shipped.close();
    }

    static ReportData run(HookedTransformer model) {
        return InductionInvestigation.run(model, model.config().modelName(),
                InductionInvestigation.Options.defaultsFor(model.config()), InductionInvestigation.Progress.none());
    }

    static List<Verdict> inOrder(ReportData r) {
        return r.claims().stream().map(Claim::verdict).toList();
    }

    @Test
    void english2lSupportsEveryClaim() {
        ReportData r = run(shipped);
        assertThat(r.claims()).hasSize(10).allSatisfy(c -> assertThat(c.verdict()).as(c.statement() + ": " + c.numbers()).isEqualTo(S));
        assertThat(r.claims().get(0).statement()).isEqualTo("L0H1 is a previous-token head");
        assertThat(r.claims().get(1).statement()).isEqualTo("L1H0, L1H1 attend like induction heads");
        // a perfect previous-token or induction head scores 1; these come close
        assertThat(r.headScores().previousToken()[0][1]).isGreaterThan(0.6);
        assertThat(r.headScores().induction()[1][0]).isGreaterThan(0.9);
        assertThat(r.headScores().induction()[1][1]).isGreaterThan(0.9);
    }

    /**
     * With its two induction heads zero-ablated by a permanent hook, english-2l's patterns still look like
     * induction (the clues stay supported), but nothing they attend to reaches the logits: every claim about
     * what they do is "not supported", and the weight-level claims "not applicable".
     */
    @Test
    void english2lWithItsInductionHeadsAblatedSupportsNothingAboutThem() {
        HookSpec ablation = Ablation.heads(1, 0, 1).zero();
        try (HookHandle _ = shipped.hooks().addPermanent(ablation.name(), ablation.hook())) {
            ReportData r = run(shipped);
            assertThat(inOrder(r)).as("%s", r.claims()).containsExactly(S, S, N, N, N, N, N, A, A, A);
        }
        assertThat(shipped.hooks().isEmpty()).isTrue();
    }

    /** One layer cannot hold the circuit: no previous-token head, no induction candidate, no fall in loss. */
    @Test
    void english1lSupportsNothing() throws Exception {
        try (HookedTransformer m = Models.fromPretrained("english-1l")) {
            ReportData r = run(m);
            assertThat(inOrder(r)).as("%s", r.claims()).containsExactly(N, A, N, A, A, A, A, A, A, A);
        }
    }

    @Test
    void theUntrainedEnglishArchitectureSupportsNothing(@TempDir Path dir) throws Exception {
        LessonRecipes.Recipe recipe = LessonRecipes.recipe("english-2l");
        int ctx = recipe.options().nCtx();
        byte[] tokenizer;
        try (InputStream in = EnglishInductionVerdictsTest.class.getResourceAsStream("/dev/lens4j/transformer/models/english-2l/tokenizer.json")) {
            tokenizer = in.readAllBytes();
        }
        recipe.trainer(new CorpusData(new int[ctx], 2047, ctx)).writeCheckpoint(dir, Map.of(LessonRecipes.TOKENIZER_FILE, tokenizer), null);
        try (HookedTransformer untrained = Models.fromPretrained(dir)) {
            ReportData r = run(untrained);
            assertThat(inOrder(r)).as("%s", r.claims()).containsExactly(N, N, N, A, A, A, A, A, A, A);
        }
    }
}
