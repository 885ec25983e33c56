package dev.lens4j.report;

import dev.lens4j.analysis.text.DirectPath;
import dev.lens4j.analysis.text.EnglishLesson;
import dev.lens4j.analysis.text.NaturalTextInduction;
import dev.lens4j.analysis.text.NgramStatistics;
import dev.lens4j.analysis.text.SkipTrigrams;
import dev.lens4j.analysis.text.TokenCircuits;
import dev.lens4j.tensor.Tensor;
import dev.lens4j.transformer.HookedTransformer;
import dev.lens4j.transformer.train.TextCorpus;

import java.util.ArrayList;
import java.util.List;

/**
 * The numbers of {@code lens4j lesson}, measured once from {@link EnglishLesson}'s results: what the
 * console output ({@link LessonConsole}) and the HTML page ({@link LessonReport}) both show. Tokens are
 * kept as the text they decode to, with a newline shown as {@code \n}.
 *
 * @param baselines the data and the baseline losses
 * @param directPath the direct path of the one-layer model against the corpus' bigrams, and its logit share
 * @param skipTrigrams the one-layer model's skip-trigrams, where they fire and the same-layer bug instances
 * @param induction the induction investigation of the two-layer model
 */
public record LessonData(Baselines baselines, DirectPathSection directPath, SkipTrigramSection skipTrigrams, InductionSection induction) {

    /** Held-out windows measured (of n_ctx tokens each) for the DLA shares and the norm scales. */
    public static final int WINDOWS = 64;
    /** Common tokens shown in the direct-path table. */
    public static final int SHOWN = 10;
    /** Most frequent tokens whose direct path is correlated with the bigrams, and the skip-trigram candidates. */
    public static final int COMMON = 300;
    /** Firings shown as examples. */
    public static final int EXAMPLES = 5;
    /** Same-layer bug instances shown. */
    public static final int BUGS = 3;
    /** Least attention on the source for a firing. */
    public static final float MIN_ATTENTION = 0.3f;

    /**
     * Validates the components.
     *
     * @throws IllegalArgumentException if a section is missing
     */
    public LessonData {
        Checks.notNull("lesson baselines", baselines);
        Checks.notNull("lesson direct path", directPath);
        Checks.notNull("lesson skip-trigrams", skipTrigrams);
        Checks.notNull("lesson induction", induction);
    }

    /**
     * The data and the baseline losses, in nats per token on held-out windows.
     *
     * @param chapters chapters in the corpus
     * @param heldOutEvery every how many chapters one is held out
     * @param trainTokens training tokens
     * @param heldOutTokens held-out tokens
     * @param vocab the tokenizer's vocabulary size
     * @param windows held-out windows the losses are measured on
     * @param targets targets per window
     * @param unigram the unigram model's loss
     * @param bigram the bigram model's loss
     * @param oneLayer english-1l's loss
     * @param twoLayer english-2l's loss
     */
    public record Baselines(int chapters, int heldOutEvery, int trainTokens, int heldOutTokens, int vocab, int windows, int targets,
                            double unigram, double bigram, double oneLayer, double twoLayer) {}

    /**
     * One common token's top next tokens.
     *
     * @param token the token
     * @param direct the direct path's top next tokens, best first
     * @param corpus the corpus' most frequent next tokens, most frequent first
     * @param correlation the correlation of the direct path's logits with the bigram log-probabilities
     */
    public record DirectRow(String token, List<String> direct, List<String> corpus, double correlation) {

        /**
         * Copies the lists.
         */
        public DirectRow {
            direct = List.copyOf(direct);
            corpus = List.copyOf(corpus);
        }
    }

    /**
     * The direct path ({@code W_E} through the final norm to {@code W_U}) and its share of the logits.
     *
     * @param rows the most frequent tokens' rows
     * @param common how many of the most frequent tokens the summary is over
     * @param meanCorrelation mean correlation of the direct path's logits with the bigram log-probabilities over them
     * @param top1Agreement fraction of them whose top direct-path token is the corpus' most frequent next token
     * @param dlaWindows held-out windows the DLA is measured on
     * @param embed mean direct logit attribution of the embedding to the correct next token
     * @param posEmbed the positional embedding's
     * @param attention the attention output's
     */
    public record DirectPathSection(List<DirectRow> rows, int common, double meanCorrelation, double top1Agreement, int dlaWindows,
                                    double embed, double posEmbed, double attention) {

        /**
         * Copies the rows.
         */
        public DirectPathSection {
            rows = List.copyOf(rows);
        }

        /**
         * The direct path's share of the three attributions.
         *
         * @return {@code embed / (embed + posEmbed + attention)}
         */
        public double share() {
            return embed / (embed + posEmbed + attention);
        }
    }

    /**
     * A skip-trigram read from a head's full QK and OV circuits.
     *
     * @param head the head
     * @param source the source token attended to
     * @param dest the destination token attending
     * @param out the token whose logit the head raises
     * @param qk the QK score, above the mean over candidate sources
     * @param ov the OV score, above the mean over candidate outputs
     */
    public record Triple(int head, String source, String dest, String out, double qk, double ov) {}

    /**
     * A piece of held-out text: a few tokens before the source, the source, and the tokens after it up to
     * the destination (or the next token).
     *
     * @param before the text before the source
     * @param source the source token
     * @param after the text after it
     */
    public record Snippet(String before, String source, String after) {

        /**
         * The snippet with the source bracketed, quoted.
         *
         * @return {@code "before[source]after"}
         */
        public String bracketed() {
            return "\"" + before + "[" + source + "]" + after + "\"";
        }
    }

    /**
     * A place where a triple fires and the text goes on with its boosted token.
     *
     * @param head the head
     * @param attention the head's attention from the destination to the source
     * @param source the source token
     * @param headLogit the logit the head adds to the boosted token
     * @param out the boosted token
     * @param snippet the text
     */
    public record Example(int head, double attention, String source, double headLogit, String out, Snippet snippet) {}

    /**
     * A same-layer bug instance: the head attends to the source, its OV makes its completion the model's
     * top prediction, but the words in between make the text go on otherwise.
     *
     * @param snippet the text, up to the token after the destination
     * @param predicted the model's top prediction
     * @param actual the token the text has
     * @param head the head
     * @param dest the destination token
     * @param source the source token
     * @param qk QK(destination, source), above the mean over candidate sources
     * @param attention the head's attention from the destination to the source
     * @param ov OV(source to the boosted token), above the mean logit over candidates
     * @param out the boosted token
     * @param headLogit the logit the head adds to it
     */
    public record Bug(Snippet snippet, String predicted, String actual, int head, String dest, String source, double qk,
                      double attention, double ov, String out, double headLogit) {}

    /**
     * The skip-trigrams of the one-layer model's heads.
     *
     * @param triples the top triples of every head, head by head, best first
     * @param minAttention the least attention on the source for a firing
     * @param firings how many times they fire in the held-out text
     * @param examples firings where the text goes on with the boosted token
     * @param bugCount how many same-layer bug instances there are in the held-out text
     * @param bugs the largest of them
     */
    public record SkipTrigramSection(List<Triple> triples, double minAttention, int firings, List<Example> examples, int bugCount,
                                     List<Bug> bugs) {

        /**
         * Copies the lists.
         */
        public SkipTrigramSection {
            triples = List.copyOf(triples);
            examples = List.copyOf(examples);
            bugs = List.copyOf(bugs);
        }
    }

    /**
     * The induction investigation of the two-layer model.
     *
     * @param passageTokens tokens in each copy of the repeated passages
     * @param firstCopy the loss on the first copy
     * @param secondCopy the loss on the second
     * @param naturalText induction on held-out windows of text ({@link NaturalTextInduction})
     * @param report the investigation's report, with its claims and verdicts
     */
    public record InductionSection(int passageTokens, double firstCopy, double secondCopy, NaturalText naturalText, ReportData report) {

        /**
         * Validates the parts.
         */
        public InductionSection {
            Checks.notNull("induction report", report);
            Checks.notNull("natural-text induction", naturalText);
        }
    }

    /**
     * Induction on held-out windows of text ({@link NaturalTextInduction}): where the two-layer model's
     * heads attend, and its loss beside the one-layer model's where copying could predict the next token
     * and where it could not.
     *
     * @param windows held-out windows measured
     * @param queries queries after BOS
     * @param queriesWithTarget how many of them have an induction target (their token occurred earlier)
     * @param heads every head of the two-layer model, layer by layer
     * @param copyable predictions whose current token occurred earlier followed by the same next token
     * @param lossCopyable the two-layer model's mean loss on them
     * @param lossCopyableOneLayer the one-layer model's
     * @param seenOtherwise predictions whose current token occurred earlier, never followed by the next one
     * @param lossSeenOtherwise the two-layer model's mean loss on them
     * @param lossSeenOtherwiseOneLayer the one-layer model's
     * @param unseen predictions whose current token had not occurred earlier in the window
     * @param lossUnseen the two-layer model's mean loss on them
     * @param lossUnseenOneLayer the one-layer model's
     * @param lossByPosition the two-layer model's mean loss of predicting the token after each position {@code 0 .. pos - 2}
     * @param lossByPositionOneLayer the one-layer model's
     */
    public record NaturalText(int windows, int queries, int queriesWithTarget, List<HeadRow> heads, int copyable, double lossCopyable,
                              double lossCopyableOneLayer, int seenOtherwise, double lossSeenOtherwise, double lossSeenOtherwiseOneLayer,
                              int unseen, double lossUnseen, double lossUnseenOneLayer, double[] lossByPosition,
                              double[] lossByPositionOneLayer) {

        /**
         * Copies the rows and checks the two loss curves have one length.
         */
        public NaturalText {
            heads = List.copyOf(heads);
            lossByPosition = lossByPosition.clone();
            lossByPositionOneLayer = lossByPositionOneLayer.clone();
            if (lossByPosition.length != lossByPositionOneLayer.length || lossByPosition.length < 2) {
                throw new IllegalArgumentException("the loss by position needs one value per position for both models, got "
                        + lossByPosition.length + " and " + lossByPositionOneLayer.length);
            }
        }

        /**
         * A model's mean loss over a range of positions.
         *
         * @param oneLayer the one-layer model's, else the two-layer one's
         * @param from first position (predicting the token after it)
         * @param to one past the last
         * @return the mean
         */
        public double meanLoss(boolean oneLayer, int from, int to) {
            double[] l = oneLayer ? lossByPositionOneLayer : lossByPosition;
            double sum = 0;
            for (int t = from; t < to; t++) {
                sum += l[t];
            }
            return sum / (to - from);
        }

        /**
         * From the two models' measurements on the same windows.
         *
         * @param two the two-layer model's
         * @param one the one-layer model's
         * @return the section's numbers
         */
        public static NaturalText of(NaturalTextInduction two, NaturalTextInduction one) {
            List<HeadRow> rows = new ArrayList<>();
            Tensor ind = two.induction();
            for (int l = 0; l < ind.dim(0); l++) {
                for (int h = 0; h < ind.dim(1); h++) {
                    rows.add(new HeadRow("L" + l + "H" + h, ind.get(l, h), two.previousToken().get(l, h), two.bosWithoutTarget().get(l, h),
                            two.selfWithoutTarget().get(l, h)));
                }
            }
            return new NaturalText(two.windows(), two.queries(), two.queriesWithTarget(), rows, two.copyable(), two.lossCopyable(),
                    one.lossCopyable(), two.seenOtherwise(), two.lossSeenOtherwise(), one.lossSeenOtherwise(), two.unseen(),
                    two.lossUnseen(), one.lossUnseen(), two.lossByPosition(), one.lossByPosition());
        }
    }

    /**
     * One head on natural text.
     *
     * @param head e.g. {@code L1H2}
     * @param induction its share of attention on induction targets, where there is one
     * @param previousToken its share on the previous position
     * @param bosWithoutTarget its mean attention on BOS where there is no induction target
     * @param selfWithoutTarget its mean attention on the query's own position there
     */
    public record HeadRow(String head, double induction, double previousToken, double bosWithoutTarget, double selfWithoutTarget) {}

    /**
     * Measures the lesson on the one-layer and two-layer models of the shipped corpus.
     *
     * @param oneLayer english-1l (or a one-layer attention-only model of the corpus)
     * @param twoLayer english-2l
     * @param progress told before each stage
     * @return the lesson's numbers
     * @throws java.io.IOException if the corpus cannot be read
     */
    public static LessonData measure(HookedTransformer oneLayer, HookedTransformer twoLayer, InductionInvestigation.Progress progress)
            throws java.io.IOException {
        HookedTransformer m1 = oneLayer;
        progress.update("the corpus and the baselines", 0, 1);
        EnglishLesson lesson = EnglishLesson.ofShippedCorpus(m1);
        TextCorpus corpus = lesson.corpus();
        NgramStatistics stats = lesson.stats();
        int bos = lesson.bos();
        int[][] all = lesson.heldOut();
        Baselines baselines = new Baselines(corpus.documents().size(), TextCorpus.HELD_OUT_EVERY, lesson.trainTokens().length,
                lesson.heldOutTokens().length, m1.config().dVocab(), all.length, m1.config().nCtx() - 1, stats.unigramLoss(all),
                stats.bigramLoss(all, bos), EnglishLesson.loss(m1, all), EnglishLesson.loss(twoLayer, all));

        progress.update("the direct path", 0, 1);
        Tensor direct = DirectPath.logits(m1.config(), m1.weights());
        DirectPath.Comparison summary = DirectPath.compare(direct, stats, stats.mostFrequent(COMMON, bos), 5, bos);
        DirectPath.Comparison shown = DirectPath.compare(direct, stats, stats.mostFrequent(SHOWN, bos), 5, bos);
        List<DirectRow> rows = new ArrayList<>();
        for (DirectPath.Row r : shown.rows()) {
            rows.add(new DirectRow(tok(m1, r.token()), toks(m1, r.direct()), toks(m1, r.bigram()), r.correlation()));
        }
        double[] shares = lesson.directLogitShares(m1, WINDOWS);
        DirectPathSection directPath = new DirectPathSection(rows, summary.rows().size(), summary.meanCorrelation(),
                summary.top1Agreement(), lesson.heldOut(WINDOWS).length, shares[0], shares[1], shares[2]);

        progress.update("the skip-trigrams", 0, 1);
        EnglishLesson.SkipTrigramScan scan = lesson.skipTrigrams(m1, COMMON, 3, MIN_ATTENTION, 1f);
        TokenCircuits circuits = scan.circuits();
        int[] candidates = stats.mostFrequent(COMMON, bos);
        List<Triple> triples = new ArrayList<>();
        for (SkipTrigrams.Triple t : scan.triples()) {
            triples.add(new Triple(t.head(), tok(m1, t.source()), tok(m1, t.dest()), tok(m1, t.out()), t.qk(), t.ov()));
        }
        List<Example> examples = new ArrayList<>();
        for (SkipTrigrams.Firing f : scan.firings()) {
            if (f.next() == f.out() && examples.size() < EXAMPLES) {
                int[] row = all[f.sequence()];
                examples.add(new Example(f.head(), f.attention(), tok(m1, row[f.sourcePos()]), f.headLogit(), tok(m1, f.out()),
                        snippet(m1, row, f.sourcePos(), f.destPos())));
            }
        }
        List<Bug> bugs = new ArrayList<>();
        for (SkipTrigrams.Firing f : scan.bugs().subList(0, Math.min(BUGS, scan.bugs().size()))) {
            int[] row = all[f.sequence()];
            int src = row[f.sourcePos()], dest = row[f.destPos()];
            bugs.add(new Bug(snippet(m1, row, f.sourcePos(), f.destPos() + 1), tok(m1, f.predicted()), tok(m1, f.next()), f.head(),
                    tok(m1, dest), tok(m1, src), centred(circuits.qk(f.head()), dest, src, candidates), f.attention(),
                    centred(circuits.ov(f.head()), src, f.out(), candidates), tok(m1, f.out()), f.headLogit()));
        }
        SkipTrigramSection skip = new SkipTrigramSection(triples, MIN_ATTENTION, scan.firings().size(), examples, scan.bugs().size(), bugs);

        progress.update("induction on the two-layer model", 0, 1);
        double[] passage = lesson.repeatedPassageLosses(twoLayer, 64);
        int[][] text = lesson.heldOut(WINDOWS);
        NaturalText natural = NaturalText.of(NaturalTextInduction.measure(twoLayer, text), NaturalTextInduction.measure(m1, text));
        ReportData report = InductionInvestigation.run(twoLayer, "english-2l", InductionInvestigation.Options.defaultsFor(twoLayer.config()),
                progress);
        InductionSection induction = new InductionSection((twoLayer.config().nCtx() - 1) / 2, passage[0], passage[1], natural, report);
        return new LessonData(baselines, directPath, skip, induction);
    }

    /** {@code m[row, col]} minus the mean of row {@code row} over the columns {@code over}. */
    private static double centred(Tensor m, int row, int col, int[] over) {
        double mean = 0;
        for (int c : over) {
            mean += m.get(row, c);
        }
        return m.get(row, col) - mean / over.length;
    }

    private static String tok(HookedTransformer m, int token) {
        return m.toStrTokens(new int[] {token}).get(0).replace("\n", "\\n");
    }

    private static List<String> toks(HookedTransformer m, int[] tokens) {
        List<String> out = new ArrayList<>(tokens.length);
        for (int t : tokens) {
            out.add(tok(m, t));
        }
        return out;
    }

    /** The text from a few tokens before {@code from} to {@code to}, split around the source at {@code from}. */
    private static Snippet snippet(HookedTransformer m, int[] row, int from, int to) {
        StringBuilder before = new StringBuilder(), after = new StringBuilder();
        for (int t = Math.max(1, from - 3); t < from; t++) {
            before.append(tok(m, row[t]));
        }
        for (int t = from + 1; t <= Math.min(row.length - 1, to); t++) {
            after.append(tok(m, row[t]));
        }
        return new Snippet(before.toString(), tok(m, row[from]), after.toString());
    }
}
