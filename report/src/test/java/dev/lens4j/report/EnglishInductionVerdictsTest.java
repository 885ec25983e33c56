package dev.lens4j.report;

import dev.lens4j.transformer.HookedTransformer;
import dev.lens4j.transformer.loading.Models;
import dev.lens4j.transformer.train.CorpusData;
import dev.lens4j.transformer.train.InductionTrainer;
import dev.lens4j.transformer.train.LessonRecipes;
import dev.lens4j.transformer.train.Trainer;
import dev.lens4j.transformer.train.TrainingOptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.InputStream;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The main job's claims on the two-layer model of English, as {@code lens4j lesson} shows them: the
 * verdicts follow the evidence on a model of natural text too, and the recipe's architecture before
 * training supports nothing.
 */
class EnglishInductionVerdictsTest {

    private static final Verdict N = Verdict.NOT_SUPPORTED;
    private static final Verdict A = Verdict.NOT_APPLICABLE;

    static ReportData run(HookedTransformer model) {
        return InductionInvestigation.run(model, model.config().modelName(),
                InductionInvestigation.Options.defaultsFor(model.config()), InductionInvestigation.Progress.none());
    }

    @Test
    void theUntrainedEnglishArchitectureSupportsNothing(@TempDir Path dir) throws Exception {
        TrainingOptions o = LessonRecipes.recipe("english-2l").options();
        byte[] tokenizer;
        try (InputStream in = EnglishInductionVerdictsTest.class.getResourceAsStream("/dev/lens4j/transformer/models/english-2l/tokenizer.json")) {
            tokenizer = in.readAllBytes();
        }
        new Trainer(o, InductionTrainer.config(o, LessonRecipes.VOCAB_SIZE), new CorpusData(new int[o.nCtx()], 2047, o.nCtx()))
                .writeCheckpoint(dir, Map.of(LessonRecipes.TOKENIZER_FILE, tokenizer), null);
        try (HookedTransformer untrained = Models.fromPretrained(dir)) {
            ReportData r = run(untrained);
            assertThat(r.claims().stream().map(Claim::verdict).toList()).as("%s", r.claims())
                    .containsExactly(N, N, N, A, A, A, A, A, A, A); // the EAP-IG claim (merge attrib) is the tenth
        }
    }
}
