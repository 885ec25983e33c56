package dev.lens4j.docs;

import dev.lens4j.analysis.circuits.Circuits;
import dev.lens4j.analysis.gradients.Agreement;
import dev.lens4j.analysis.gradients.AttributionPatching;
import dev.lens4j.analysis.gradients.Circuit;
import dev.lens4j.analysis.gradients.EdgeAttribution;
import dev.lens4j.analysis.gradients.EdgeScores;
import dev.lens4j.analysis.gradients.LogitMetrics;
import dev.lens4j.analysis.circuits.CompositionScores;
import dev.lens4j.analysis.heads.RepeatedTokens;
import dev.lens4j.analysis.interventions.Ablation;
import dev.lens4j.analysis.interventions.ActivationPatching;
import dev.lens4j.report.InductionInvestigation;
import dev.lens4j.analysis.text.DirectPath;
import dev.lens4j.analysis.text.EnglishLesson;
import dev.lens4j.analysis.text.NaturalTextInduction;
import dev.lens4j.analysis.text.SkipTrigrams;
import dev.lens4j.tensor.Tensor;
import dev.lens4j.testing.ComponentScores;
import dev.lens4j.testing.Measurements;
import dev.lens4j.transformer.HookedTransformer;
import dev.lens4j.transformer.LogitMetric;
import dev.lens4j.transformer.loading.Models;
import dev.lens4j.transformer.train.InductionData;
import dev.lens4j.transformer.train.TrainingBatch;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

/**
 * The numbers the docs quote are the shipped model's: every {@code <!--v:name-->text<!--/v-->} in
 * {@code docs/*.md} must read what {@link #compute} gives today (rewritten with
 * {@code -Dlens4j.docs.update=true}). {@code -Dlens4j.docs.model=<folder>} checks against another
 * checkpoint; without one it checks the shipped {@code induction-2l}.
 */
class DocValuesTest {

    static HookedTransformer model;

    @BeforeAll
    static void load() throws IOException {
        String dir = System.getProperty("lens4j.docs.model", "");
        if (!dir.isBlank()) {
            model = Models.fromPretrained(Path.of(dir));
        } else {
            model = Models.fromPretrained("induction-2l");
        }
    }

    @AfterAll
    static void close() {
        if (model != null) {
            model.close();
        }
    }

    static String f2(double v) {
        return String.format(Locale.ROOT, "%.2f", v);
    }

    static void putHeads(Map<String, String> out, String prefix, ComponentScores s) {
        for (String label : s.labels()) {
            out.put(prefix + "." + label, f2(s.value(label)));
        }
    }

    /** Every number the docs may quote, by name. */
    static Map<String, String> compute(HookedTransformer model) {
        Map<String, String> out = new LinkedHashMap<>();
        RepeatedTokens probe = RepeatedTokens.forModel(model);
        float[] loss = Measurements.lossByPosition(model, probe);
        int n = probe.halfLength();
        out.put("probe-batch", String.valueOf(probe.batch()));
        out.put("probe-half", String.valueOf(n));
        out.put("probe-seed", String.valueOf(probe.seed()));
        out.put("first-copy-loss", f2(mean(loss, probe.firstHalfLossFrom(), probe.firstHalfLossTo())));
        out.put("second-copy-loss", f2(mean(loss, probe.repeatedLossFrom(), probe.repeatedLossTo())));
        out.put("random-guess-loss", f2(Math.log(probe.high() - probe.low() - 1)));
        out.put("ln-vocab", f2(Math.log(model.config().dVocab())));
        out.put("repeated-half-loss-64", f2(Measurements.repeatedHalfLoss(model, probe.withBatch(64))));
        out.put("ideal-copier-loss", f2(idealCopierLoss(probe.withBatch(20_000))));
        // TransformerLens's detect_head "mul" of a perfect induction head: the share of queries that have an induction
        // target, n / (2n + 1) from the second copy plus the words that recur by chance
        out.put("perfect-detect-induction", f2(perfectDetectInduction(probe)));
        out.put("perfect-detect-induction-5", String.format(Locale.ROOT, "%.3f", perfectDetectInduction(probe.withHalfLength(5))));
        out.put("n-over-2n-plus-1", f2(n / (2.0 * n + 1)));
        distinctWordLosses(model, out);
        englishValues(out);
        ComponentScores induction = Measurements.inductionScores(model, probe);
        ComponentScores prev = Measurements.previousTokenScores(model, probe);
        ComponentScores dla = Measurements.directLogitAttribution(model, probe);
        ComponentScores ablation = Measurements.headAblationLossIncreases(model, probe);
        ComponentScores copying = Measurements.copyingScores(model);
        ComponentScores positional = Measurements.positionalPreviousTokenScores(model, probe);
        putHeads(out, "induction", induction);
        putHeads(out, "prev", prev);
        ComponentScores detectPrev = Measurements.detectHeadScores(model, probe, "previous_token_head");
        ComponentScores detectInduction = Measurements.detectHeadScores(model, probe, "induction_head");
        putHeads(out, "detect-prev", detectPrev);
        putHeads(out, "detect-induction", detectInduction);
        putHeads(out, "dla", dla);
        putHeads(out, "ablation", ablation);
        putHeads(out, "copying", copying);
        putHeads(out, "positional", positional);
        Circuits circuits = new Circuits(model.config(), model.weights());
        putHeads(out, "positional-unscaled", ComponentScores.ofHeads("x", "", circuits.positionalPreviousTokenScores(probe.length())));
        String prevHead = prev.top(1).getFirst().label();
        String dlaTop = dla.heads().top(1).getFirst().label();
        out.put("prev-head", prevHead);
        out.put("shipped-parameters", model.parameterCount().describe());
        out.put("dla-top-head", dlaTop);
        out.put("ablation-top-head", ablation.top(1).getFirst().label());
        out.put("repeated-half-loss", f2(Measurements.repeatedHalfLoss(model, probe)));
        float baseline = Measurements.compositionBaseline(model);
        out.put("kcomp-baseline", String.format(Locale.ROOT, "%.3f", baseline));
        for (CompositionScores.Mode mode : CompositionScores.Mode.values()) {
            Tensor all = CompositionScores.all(circuits, mode);
            String m = mode.name().toLowerCase(Locale.ROOT) + "comp";
            for (int h1 = 0; h1 < model.config().nHeads(); h1++) {
                for (int h2 = 0; h2 < model.config().nHeads(); h2++) {
                    out.put(m + ".L0H" + h1 + ".L1H" + h2, String.format(Locale.ROOT, "%.3f", all.get(0, h1, 1, h2)));
                }
            }
        }
        Tensor k = CompositionScores.all(circuits, CompositionScores.Mode.K);
        int p = Integer.parseInt(prevHead.substring(3));
        double sum = 0;
        for (int h2 = 0; h2 < model.config().nHeads(); h2++) {
            sum += k.get(0, p, 1, h2);
        }
        out.put("kcomp-prev-mean-ratio", f2(sum / model.config().nHeads() / baseline));
        int minCopied = Integer.MAX_VALUE, maxCopied = 0;
        for (int h = 0; h < model.config().nHeads(); h++) {
            Tensor dense = circuits.fullOv().get(1, h).ab();
            int copied = 0;
            for (int t = 1; t < model.config().dVocab(); t++) {
                copied += dense.select(0, t).argmax() == t ? 1 : 0;
            }
            out.put("ov-top1.L1H" + h, String.valueOf(copied));
            minCopied = Math.min(minCopied, copied);
            maxCopied = Math.max(maxCopied, copied);
        }
        out.put("ov-top1-min", String.valueOf(minCopied));
        out.put("ov-top1-max", String.valueOf(maxCopied));
        // by role, so that the prose stays right if training moves the circuit to other heads
        out.put("prev-head-score", f2(prev.value(prevHead)));
        out.put("prev-head-detect-head", f2(detectPrev.value(prevHead)));
        ComponentScores detectLayer1 = detectInduction.filter(l -> l.startsWith("L1"));
        out.put("induction-detect-l1-min", f2(detectLayer1.ranked().getLast().value()));
        out.put("induction-detect-l1-max", f2(detectLayer1.top(1).getFirst().value()));
        out.put("prev-head-ablation", f2(ablation.value(prevHead)));
        out.put("prev-head-positional", f2(positional.value(prevHead)));
        out.put("prev-head-positional-unscaled", out.get("positional-unscaled." + prevHead));
        out.put("prev-head-copying", f2(copying.value(prevHead)));
        out.put("prev-second-head", prev.top(2).get(1).label());
        out.put("prev-second-score", f2(prev.top(2).get(1).value()));
        out.put("dla-top-value", f2(dla.value(dlaTop)));
        out.put("ablation-second-head", ablation.top(2).get(1).label());
        out.put("ablation-second-value", f2(ablation.top(2).get(1).value()));
        ComponentScores layer1 = induction.filter(l -> l.startsWith("L1"));
        out.put("induction-l1-min", f2(layer1.ranked().getLast().value()));
        out.put("induction-l1-max", f2(layer1.top(1).getFirst().value()));
        out.put("induction-l0-max", f2(induction.filter(l -> l.startsWith("L0")).top(1).getFirst().value()));
        out.put("ablation-l1-max", f2(ablation.filter(l -> l.startsWith("L1")).top(1).getFirst().value()));
        // redundancy: each layer-1 head alone (the other three zero-ablated), and none of them
        int heads = model.config().nHeads();
        double aloneMin = Double.MAX_VALUE, aloneMax = 0;
        for (int keep = 0; keep < heads; keep++) {
            int kept = keep;
            int[] others = java.util.stream.IntStream.range(0, heads).filter(h -> h != kept).toArray();
            double v = Measurements.repeatedHalfLoss(model, probe, Ablation.heads(1, others).zero());
            aloneMin = Math.min(aloneMin, v);
            aloneMax = Math.max(aloneMax, v);
        }
        out.put("l1-one-head-loss-min", f2(aloneMin));
        out.put("l1-one-head-loss-max", f2(aloneMax));
        int[] all = java.util.stream.IntStream.range(0, heads).toArray();
        out.put("l1-no-head-loss", f2(Measurements.repeatedHalfLoss(model, probe, Ablation.heads(1, all).zero())));
        out.put("dla-l1-min", f2(dla.filter(l -> l.startsWith("L1")).ranked().getLast().value()));
        out.put("copying-l1-min", f2(copying.filter(l -> l.startsWith("L1")).ranked().getLast().value()));
        double kMin = Double.MAX_VALUE, kMax = 0, otherMax = 0;
        for (int h1 = 0; h1 < model.config().nHeads(); h1++) {
            for (int h2 = 0; h2 < model.config().nHeads(); h2++) {
                double v = k.get(0, h1, 1, h2);
                if (h1 == p) {
                    kMin = Math.min(kMin, v);
                    kMax = Math.max(kMax, v);
                } else {
                    otherMax = Math.max(otherMax, v);
                }
            }
        }
        out.put("kcomp-prev-min", String.format(Locale.ROOT, "%.3f", kMin));
        out.put("kcomp-prev-max", String.format(Locale.ROOT, "%.3f", kMax));
        out.put("kcomp-other-max", String.format(Locale.ROOT, "%.3f", otherMax));
        attribution(model, probe, prevHead, out);
        return out;
    }

    /**
     * docs/ATTRIBUTION.md's numbers: attribution patching against real patching, EAP-IG against the exact
     * edge scores, the route and the circuits, on the probe against its corrupted twin (the first copy
     * redrawn), measured by the mean log-probability of the repeated half, as the main job measures them.
     */
    static void attribution(HookedTransformer model, RepeatedTokens probe, String prevHead, Map<String, String> out) {
        int[][] clean = probe.tokens(), corrupted = probe.corruptedTokens();
        LogitMetric metric = LogitMetrics.logProb(clean, probe.repeatedLossFrom(), probe.repeatedLossTo());
        AttributionPatching ap = AttributionPatching.of(model, clean, corrupted, metric);
        out.put("ap.clean", f2(ap.cleanMetric()));
        out.put("ap.corrupted", f2(ap.corruptedMetric()));
        for (Map.Entry<String, Agreement> e : ap.compareWith(ActivationPatching.of(model, clean, corrupted, LogitMetrics.asMetric(metric)))
                .entrySet()) {
            String k = "ap." + e.getKey().replace(' ', '-');
            out.put(k + ".corr", f2(e.getValue().correlation()));
            out.put(k + ".shared", e.getValue().sharedTopK() + " of " + e.getValue().k());
            out.put(k + ".n", String.valueOf(e.getValue().size()));
        }
        int steps = InductionInvestigation.EAP_IG_STEPS;
        out.put("eapig.steps", String.valueOf(steps));
        EdgeScores ig = EdgeAttribution.eapIg(model, clean, corrupted, metric, steps);
        EdgeScores exact = EdgeAttribution.exact(model, clean, corrupted, metric::value);
        Agreement igExact = ig.agreementWith(exact, 5);
        Agreement eapExact = EdgeAttribution.eap(model, clean, corrupted, metric).agreementWith(exact, 5);
        out.put("eapig.edges", String.valueOf(ig.graph().edgeCount()));
        out.put("eapig-exact.corr", f2(igExact.correlation()));
        out.put("eapig-exact.shared", igExact.sharedTopK() + " of " + igExact.k());
        out.put("eap-exact.corr", f2(eapExact.correlation()));
        out.put("eap-exact.shared", eapExact.sharedTopK() + " of " + eapExact.k());
        List<EdgeScores.Edge> top = ig.top(3);
        for (int i = 0; i < top.size(); i++) {
            out.put("eapig.top" + (i + 1), top.get(i).name() + " " + String.format(Locale.ROOT, "%+.2f", top.get(i).score()));
        }
        String prev = "a" + prevHead.charAt(1) + ".h" + prevHead.substring(3);
        for (int h = 0; h < model.config().nHeads(); h++) {
            out.put("eapig.key.L1H" + h, String.format(Locale.ROOT, "%+.2f", ig.score(prev + "->a1.h" + h + "<k>")));
            out.put("eapig.out.L1H" + h, String.format(Locale.ROOT, "%+.2f", ig.score("a1.h" + h + "->logits")));
        }
        List<Circuit> circuits = new ArrayList<>();
        for (int n : new int[] {10, 20, 40}) {
            circuits.add(Circuit.topN(ig, n));
        }
        List<Circuit.Faithfulness> f = Circuit.evaluate(model, clean, corrupted, metric::value, circuits);
        for (int i = 0; i < circuits.size(); i++) {
            out.put("eapig.circuit" + new int[] {10, 20, 40}[i], f2(f.get(i).recovered()));
        }
    }

    /** The mean share of queries with an induction target: what detect_head "mul" gives a perfect induction head. */
    static double perfectDetectInduction(RepeatedTokens probe) {
        double sum = 0;
        for (int[] t : probe.tokens()) {
            int with = 0;
            for (int q = 0; q < t.length; q++) {
                boolean target = false;
                for (int j = 0; j < q; j++) {
                    target |= t[j] == t[q];
                }
                with += target ? 1 : 0;
            }
            sum += (double) with / t.length;
        }
        return sum / probe.batch();
    }

    /**
     * The repeated-half loss of an ideal copier that predicts by induction alone: at each prediction of
     * the repeated half it spreads its bet evenly over the words that followed every earlier occurrence of
     * the current word (where a word recurs by chance within a copy there are several), so it loses
     * {@code -ln(share of those followers that are the true next word)}.
     */
    static double idealCopierLoss(RepeatedTokens probe) {
        double sum = 0;
        long count = 0;
        for (int[] t : probe.tokens()) {
            for (int c = probe.repeatedLossFrom(); c < probe.repeatedLossTo(); c++) {
                int followers = 0, right = 0;
                for (int j = 0; j < c; j++) {
                    if (t[j] == t[c]) {
                        followers++;
                        right += t[j + 1] == t[c + 1] ? 1 : 0;
                    }
                }
                sum -= Math.log((double) right / followers);
                count++;
            }
        }
        return sum / count;
    }

    /**
     * The losses on the training data's kind of sequence, as the transformer module's ShippedModelTest
     * draws them: 32 sequences of BOS and 23 distinct random words repeated once (seed 1), each half
     * measured over the same columns as {@link RepeatedTokens}' halves.
     */
    static void distinctWordLosses(HookedTransformer model, Map<String, String> out) {
        int half = 23, batch = 32;
        TrainingBatch b = new InductionData(model.config().dVocab(), 0, model.config().nCtx(), 8, half, true)
                .repeatedSequences(new SplittableRandom(1), batch, half);
        int[][] tokens = new int[batch][1 + 2 * half];
        for (int s = 0; s < batch; s++) {
            tokens[s][0] = b.tokens()[s * b.pos()];
            for (int c = 0; c < 2; c++) {
                System.arraycopy(b.tokens(), s * b.pos() + 1, tokens[s], 1 + c * half, half);
            }
        }
        RepeatedTokens layout = new RepeatedTokens(batch, half, 0, 0, 1, model.config().dVocab()); // only its columns are used
        float[] loss = model.perTokenLoss(tokens).mean(0, false).toArray();
        out.put("distinct-first-loss", f2(mean(loss, layout.firstHalfLossFrom(), layout.firstHalfLossTo())));
        out.put("distinct-repeated-loss", String.format(Locale.ROOT, "%.3f", mean(loss, layout.repeatedLossFrom(), layout.repeatedLossTo())));
    }

    /**
     * The numbers of the lesson's first half and of induction on natural text, from the shipped models
     * of English ({@link EnglishLesson}: what {@code lens4j lesson} prints).
     */
    static void englishValues(Map<String, String> out) {
        try (HookedTransformer m1 = Models.fromPretrained("english-1l"); HookedTransformer m2 = Models.fromPretrained("english-2l")) {
            EnglishLesson lesson = EnglishLesson.ofShippedCorpus(m1);
            int[][] held = lesson.heldOut();
            String f3 = "%.3f";
            out.put("english-unigram-loss", String.format(Locale.ROOT, f3, lesson.stats().unigramLoss(held)));
            out.put("english-bigram-loss", String.format(Locale.ROOT, f3, lesson.stats().bigramLoss(held, lesson.bos())));
            out.put("english-1l-loss", String.format(Locale.ROOT, f3, EnglishLesson.loss(m1, held)));
            out.put("english-2l-loss", String.format(Locale.ROOT, f3, EnglishLesson.loss(m2, held)));
            DirectPath.Comparison c = DirectPath.compare(DirectPath.logits(m1.config(), m1.weights()), lesson.stats(),
                    lesson.stats().mostFrequent(300, lesson.bos()), 5, lesson.bos());
            out.put("english-direct-corr", f2(c.meanCorrelation()));
            out.put("english-direct-top1", String.format(Locale.ROOT, "%.0f", 100 * c.top1Agreement()));
            double[] dla = lesson.directLogitShares(m1, 64);
            out.put("english-direct-share", String.format(Locale.ROOT, "%.0f", 100 * dla[0] / (dla[0] + dla[1] + dla[2])));
            EnglishLesson.SkipTrigramScan scan = lesson.skipTrigrams(m1, 300, 3, 0.3f, 1f);
            SkipTrigrams.Triple said = scan.triples().stream().filter(t -> t.head() == 2).findFirst().orElseThrow();
            out.put("english-said-qk", f2(said.qk()));
            out.put("english-said-ov", f2(said.ov()));
            out.put("english-bug-count", String.valueOf(scan.bugs().size()));
            double[] passages = lesson.repeatedPassageLosses(m2, 64);
            out.put("english-2l-passage-first", f2(passages[0]));
            out.put("english-2l-passage-second", f2(passages[1]));
            // induction on english-2l, on the main job's probe (repeated random tokens over the whole vocabulary)
            RepeatedTokens probe2 = RepeatedTokens.forModel(m2);
            ComponentScores prev2 = Measurements.previousTokenScores(m2, probe2);
            ComponentScores ind2 = Measurements.inductionScores(m2, probe2);
            out.put("english-2l-prev-head", prev2.top(1).getFirst().label());
            out.put("english-2l-prev-score", f2(prev2.top(1).getFirst().value()));
            out.put("english-2l-induction-head", ind2.top(1).getFirst().label());
            out.put("english-2l-induction-score", f2(ind2.top(1).getFirst().value()));
            out.put("english-2l-induction-heads", String.valueOf(ind2.ranked().stream()
                    .filter(h -> h.value() >= InductionInvestigation.PATTERN_BAR).count()));
            out.put("english-2l-random-first", f2(Measurements.firstHalfLoss(m2, probe2)));
            out.put("english-2l-random-second", f2(Measurements.repeatedHalfLoss(m2, probe2)));
            // induction on held-out windows of text, as the lesson measures it (LessonData.WINDOWS windows)
            int[][] text = lesson.heldOut(64);
            NaturalTextInduction n2 = NaturalTextInduction.measure(m2, text), n1 = NaturalTextInduction.measure(m1, text);
            String head = ind2.top(1).getFirst().label();              // "L1H0"
            int l = head.charAt(1) - '0', h = Integer.parseInt(head.substring(3));
            out.put("english-2l-text-targets", String.format(Locale.ROOT, "%.0f", 100 * n2.targetShare()));
            out.put("english-2l-text-induction", f2(n2.induction().get(l, h)));
            out.put("english-2l-text-bos", f2(n2.bosWithoutTarget().get(l, h)));
            out.put("english-2l-text-copyable", f2(n2.lossCopyable()));
            out.put("english-1l-text-copyable", f2(n1.lossCopyable()));
            out.put("english-2l-text-seen", f2(n2.lossSeenOtherwise()));
            out.put("english-1l-text-seen", f2(n1.lossSeenOtherwise()));
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    static double mean(float[] v, int from, int to) {
        double s = 0;
        for (int i = from; i < to; i++) {
            s += v[i];
        }
        return s / (to - from);
    }

    @Test
    void quotedNumbersAreTheModels() {
        Map<String, String> values = compute(model);
        List<String> problems = new ArrayList<>();
        int quoted = 0;
        for (Path page : DocsCheck.valuePages()) {
            List<String> lines = DocsCheck.read(page);
            String name = DocsCheck.docsDir().toAbsolutePath().normalize().getParent().relativize(page.toAbsolutePath().normalize()).toString();
            DocsCheck.Result r = DocsCheck.checkValues(name, lines, values, DocsCheck.update());
            problems.addAll(r.problems());
            if (r.changed() > 0) {
                DocsCheck.write(page, r.lines());
            }
            quoted += Markdown.values(lines).size();
        }
        if (!problems.isEmpty()) {
            fail(problems.size() + " number(s) in docs/ are not the model's:\n" + String.join("\n", problems) + "\n" + DocsCheck.HOW_TO_UPDATE);
        }
        assertThat(quoted).isGreaterThan(10);
    }
}
