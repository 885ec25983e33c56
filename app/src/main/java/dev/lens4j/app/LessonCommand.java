package dev.lens4j.app;

import dev.lens4j.analysis.text.DirectPath;
import dev.lens4j.analysis.text.EnglishLesson;
import dev.lens4j.analysis.text.NgramStatistics;
import dev.lens4j.analysis.text.SkipTrigrams;
import dev.lens4j.analysis.text.TokenCircuits;
import dev.lens4j.report.ConsoleReport;
import dev.lens4j.report.InductionInvestigation;
import dev.lens4j.report.ReportData;
import dev.lens4j.tensor.Tensor;
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
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code lens4j lesson}: the lesson on lens4j's models of English ({@code english-1l}, {@code english-2l},
 * trained by lens4j on text from the World English Bible): the baselines, the direct path against the
 * corpus' bigrams, the skip-trigrams of the one-layer model's heads with the places they fire and the
 * same-layer bug, then the induction investigation on the two-layer model. With {@code --train NAME --out DIR}
 * it retrains one of the models instead, bit for bit ({@link LessonRecipes}).
 */
@Command(name = "lesson", mixinStandardHelpOptions = true,
        description = {"The lesson on lens4j's models of English: unigram and bigram baselines, the direct path "
                + "(W_E W_U through the final norm) against the corpus' bigrams, skip-trigrams of the 1-layer model's "
                + "heads (QK and OV) and where they fire in held-out text, the same-layer bug, and the induction "
                + "investigation on the 2-layer model.",
                "With --train english-1l|english-2l --out DIR: retrain that model bit for bit."})
final class LessonCommand implements Callable<Integer> {

    /** Held-out windows measured (of n_ctx tokens each). */
    private static final int WINDOWS = 64;
    /** Common tokens shown in the direct-path table. */
    private static final int SHOWN = 10;
    /** Most frequent tokens whose direct path is correlated with the bigrams, and the skip-trigram candidates. */
    private static final int COMMON = 300;

    @Spec
    CommandSpec spec;

    @Mixin
    ThreadsOption.ForTraining threads;

    @Option(names = "--train", paramLabel = "NAME", description = "retrain english-1l or english-2l instead of the lesson")
    String train;

    @Option(names = "--out", paramLabel = "DIR", description = "with --train: the folder to write the checkpoint into")
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
        try (HookedTransformer m1 = Models.fromPretrained("english-1l"); HookedTransformer m2 = Models.fromPretrained("english-2l")) {
            EnglishLesson lesson = EnglishLesson.ofShippedCorpus(m1);
            TextCorpus corpus = lesson.corpus();
            NgramStatistics stats = lesson.stats();
            int bos = lesson.bos();
            int pos = m1.config().nCtx();
            int[][] rows = lesson.heldOut(WINDOWS);
            int[][] all = lesson.heldOut();

            o.println("== 1. Data and baselines ==");
            o.printf(Locale.ROOT, "Corpus: text from the World English Bible (public domain), %d chapters; every %dth held out.%n",
                    corpus.documents().size(), TextCorpus.HELD_OUT_EVERY);
            o.printf(Locale.ROOT, "Tokens: %,d training, %,d held-out (byte-level BPE of %d tokens trained by lens4j).%n",
                    lesson.trainTokens().length, lesson.heldOutTokens().length, m1.config().dVocab());
            o.printf(Locale.ROOT, "Held-out loss (nats/token, %d windows of %d tokens):%n", all.length, pos - 1);
            o.printf(Locale.ROOT, "  unigram model  %.3f%n  bigram model   %.3f%n  english-1l     %.3f%n  english-2l     %.3f%n%n",
                    stats.unigramLoss(all), stats.bigramLoss(all, bos), EnglishLesson.loss(m1, all), EnglishLesson.loss(m2, all));

            o.println("== 2. The direct path of english-1l (W_E -> final norm -> W_U) ==");
            Tensor direct = DirectPath.logits(m1.config(), m1.weights());
            DirectPath.Comparison all300 = DirectPath.compare(direct, stats, stats.mostFrequent(COMMON, bos), 5, bos);
            DirectPath.Comparison shown = DirectPath.compare(direct, stats, stats.mostFrequent(SHOWN, bos), 5, bos);
            for (DirectPath.Row r : shown.rows()) {
                o.printf(Locale.ROOT, "  after %-10s direct path: %-45s corpus: %-45s r=%.2f%n", q(m1, r.token()),
                        list(m1, r.direct()), list(m1, r.bigram()), r.correlation());
            }
            o.printf(Locale.ROOT, "Over the %d most frequent tokens: mean correlation of the direct path's logits with the bigram "
                    + "log-probabilities %.3f; top-1 agrees with the corpus' most frequent next token for %.0f%%.%n",
                    all300.rows().size(), all300.meanCorrelation(), 100 * all300.top1Agreement());
            double[] shares = lesson.directLogitShares(m1, WINDOWS);
            o.printf(Locale.ROOT, "DLA of the correct next token on %d held-out windows (mean logit above the mean logit): "
                    + "embed %.3f, pos_embed %.3f, attention %.3f; the direct path's share %.0f%%.%n%n",
                    rows.length, shares[0], shares[1], shares[2], 100 * shares[0] / (shares[0] + shares[1] + shares[2]));

            o.println("== 3. Skip-trigrams of english-1l's heads (full QK and OV circuits between tokens) ==");
            EnglishLesson.SkipTrigramScan scan = lesson.skipTrigrams(m1, COMMON, 3, 0.3f, 1f);
            TokenCircuits circuits = scan.circuits();
            int[] candidates = stats.mostFrequent(COMMON, bos);
            for (SkipTrigrams.Triple t : scan.triples()) {
                o.printf(Locale.ROOT, "  head %d: %-10s ... %-10s -> %-10s QK %.2f  OV %.2f%n", t.head(), q(m1, t.source()), q(m1, t.dest()),
                        q(m1, t.out()), t.qk(), t.ov());
            }
            int[][] many = all;
            List<SkipTrigrams.Firing> firings = scan.firings();
            o.printf(Locale.ROOT, "They fire (attention >= 0.3 on the source) %d times in the held-out text; examples:%n", firings.size());
            int shownFirings = 0;
            for (SkipTrigrams.Firing f : firings) {
                if (f.next() == f.out() && shownFirings < 5) {
                    o.printf(Locale.ROOT, "  head %d attends %.2f to %s, adds %+.2f to %s's logit, and the text goes on with it: %s%n",
                            f.head(), f.attention(), q(m1, many[f.sequence()][f.sourcePos()]), f.headLogit(), q(m1, f.out()),
                            snippet(m1, many[f.sequence()], f.sourcePos(), f.destPos()));
                    shownFirings++;
                }
            }
            List<SkipTrigrams.Firing> bugs = scan.bugs();
            o.println();
            o.println("The same-layer bug: the head attends to the source and its OV makes its completion the model's top "
                    + "prediction, but the words in between make the text go on otherwise.");
            if (bugs.isEmpty()) {
                o.println("  not found in the held-out text with these triples");
            }
            for (SkipTrigrams.Firing f : bugs.subList(0, Math.min(3, bugs.size()))) {
                int src = many[f.sequence()][f.sourcePos()], dest = many[f.sequence()][f.destPos()];
                o.printf(Locale.ROOT, "  %s%n    predicted %s, text has %s; head %d: QK(dest %s, source %s) = %.2f above the mean source, "
                                + "attention %.2f; OV(source %s -> %s) = %.2f above the mean logit; the head adds %+.2f to %s%n",
                        snippet(m1, many[f.sequence()], f.sourcePos(), f.destPos() + 1), q(m1, f.predicted()), q(m1, f.next()), f.head(),
                        q(m1, dest), q(m1, src), centred(circuits.qk(f.head()), dest, src, candidates), f.attention(), q(m1, src),
                        q(m1, f.out()), centred(circuits.ov(f.head()), src, f.out(), candidates), f.headLogit(), q(m1, f.out()));
            }
            o.println();

            o.println("== 4. Induction on english-2l ==");
            double[] passage = lesson.repeatedPassageLosses(m2, 64);
            o.printf(Locale.ROOT, "Repeated held-out passages (%d tokens, then the same again): loss %.3f on the first copy, "
                    + "%.3f on the second.%n", (pos - 1) / 2, passage[0], passage[1]);
            o.flush();
            ReportData data = InductionInvestigation.run(m2, "english-2l", InductionInvestigation.Options.defaultsFor(m2.config()),
                    InductionInvestigation.Progress.none());
            o.print(ConsoleReport.render(data));
            o.flush();
        }
        return 0;
    }

    private static float centred(Tensor m, int row, int col, int[] over) {
        double mean = 0;
        for (int c : over) {
            mean += m.get(row, c);
        }
        return (float) (m.get(row, col) - mean / over.length);
    }

    private static String q(HookedTransformer m, int token) {
        return "'" + m.toStrTokens(new int[] {token}).get(0).replace("\n", "\\n") + "'";
    }

    private static String list(HookedTransformer m, int[] tokens) {
        StringBuilder b = new StringBuilder();
        for (int t : tokens) {
            b.append(b.isEmpty() ? "" : " ").append(q(m, t));
        }
        return b.toString();
    }

    /** The text from a few tokens before {@code from} to {@code to}, with the source and the destination bracketed. */
    private static String snippet(HookedTransformer m, int[] row, int from, int to) {
        StringBuilder b = new StringBuilder("\"");
        for (int t = Math.max(1, from - 3); t <= Math.min(row.length - 1, to); t++) {
            String s = m.toStrTokens(new int[] {row[t]}).get(0).replace("\n", "\\n");
            b.append(t == from ? "[" + s + "]" : s);
        }
        return b.append("\"").toString();
    }
}
