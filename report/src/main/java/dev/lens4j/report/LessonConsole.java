package dev.lens4j.report;

import java.util.List;
import java.util.Locale;

/**
 * The lesson's numbers ({@link LessonData}) as the plain text {@code lens4j lesson} prints.
 */
public final class LessonConsole {

    private LessonConsole() {}

    /**
     * Renders the lesson as text, section by section, the induction investigation last ({@link ConsoleReport}).
     *
     * @param d the lesson's numbers
     * @return the text, lines ending in {@code \n}
     */
    public static String render(LessonData d) {
        StringBuilder o = new StringBuilder(8 * 1024);
        LessonData.Baselines b = d.baselines();
        o.append("== 1. Data and baselines ==\n");
        f(o, "Corpus: text from the World English Bible (public domain), %d chapters; every %dth held out.%n", b.chapters(), b.heldOutEvery());
        f(o, "Tokens: %,d training, %,d held-out (byte-level BPE of %d tokens trained by lens4j).%n", b.trainTokens(), b.heldOutTokens(),
                b.vocab());
        f(o, "Held-out loss (nats/token, %d windows of %d tokens):%n", b.windows(), b.targets());
        f(o, "  unigram model  %.3f%n  bigram model   %.3f%n  english-1l     %.3f%n  english-2l     %.3f%n%n", b.unigram(), b.bigram(),
                b.oneLayer(), b.twoLayer());

        LessonData.DirectPathSection p = d.directPath();
        o.append("== 2. The direct path of english-1l (W_E -> final norm -> W_U) ==\n");
        for (LessonData.DirectRow r : p.rows()) {
            f(o, "  after %-10s direct path: %-45s corpus: %-45s r=%.2f%n", q(r.token()), list(r.direct()), list(r.corpus()), r.correlation());
        }
        f(o, "Over the %d most frequent tokens: mean correlation of the direct path's logits with the bigram "
                + "log-probabilities %.3f; top-1 agrees with the corpus' most frequent next token for %.0f%%.%n",
                p.common(), p.meanCorrelation(), 100 * p.top1Agreement());
        f(o, "DLA of the correct next token on %d held-out windows (mean logit above the mean logit): "
                + "embed %.3f, pos_embed %.3f, attention %.3f; the direct path's share %.0f%%.%n%n",
                p.dlaWindows(), p.embed(), p.posEmbed(), p.attention(), 100 * p.share());

        LessonData.SkipTrigramSection s = d.skipTrigrams();
        o.append("== 3. Skip-trigrams of english-1l's heads (full QK and OV circuits between tokens) ==\n");
        for (LessonData.Triple t : s.triples()) {
            f(o, "  head %d: %-10s ... %-10s -> %-10s QK %.2f  OV %.2f%n", t.head(), q(t.source()), q(t.dest()), q(t.out()), t.qk(), t.ov());
        }
        f(o, "They fire (attention >= %.1f on the source) %d times in the held-out text; examples:%n", s.minAttention(), s.firings());
        for (LessonData.Example e : s.examples()) {
            f(o, "  head %d attends %.2f to %s, adds %+.2f to %s's logit, and the text goes on with it: %s%n", e.head(), e.attention(),
                    q(e.source()), e.headLogit(), q(e.out()), e.snippet().bracketed());
        }
        o.append("\nThe same-layer bug: the head attends to the source and its OV makes its completion the model's top "
                + "prediction, but the words in between make the text go on otherwise.\n");
        if (s.bugs().isEmpty()) {
            o.append("  not found in the held-out text with these triples\n");
        } else {
            f(o, "  %d instances in the held-out text; the largest:%n", s.bugCount());
        }
        for (LessonData.Bug g : s.bugs()) {
            f(o, "  %s%n    predicted %s, text has %s; head %d: QK(dest %s, source %s) = %.2f above the mean source, "
                            + "attention %.2f; OV(source %s -> %s) = %.2f above the mean logit; the head adds %+.2f to %s%n",
                    g.snippet().bracketed(), q(g.predicted()), q(g.actual()), g.head(), q(g.dest()), q(g.source()), g.qk(), g.attention(),
                    q(g.source()), q(g.out()), g.ov(), g.headLogit(), q(g.out()));
        }
        o.append('\n');

        LessonData.InductionSection i = d.induction();
        o.append("== 4. Induction on english-2l ==\n");
        f(o, "Repeated held-out passages (%d tokens, then the same again): loss %.3f on the first copy, %.3f on the second.%n",
                i.passageTokens(), i.firstCopy(), i.secondCopy());
        LessonData.NaturalText t = i.naturalText();
        f(o, "Natural text (%d held-out windows): %d of %d queries (%.0f%%) have an induction target (their token occurred earlier);%n"
                        + "where the others' attention parks, the fallback:%n", t.windows(), t.queriesWithTarget(), t.queries(),
                100.0 * t.queriesWithTarget() / t.queries());
        o.append("  head   induction  previous token  BOS (no target)  itself (no target)\n");
        for (LessonData.HeadRow h : t.heads()) {
            f(o, "  %-5s  %9.2f  %14.2f  %15.2f  %18.2f%n", h.head(), h.induction(), h.previousToken(), h.bosWithoutTarget(),
                    h.selfWithoutTarget());
        }
        f(o, "Loss (english-2l / english-1l): where copying predicts the next token %.3f / %.3f (%d), where the token recurred%n"
                        + "followed by another %.3f / %.3f (%d), where it had not occurred %.3f / %.3f (%d).%n",
                t.lossCopyable(), t.lossCopyableOneLayer(), t.copyable(), t.lossSeenOtherwise(), t.lossSeenOtherwiseOneLayer(),
                t.seenOtherwise(), t.lossUnseen(), t.lossUnseenOneLayer(), t.unseen());
        int last = t.lossByPosition().length, early = Math.min(10, last / 3);
        f(o, "Loss by position in the window (english-2l / english-1l): predicting tokens 2-%d %.3f / %.3f, the last %d %.3f / %.3f.%n",
                early + 1, t.meanLoss(false, 1, early + 1), t.meanLoss(true, 1, early + 1), early, t.meanLoss(false, last - early, last),
                t.meanLoss(true, last - early, last));
        o.append("Repeated random tokens:\n");
        o.append(ConsoleReport.render(i.report()));
        return o.toString();
    }

    private static void f(StringBuilder o, String format, Object... args) {
        o.append(String.format(Locale.ROOT, format, args).replace(System.lineSeparator(), "\n"));
    }

    private static String q(String token) {
        return "'" + token + "'";
    }

    private static String list(List<String> tokens) {
        StringBuilder b = new StringBuilder();
        for (String t : tokens) {
            b.append(b.isEmpty() ? "" : " ").append(q(t));
        }
        return b.toString();
    }
}
