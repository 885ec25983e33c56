package dev.lens4j.report;

import dev.lens4j.transformer.HookedTransformer;
import dev.lens4j.transformer.loading.Models;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The lesson's page and console text, rendered from the lesson measured on the shipped english-1l and
 * english-2l (once for the class) and from a small made-up lesson whose strings need escaping.
 */
class LessonReportTest {

    private static LessonData real;

    @BeforeAll
    static void measure() throws Exception {
        try (HookedTransformer m1 = Models.fromPretrained("english-1l"); HookedTransformer m2 = Models.fromPretrained("english-2l")) {
            real = LessonData.measure(m1, m2, InductionInvestigation.Progress.none());
        }
    }

    /** A lesson of made-up numbers whose every token string is hostile HTML. */
    static LessonData madeUp() {
        String evil = "</script><b>&x\"'";
        var baselines = new LessonData.Baselines(100, 20, 12345, 678, 2048, 7, 95, 6.5, 4.25, 4.5, 4.375);
        var direct = new LessonData.DirectPathSection(List.of(new LessonData.DirectRow(evil, List.of(" the", evil), List.of("\\n", " of"),
                0.625)), 300, 0.5625, 0.25, 64, 3.0, 0.5, 1.5);
        var skip = new LessonData.SkipTrigramSection(List.of(new LessonData.Triple(0, " Lord", " the", evil, 2.5, 3.75),
                new LessonData.Triple(1, " king", " of", " Israel", 1.25, 2.0)), 0.3, 42,
                List.of(new LessonData.Example(1, 0.75, " king", 1.5, " Israel", new LessonData.Snippet(" the", " king", " of"))), 9,
                List.of(new LessonData.Bug(new LessonData.Snippet(" and", evil, " said to"), " Moses", " him", 0, " to", evil, 2.125, 0.875,
                        3.25, " Moses", 1.625)));
        ReportData report = ReportData.builder("t", FakeReports.induction().model())
                .claims(List.of(new Claim("an induction head " + evil, Verdict.NOT_SUPPORTED, "score 0.01 < 0.4", EvidenceTier.CLUE),
                        new Claim("prev-token head", Verdict.INCONCLUSIVE, "", EvidenceTier.WEIGHT))).build();
        return new LessonData(baselines, direct, skip, new LessonData.InductionSection(47, 4.5, 4.0, new LessonData.NaturalText(4, 380, 120,
                java.util.List.of(new LessonData.HeadRow("L1H0", 0.8, 0.1, 0.6, 0.2)), 30, 1.2, 2.4, 50, 4.1, 4.3, 250, 3.7, 3.8,
                new double[] {5, 4, 3.5, 3.25}, new double[] {5, 4.5, 4.25, 4.125}), report));
    }

    @Test
    void madeUpLessonIsEscapedAndComplete() {
        String html = LessonReport.render(madeUp());
        assertThat(html).doesNotContain("</script><b>").contains("&lt;/script&gt;&lt;b&gt;&amp;x&quot;&#39;");
        assertThat(html.split("<script", -1)).hasSize(2); // the page's own script only
        assertThat(html).doesNotContainPattern("(src|href)=\"(https?:)?//");
        for (String id : List.of("baselines", "direct-path", "dla-share", "skip-trigrams", "same-layer-bug", "induction")) {
            assertThat(html).contains("<section id=\"" + id + "\"");
        }
        assertThat(html).contains("<span class=\"v\">4.250</span>", "<span class=\"v\">4.375</span>", "0.63</td>",
                "mean correlation 0.563", "for 25% of them", "carries 60% of it", "<title>attention: 1.500</title>",
                "<tr data-head=\"1\">", "<button type=\"button\" data-head=\"1\"", "2.50</td>", "3.75</td>", "42 times",
                "9 instances", "2.13 above the mean source and attends 0.88", "3.25 above the mean logit; the head adds +1.63",
                "loss 4.500 on the first copy, 4.000 on the second",
                "data-verdict=\"not-supported\" data-tier=\"clue\"", "data-verdict=\"inconclusive\" data-tier=\"weight\"",
                "score 0.01 &lt; 0.4");
        assertThat(count(html, "<div class=\"bug\">")).isEqualTo(1);
        assertThat(html).contains("In 4 held-out windows, 120 of 380 queries (32%) have an induction target",
                "<tr><td>L1H0</td><td>0.80</td><td>0.10</td><td>0.60</td><td>0.20</td></tr>",
                "<td>30</td><td>1.200</td><td>2.400</td>", "<td>50</td><td>4.100</td><td>4.300</td>", "<td>250</td><td>3.700</td><td>3.800</td>");
        assertThat(LessonConsole.render(madeUp())).contains("120 of 380 queries (32%) have an induction target",
                "  L1H0        0.80            0.10             0.60                0.20", "1.200 / 2.400 (30)",
                "predicting tokens 2-2 4.000 / 4.500, the last 1 3.250 / 4.125");
        assertThat(html).contains("id=\"natural-text-loss-chart\"");
        assertThat(LessonConsole.render(madeUp())).contains("'</script><b>&x\"''", "r=0.63", "share 60%", "QK 2.50  OV 3.75",
                "fire (attention >= 0.3 on the source) 42 times", "\" the[ king] of\"", "9 instances");
    }

    @Test
    void realLessonShowsTheSameNumbersOnThePageAndInTheConsole(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("lesson.html");
        LessonReport.write(real, file);
        String html = Files.readString(file, StandardCharsets.UTF_8);
        String text = LessonConsole.render(real);
        assertThat(html).isEqualTo(LessonReport.render(real));

        LessonData.DirectPathSection p = real.directPath();
        assertThat(p.rows()).hasSize(LessonData.SHOWN);
        assertThat(count(html, "<tr><td><code class=\"t\">")).isEqualTo(LessonData.SHOWN);
        for (LessonData.DirectRow r : p.rows()) {
            assertThat(r.direct()).hasSize(5);
            assertThat(text).contains(String.format(Locale.ROOT, "r=%.2f", r.correlation()));
            assertThat(html).contains("<tr><td><code class=\"t\">" + esc(r.token()) + "</code></td>");
        }
        // every component raises the correct token on average, so the share is a fraction
        assertThat(p.embed()).isPositive();
        assertThat(p.share()).isBetween(0.0, 1.0);
        String share = String.format(Locale.ROOT, "%.0f%%", 100 * p.share());
        assertThat(text).contains("the direct path's share " + share);
        assertThat(html).contains("carries " + share + " of it");

        LessonData.SkipTrigramSection s = real.skipTrigrams();
        assertThat(s.triples()).hasSize(3 * 4); // english-1l has 4 heads, 3 triples each
        assertThat(count(html, "<tr data-head=")).isEqualTo(s.triples().size());
        assertThat(s.examples()).isNotEmpty().allSatisfy(e -> assertThat(e.attention()).isGreaterThanOrEqualTo(LessonData.MIN_ATTENTION));
        assertThat(s.bugs()).hasSize(Math.min(LessonData.BUGS, s.bugCount()));
        assertThat(count(html, "<div class=\"bug\">")).isEqualTo(s.bugs().size());
        for (LessonData.Bug g : s.bugs()) {
            // a bug instance: the model's top prediction is the head's completion, and the text has something else
            assertThat(g.predicted()).isEqualTo(g.out());
            assertThat(g.actual()).isNotEqualTo(g.out());
            String logit = String.format(Locale.ROOT, "%+.2f", g.headLogit());
            assertThat(html).contains("the head adds " + logit);
            assertThat(text).contains("the head adds " + logit);
        }

        // on natural text: a layer-1 head attends to induction targets where there is one and parks on BOS where there
        // is none (a perfect head scores 1 on both), and the model predicts what copying predicts far better than english-1l
        LessonData.NaturalText t = real.induction().naturalText();
        LessonData.HeadRow best = t.heads().stream().filter(h -> h.head().startsWith("L1"))
                .max(java.util.Comparator.comparingDouble(LessonData.HeadRow::induction)).orElseThrow();
        assertThat(best.induction()).as("%s's natural-text induction score", best.head()).isGreaterThan(0.5);
        assertThat(best.bosWithoutTarget()).as("%s's attention on BOS without a target", best.head()).isGreaterThan(0.5);
        assertThat(t.lossCopyable()).isLessThan(t.lossCopyableOneLayer() - 0.5);
        assertThat(t.queriesWithTarget()).isPositive().isLessThan(t.queries());
        // more context, lower loss, for both models (both use earlier tokens: skip-trigrams too); the two-layer model's
        // lead shows where copying applies (above), not in the average over every position, where the two gain alike
        int last = t.lossByPosition().length;
        assertThat(t.meanLoss(false, 1, 11)).isGreaterThan(t.meanLoss(false, last - 10, last));
        assertThat(t.meanLoss(true, 1, 11)).isGreaterThan(t.meanLoss(true, last - 10, last));
        assertThat(t.meanLoss(false, last - 10, last)).isLessThan(t.meanLoss(true, last - 10, last));
        assertThat(html).contains(String.format(Locale.ROOT, "<tr><td>%s</td><td>%.2f</td>", best.head(), best.induction()));
        assertThat(text).contains(String.format(Locale.ROOT, "%.3f / %.3f (%d)", t.lossCopyable(), t.lossCopyableOneLayer(), t.copyable()));

        List<Claim> claims = real.induction().report().claims();
        assertThat(claims).isNotEmpty();
        assertThat(count(html, "<div class=\"claim\"")).isEqualTo(claims.size());
        for (Claim c : claims) {
            assertThat(html).contains(esc(c.statement()), ">" + c.verdict().text() + "</span>");
            assertThat(text).contains("[" + c.verdict().text() + "]"); // the console wraps statements
        }
    }

    @Test
    void realLessonNumbersAgreeWithTheBaselines() {
        LessonData.Baselines b = real.baselines();
        // held-out losses: each model of the text beats the unigram model, and the one-layer model beats the bigram table
        assertThat(b.bigram()).isLessThan(b.unigram());
        assertThat(b.oneLayer()).isLessThan(b.bigram());
        assertThat(b.twoLayer()).isLessThan(b.unigram());
        assertThat(LessonConsole.render(real)).contains(String.format(Locale.ROOT, "bigram model   %.3f", b.bigram()));
        assertThat(LessonReport.render(real)).contains(String.format(Locale.ROOT, "<span class=\"v\">%.3f</span>", b.oneLayer()));
    }

    private static String esc(String s) {
        return dev.lens4j.report.chart.Html.escape(s);
    }

    private static int count(String s, String part) {
        Matcher m = Pattern.compile(Pattern.quote(part)).matcher(s);
        int n = 0;
        while (m.find()) {
            n++;
        }
        return n;
    }
}
