package dev.lens4j.app;

import dev.lens4j.report.LessonConsole;
import dev.lens4j.report.LessonData;
import dev.lens4j.report.LessonReport;
import dev.lens4j.transformer.HookedTransformer;
import dev.lens4j.transformer.loading.Models;
import dev.lens4j.transformer.train.LessonRecipes;
import dev.lens4j.transformer.train.TextCorpus;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code lens4j lesson}: the lesson on lens4j's models of English ({@code english-1l}, {@code english-2l},
 * trained by lens4j on text from the World English Bible): the baselines, the direct path against the
 * corpus' bigrams, the skip-trigrams of the one-layer model's heads with the places they fire and the
 * same-layer bug, then the induction investigation on the two-layer model ({@link LessonData}); with {@code --out DIR}
 * also as an HTML page ({@link LessonReport}). With {@code --train NAME --out DIR}
 * it retrains one of the models instead, bit for bit ({@link LessonRecipes}).
 */
@Command(name = "lesson", mixinStandardHelpOptions = true,
        description = {"The lesson on lens4j's models of English: unigram and bigram baselines, the direct path "
                + "(W_E W_U through the final norm) against the corpus' bigrams, skip-trigrams of the 1-layer model's "
                + "heads (QK and OV) and where they fire in held-out text, the same-layer bug, and the induction "
                + "investigation on the 2-layer model.",
                "With --out DIR: also write the lesson as one self-contained offline HTML page, DIR/lesson.html.",
                "With --train english-1l|english-2l --out DIR: retrain that model bit for bit."})
final class LessonCommand implements Callable<Integer> {

    /** The page {@code --out DIR} writes without {@code --train}. */
    static final String PAGE = "lesson.html";

    @Spec
    CommandSpec spec;

    @Mixin
    ThreadsOption.ForTraining threads;

    @Option(names = "--train", paramLabel = "NAME", description = "retrain english-1l or english-2l instead of the lesson")
    String train;

    @Option(names = "--out", paramLabel = "DIR", description = "the folder to write the lesson's self-contained HTML page (lesson.html) into; with --train: the checkpoint")
    Path out;

    @Override
    public Integer call() throws Exception {
        threads.validate();
        return threads.run(train != null ? this::retrain : this::lesson);
    }

    private Integer retrain() throws Exception {
        PrintWriter o = spec.commandLine().getOut();
        if (!LessonRecipes.names().contains(train)) {
            throw new ParameterException(spec.commandLine(), "--train " + train + ": there are " + LessonRecipes.names());
        }
        if (out == null) {
            throw new ParameterException(spec.commandLine(), "--train needs --out DIR");
        }
        OutputFolder.prepare("--out", out, "the checkpoint");
        LessonRecipes.Recipe recipe = LessonRecipes.recipe(train);
        long start = System.nanoTime();
        o.printf(Locale.ROOT, "Training the tokenizer (%d tokens) on the corpus' training text...%n", recipe.vocabSize());
        o.flush();
        LessonRecipes.Prepared data = LessonRecipes.prepare(TextCorpus.web(), recipe.vocabSize());
        LessonRecipes.Run run = LessonRecipes.start(recipe, data);
        o.printf(Locale.ROOT, "Training %s: %d steps of %d sequences of %d tokens (%d training tokens)%n", recipe.name(),
                recipe.options().steps(), recipe.options().batchSize(), recipe.options().nCtx(), data.train().length);
        o.flush();
        run.trainer().train(p -> {
            if (p.step() % 100 == 0) {
                o.printf(Locale.ROOT, "  step %d/%d  loss %.3f  %.1f s%n", p.step(), p.totalSteps(), p.smoothedOtherLoss(), p.elapsedSeconds());
                o.flush();
            }
        }, Double.NEGATIVE_INFINITY);
        run.writeCheckpoint(out);
        o.printf(Locale.ROOT, "Written %s (held-out loss %.4f) in %.0f s%n", out.toAbsolutePath().normalize(),
                run.evaluateHeldOut().loss(), (System.nanoTime() - start) / 1e9);
        return 0;
    }

    private Integer lesson() throws Exception {
        PrintWriter o = spec.commandLine().getOut();
        if (out != null) {
            OutputFolder.prepare("--out", out, "the lesson's page");
        }
        LessonData data;
        try (HookedTransformer m1 = Models.fromPretrained("english-1l"); HookedTransformer m2 = Models.fromPretrained("english-2l")) {
            StageProgress progress = StageProgress.on(spec.commandLine().getErr());
            try {
                data = LessonData.measure(m1, m2, progress);
            } finally {
                progress.finishLine();
            }
        }
        o.print(LessonConsole.render(data));
        if (out != null) {
            Path file = out.resolve(PAGE);
            LessonReport.write(data, file);
            o.println("Written " + file.toAbsolutePath().normalize());
        }
        o.flush();
        return 0;
    }
}
