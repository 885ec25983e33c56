package dev.lens4j.report;

import dev.lens4j.analysis.attribution.ComponentStack;
import dev.lens4j.analysis.attribution.ResidualStream;
import dev.lens4j.analysis.circuits.Circuits;
import dev.lens4j.analysis.heads.DetectionPatterns;
import dev.lens4j.analysis.heads.HeadDetector;
import dev.lens4j.analysis.heads.InductionEvals;
import dev.lens4j.analysis.interventions.Ablation;
import dev.lens4j.hooks.ActivationCache;
import dev.lens4j.hooks.HookSpec;
import dev.lens4j.tensor.Functional;
import dev.lens4j.tensor.Tensor;
import dev.lens4j.transformer.HookedTransformer;
import dev.lens4j.transformer.TransformerConfig;
import dev.lens4j.transformer.tokenizer.Tokenizer;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;

/**
 * The induction-circuit investigation, start to finish, as one {@link ReportData}: what lens4j's
 * main command runs.
 *
 * <p>On sequences of BOS + {@code n} random tokens + the same {@code n} tokens again it measures,
 * climbing the evidence ladder:
 * <ol>
 *   <li>loss by position: the second copy is predictable only by induction;</li>
 *   <li>clues: attention patterns and head-detector scores (previous-token, duplicate-token,
 *       induction, TransformerLens's {@code detect_head} "mul");</li>
 *   <li>activation-level evidence: direct logit attribution of every head toward the correct next
 *       token on the repeated half, and the loss change when each head is zero-ablated;</li>
 *   <li>weight-level evidence: OV copying scores, positional QK previous-token scores, K-, Q- and
 *       V-composition against a random baseline, top OV readouts.</li>
 * </ol>
 * Every claim carries its numbers, a verdict and its evidence tier. The "repeated half" is the
 * second copy from its second token on (loss entries {@code n+1 .. 2n-1}): the first token of the
 * second copy follows the boundary and cannot be predicted.
 */
public final class InductionInvestigation {

    /** Reports progress of the long steps (one forward pass per head for the ablations). */
    @FunctionalInterface
    public interface Progress {
        /**
         * Called when a step of a long stage is done (and with {@code done = 0} when the stage starts).
         *
         * @param stage what is being done
         * @param done steps done
         * @param total steps in this stage
         */
        void update(String stage, int done, int total);

        /**
         * A listener that ignores everything.
         *
         * @return a listener that ignores everything
         */
        static Progress none() {
            return (s, d, t) -> { };
        }
    }

    /**
     * What to measure on.
     *
     * @param subseqLen length of the random block (the sequence is {@code 1 + 2 subseqLen} tokens)
     * @param batch how many random sequences
     * @param seed seed of the random tokens and of the composition baseline
     * @param prompt text to show in the attention viewer instead of the first random sequence, or null
     * @param maxViewerHeads how many heads' patterns go into the viewer (the most induction- and
     *                       previous-token-like first); all heads when the model has no more
     */
    public record Options(int subseqLen, int batch, long seed, String prompt, int maxViewerHeads) {

        /** Validates the sizes. */
        public Options {
            if (subseqLen < 3) {
                throw new IllegalArgumentException("the random block needs at least 3 tokens, got " + subseqLen);
            }
            if (batch < 1) {
                throw new IllegalArgumentException("need at least one sequence, got " + batch);
            }
            if (maxViewerHeads < 1) {
                throw new IllegalArgumentException("the viewer needs at least one head, got " + maxViewerHeads);
            }
        }

        /**
         * Defaults that fit the model: the longest block its context allows, up to 24 tokens; 16
         * sequences for small models, 4 for GPT-2-sized ones.
         *
         * @param cfg the model's config
         * @return the options
         */
        public static Options defaultsFor(TransformerConfig cfg) {
            int n = Math.min(24, (cfg.nCtx() - 1) / 2);
            int batch = cfg.dModel() >= 512 ? 4 : 16;
            return new Options(n, batch, 1234L, null, 16);
        }

        /**
         * The same options with a prompt for the attention viewer.
         *
         * @param text a prompt for the attention viewer
         * @return a copy with the prompt
         */
        public Options withPrompt(String text) {
            return new Options(subseqLen, batch, seed, text, maxViewerHeads);
        }
    }

    /**
     * The head-detector score ({@code detect_head} "mul") that marks a head as a previous-token or
     * induction head in the claims; see {@link HeadDetectorScores#inductionHeads(double)}.
     */
    public static final float PATTERN_BAR = 0.5f;
    private static final float ABLATION_BAR = 1.0f;   // nats of repeated-half loss an essential head costs
    private static final float COPY_BAR = 0.5f;       // OV copying score of a copying head
    private static final float COMPOSITION_FACTOR = 1.5f; // composition score over the random baseline

    private InductionInvestigation() {}

    /**
     * Runs the whole investigation.
     *
     * @param model the model (attention patterns need at least 2 layers for an induction circuit)
     * @param name the model's name for the report
     * @param options what to measure on
     * @param progress progress of the long steps
     * @return the report
     */
    public static ReportData run(HookedTransformer model, String name, Options options, Progress progress) {
        TransformerConfig cfg = model.config();
        int n = options.subseqLen();
        if (1 + 2 * n > cfg.nCtx()) {
            throw new IllegalArgumentException("a block of " + n + " tokens needs " + (1 + 2 * n)
                    + " positions, more than the model's n_ctx " + cfg.nCtx());
        }
        int layers = cfg.nLayers(), heads = cfg.nHeads();
        int bos = InductionEvals.bos(model);
        int low = cfg.dVocab() > 20000 ? InductionEvals.TL_TOKEN_LOW : 0;
        int high = cfg.dVocab() > 20000 ? InductionEvals.TL_TOKEN_HIGH : cfg.dVocab();
        int[][] tokens = InductionEvals.repeatedTokens(options.batch(), n, bos, low, high, options.seed());
        int lead = bos >= 0 ? 1 : 0;
        int seqLen = tokens[0].length;
        // loss entry i predicts token i + 1; the second copy starts at token lead + n
        int repeatedStart = lead + n;

        ReportData.Builder report = ReportData.builder("Induction circuit in " + name, ModelSummary.of(model, name));

        // 1. Loss by position, with the cache every later step reads.
        progress.update("forward pass with cache", 0, 1);
        var run = model.runWithCache(tokens, h -> h.endsWith("attn.hook_pattern") || h.endsWith("attn.hook_z")
                || h.startsWith("ln_final.") || h.endsWith("hook_resid_post") || h.equals("hook_embed")
                || h.equals("hook_pos_embed") || h.endsWith("hook_resid_pre") || h.endsWith("ln1.hook_scale"));
        progress.update("forward pass with cache", 1, 1);
        Tensor perToken = Functional.perTokenLoss(run.logits(), tokens); // [batch, seqLen - 1]
        double[] meanLoss = toDoubles(perToken.mean(0, false));
        LossByPosition loss = LossByPosition.of(meanLoss, repeatedStart, cfg.dVocab(), options.batch());
        report.loss(loss);

        // 2. Clues: head-detector scores averaged over the sequences.
        ActivationCache cache = run.cache();
        Tensor prev = Tensor.zeros(layers, heads);
        Tensor dup = Tensor.zeros(layers, heads);
        Tensor ind = Tensor.zeros(layers, heads);
        for (int b = 0; b < options.batch(); b++) {
            Tensor patterns = patternsOf(cache, b, layers); // [L, H, pos, pos]
            prev = prev.add(HeadDetector.scores(patterns, DetectionPatterns.previousToken(seqLen), false, false, HeadDetector.ErrorMeasure.MUL));
            dup = dup.add(HeadDetector.scores(patterns, DetectionPatterns.duplicateToken(tokens[b]), false, false, HeadDetector.ErrorMeasure.MUL));
            ind = ind.add(HeadDetector.scores(patterns, DetectionPatterns.induction(tokens[b]), false, false, HeadDetector.ErrorMeasure.MUL));
        }
        prev = prev.div(options.batch());
        dup = dup.div(options.batch());
        ind = ind.div(options.batch());
        HeadDetectorScores detected = new HeadDetectorScores(grid(prev), grid(dup), grid(ind));
        report.headScores(detected);
        // the heads every later claim is about, chosen by the report data's own rule (so readers of the
        // data find the same heads): previous-token heads sit before the last layer, induction heads after the first
        HeadId prevHead = detected.previousTokenHead();
        HeadId indHead = detected.inductionHead();

        // 3. Activation-level evidence: direct logit attribution on the repeated half.
        ResidualStream stream = ResidualStream.of(model, cache);
        ComponentStack headStack = stream.stackHeadResults(-1, false, false);
        int[][] next = new int[tokens.length][seqLen];
        for (int b = 0; b < tokens.length; b++) {
            for (int p = 0; p + 1 < seqLen; p++) {
                next[b][p] = tokens[b][p + 1];
            }
            next[b][seqLen - 1] = tokens[b][seqLen - 1]; // no next token: excluded below
        }
        ComponentStack attrs = new dev.lens4j.analysis.attribution.DirectLogitAttribution(stream).logitAttrs(headStack, next, null);
        List<LabelledValue> dla = new ArrayList<>();
        float[] dlaByHead = new float[layers * heads];
        for (int c = 0; c < attrs.size(); c++) {
            Tensor perPos = attrs.get(c); // [batch, pos]
            float v = perPos.slice(1, repeatedStart + 1, seqLen - 1).mean();
            dla.add(new LabelledValue(attrs.labels().get(c), v));
            dlaByHead[c] = v;
        }
        report.dla(new DirectLogitAttribution("mean direct logit attribution toward the correct next token, repeated half, "
                + "after the final LayerNorm scale (nats of logit)", dla));

        // 4. Activation-level evidence: zero-ablate every head.
        float baseline = repeatedHalfLoss(model, tokens, repeatedStart);
        List<LabelledValue> ablation = new ArrayList<>();
        float[] ablationByHead = new float[layers * heads];
        int total = layers * heads;
        for (int l = 0; l < layers; l++) {
            for (int h = 0; h < heads; h++) {
                progress.update("ablating heads", l * heads + h, total);
                float delta = repeatedHalfLoss(model, tokens, repeatedStart, Ablation.head(l, h).zero()) - baseline;
                ablation.add(new LabelledValue(label(l, h), delta));
                ablationByHead[l * heads + h] = delta;
            }
        }
        progress.update("ablating heads", total, total);
        report.ablation(new HeadAblation("zero ablation of the head's hook_z; change in mean loss on the repeated half (nats)",
                baseline, ablation));

        // 5. Weight-level evidence: OV copying, positional QK, composition.
        progress.update("weight analysis", 0, 3);
        Circuits circuits = new Circuits(cfg, model.weights());
        Tensor copying = circuits.copyingScores();
        float[] lnScale = new float[layers];
        for (int l = 0; l < layers; l++) {
            String scaleName = "blocks." + l + ".ln1.hook_scale";
            lnScale[l] = cache.contains(scaleName) ? cache.get(scaleName).mean() : 1f;
        }
        Tensor positional = circuits.positionalPreviousTokenScores(seqLen, lnScale);
        progress.update("weight analysis", 1, 3);
        Tensor q = dev.lens4j.analysis.circuits.CompositionScores.all(circuits, dev.lens4j.analysis.circuits.CompositionScores.Mode.Q);
        Tensor k = dev.lens4j.analysis.circuits.CompositionScores.all(circuits, dev.lens4j.analysis.circuits.CompositionScores.Mode.K);
        Tensor v = dev.lens4j.analysis.circuits.CompositionScores.all(circuits, dev.lens4j.analysis.circuits.CompositionScores.Mode.V);
        progress.update("weight analysis", 2, 3);
        float compBaseline = dev.lens4j.analysis.circuits.CompositionScores.randomBaseline(cfg.dModel(), cfg.dHead(), 200, options.seed());
        progress.update("weight analysis", 3, 3);
        report.composition(new CompositionScores(grid4(q), grid4(k), grid4(v), compBaseline));

        // 6. The sequence for the viewer, and OV readouts of the induction head on its tokens.
        int[] viewer = options.prompt() == null ? tokens[0] : promptTokens(model, options.prompt());
        List<String> strTokens = strTokens(model, viewer);
        List<QkOvAnalysis.OvReadout> readouts = new ArrayList<>();
        int shown = 0;
        for (int p = lead; p < viewer.length && shown < 5; p++) {
            int src = viewer[p];
            if (src == bos) {
                continue;
            }
            int[] top = Circuits.topK(circuits.ovRow(indHead.layer(), indHead.head(), src), 5);
            Tensor row = circuits.ovRow(indHead.layer(), indHead.head(), src);
            List<QkOvAnalysis.TokenScore> scores = new ArrayList<>();
            for (int t : top) {
                scores.add(new QkOvAnalysis.TokenScore(tokenString(model, t), row.get(t)));
            }
            readouts.add(new QkOvAnalysis.OvReadout(indHead, tokenString(model, src), scores));
            shown++;
        }
        report.qkOv(new QkOvAnalysis(grid(copying), grid(positional), readouts));
        report.attention(viewerPatterns(model, viewer, strTokens, prev, ind, options, run.cache(), options.prompt() == null));

        // 7. Claims, each with its numbers, verdict and tier. Induction heads are often redundant
        // (several layer-1 heads each do the job), so claims about "the induction heads" are about
        // the set of heads whose induction score clears the bar (or the best one when none does).
        String prevLabel = prevHead.label();
        float prevScore = prev.get(prevHead.layer(), prevHead.head());
        List<Integer> indSet = new ArrayList<>();
        for (HeadId h : detected.inductionHeads(PATTERN_BAR)) {
            indSet.add(h.layer() * heads + h.head());
        }
        String indLabels = labels(indSet, heads);
        String indScores = valuesOf(indSet, ind.toArray(), heads);
        int prevIdx = prevHead.layer() * heads + prevHead.head();
        report.claim(new Claim("Loss collapses on the repeated half of repeated random tokens",
                verdict(loss.repeatedHalfMean() < loss.firstHalfMean() - 1.0),
                String.format(Locale.ROOT, "first half %.2f nats (ln d_vocab = %.2f), repeated half %.2f nats, over %d sequences",
                        loss.firstHalfMean(), loss.lnVocab(), loss.repeatedHalfMean(), options.batch()),
                EvidenceTier.ACTIVATION));
        report.claim(new Claim(prevLabel + " is a previous-token head",
                verdict(prevScore >= PATTERN_BAR),
                String.format(Locale.ROOT, "previous-token score %.2f (detect_head mul; bar %.1f); next best %s",
                        prevScore, PATTERN_BAR, runnerUp(prev, prevHead, detected.previousTokenLayerEnd())),
                EvidenceTier.CLUE));
        report.claim(new Claim(indLabels + (indSet.size() == 1 ? " is an induction head" : " are induction heads"),
                verdict(ind.get(indHead.layer(), indHead.head()) >= PATTERN_BAR),
                String.format(Locale.ROOT, "induction scores %s (detect_head mul; bar %.1f)", indScores, PATTERN_BAR),
                EvidenceTier.CLUE));
        float minIndDla = Float.POSITIVE_INFINITY;
        float maxOtherDla = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < dlaByHead.length; i++) {
            if (indSet.contains(i)) {
                minIndDla = Math.min(minIndDla, dlaByHead[i]);
            } else {
                maxOtherDla = Math.max(maxOtherDla, dlaByHead[i]);
            }
        }
        report.claim(new Claim("The induction heads write the correct next token directly: their direct logit attributions are the largest of all heads",
                verdict(minIndDla > maxOtherDla),
                String.format(Locale.ROOT, "induction heads %s; largest other head %.2f; top: %s",
                        valuesOf(indSet, dlaByHead, heads), maxOtherDla, top(dlaByHead, heads, 3)),
                EvidenceTier.ACTIVATION));
        List<HookSpec> indAblation = new ArrayList<>();
        for (int i : indSet) {
            indAblation.add(Ablation.head(i / heads, i % heads).zero());
        }
        float allInd = repeatedHalfLoss(model, tokens, repeatedStart, indAblation.toArray(HookSpec[]::new)) - baseline;
        report.claim(new Claim("Ablating the induction heads breaks induction (repeated-half loss rises by more than " + ABLATION_BAR + " nat)",
                verdict(allInd > ABLATION_BAR),
                String.format(Locale.ROOT, "ablating %s together: loss %.2f -> %.2f nats (%+.2f); one at a time: %s", indLabels,
                        baseline, baseline + allInd, allInd, valuesOf(indSet, ablationByHead, heads)),
                EvidenceTier.ACTIVATION));
        report.claim(new Claim("Ablating the previous-token head " + prevLabel + " also breaks induction (it feeds the induction heads' keys)",
                verdict(ablationByHead[prevIdx] > ABLATION_BAR),
                String.format(Locale.ROOT, "repeated-half loss %+.2f nats; largest single-head increases: %s",
                        ablationByHead[prevIdx], top(ablationByHead, heads, 3)),
                EvidenceTier.ACTIVATION));
        float minK = Float.POSITIVE_INFINITY;
        StringBuilder kText = new StringBuilder();
        for (int i : indSet) {
            float kc = k.get(prevHead.layer(), prevHead.head(), i / heads, i % heads);
            minK = Math.min(minK, kc);
            kText.append(kText.isEmpty() ? "" : ", ").append(String.format(Locale.ROOT, "%s %.3f (Q %.3f, V %.3f)",
                    label(i / heads, i % heads), kc, q.get(prevHead.layer(), prevHead.head(), i / heads, i % heads),
                    v.get(prevHead.layer(), prevHead.head(), i / heads, i % heads)));
        }
        boolean later = indSet.stream().allMatch(i -> i / heads > prevHead.layer());
        report.claim(new Claim("The induction heads read " + prevLabel + "'s output through their keys (K-composition above the random baseline)",
                later ? verdict(minK > COMPOSITION_FACTOR * compBaseline) : Verdict.INCONCLUSIVE,
                String.format(Locale.ROOT, "K-composition from %s: %s; random baseline %.3f, bar %.1fx baseline",
                        prevLabel, kText, compBaseline, COMPOSITION_FACTOR),
                EvidenceTier.WEIGHT));
        float minCopy = Float.POSITIVE_INFINITY;
        for (int i : indSet) {
            minCopy = Math.min(minCopy, copying.get(i / heads, i % heads));
        }
        report.claim(new Claim("The induction heads' OV circuits copy the token they attend to",
                verdict(minCopy > COPY_BAR),
                String.format(Locale.ROOT, "copying scores %s (Re(sum eigenvalues) / sum |eigenvalues| of W_E OV W_U; bar %.1f)",
                        valuesOf(indSet, copying.toArray(), heads), COPY_BAR),
                EvidenceTier.WEIGHT));
        float posPrev = positional.get(prevHead.layer(), prevHead.head());
        report.claim(new Claim(prevLabel + " finds the previous position from positional embeddings alone",
                verdict(posPrev >= PATTERN_BAR),
                String.format(Locale.ROOT, "mean attention to position i-1 from (W_pos / ln1 scale) QK (W_pos / ln1 scale)^T: %.2f", posPrev),
                EvidenceTier.WEIGHT));
        return report.build();
    }

    // ------------------------------------------------------------------ helpers

    /** Mean per-token loss over the repeated half (loss entries {@code repeatedStart + 1 ..}). */
    static float repeatedHalfLoss(HookedTransformer model, int[][] tokens, int repeatedStart, HookSpec... hooks) {
        Tensor logits = model.runWithHooks(tokens, hooks);
        Tensor perToken = Functional.perTokenLoss(logits, tokens);
        return perToken.slice(1, repeatedStart + 1, perToken.dim(1)).mean();
    }

    private static Tensor patternsOf(ActivationCache cache, int b, int layers) {
        Tensor[] per = new Tensor[layers];
        for (int l = 0; l < layers; l++) {
            per[l] = cache.get("pattern", l).select(0, b); // [H, pos, pos]
        }
        return Tensor.stack(0, per);
    }

    private static AttentionPatterns viewerPatterns(HookedTransformer model, int[] viewer, List<String> strTokens,
                                                    Tensor prev, Tensor ind, Options options, ActivationCache cache,
                                                    boolean fromCache) {
        int layers = prev.dim(0), heads = prev.dim(1);
        List<int[]> chosen = new ArrayList<>();
        if (layers * heads <= options.maxViewerHeads()) {
            for (int l = 0; l < layers; l++) {
                for (int h = 0; h < heads; h++) {
                    chosen.add(new int[] {l, h});
                }
            }
        } else {
            // the most induction-like and previous-token-like heads, alternating
            Integer[] byInd = order(ind);
            Integer[] byPrev = order(prev);
            for (int i = 0; chosen.size() < options.maxViewerHeads() && i < byInd.length; i++) {
                addUnique(chosen, byInd[i], heads);
                if (chosen.size() < options.maxViewerHeads()) {
                    addUnique(chosen, byPrev[i], heads);
                }
            }
            chosen.sort(Comparator.<int[]>comparingInt(x -> x[0]).thenComparingInt(x -> x[1]));
        }
        ActivationCache c = fromCache ? cache
                : model.runWithCache(new int[][] {viewer}, h -> h.endsWith("attn.hook_pattern")).cache();
        List<AttentionPatterns.HeadPattern> out = new ArrayList<>();
        for (int[] lh : chosen) {
            Tensor p = c.get("pattern", lh[0]).select(0, 0).select(0, lh[1]); // [pos, pos]
            out.add(new AttentionPatterns.HeadPattern(new HeadId(lh[0], lh[1]), grid(p)));
        }
        String description = fromCache ? "The first repeated random sequence (BOS, a random block, the block again)"
                : "The prompt";
        return new AttentionPatterns(description, strTokens, out);
    }

    private static void addUnique(List<int[]> chosen, int flat, int heads) {
        for (int[] c : chosen) {
            if (c[0] * heads + c[1] == flat) {
                return;
            }
        }
        chosen.add(new int[] {flat / heads, flat % heads});
    }

    private static Integer[] order(Tensor scores) {
        float[] v = scores.toArray();
        Integer[] idx = new Integer[v.length];
        for (int i = 0; i < v.length; i++) {
            idx[i] = i;
        }
        Arrays.sort(idx, (a, b) -> Float.compare(v[b], v[a]));
        return idx;
    }

    private static int[] promptTokens(HookedTransformer model, String prompt) {
        if (!model.hasTokenizer()) {
            throw new IllegalArgumentException("the model has no tokenizer, so a text prompt cannot be used");
        }
        int[] t = model.tokenizer().toTokens(prompt);
        if (t.length > model.config().nCtx()) {
            throw new IllegalArgumentException("the prompt is " + t.length + " tokens, longer than the model's n_ctx "
                    + model.config().nCtx());
        }
        return t;
    }

    private static List<String> strTokens(HookedTransformer model, int[] ids) {
        List<String> out = new ArrayList<>();
        for (int id : ids) {
            out.add(tokenString(model, id));
        }
        return out;
    }

    private static String tokenString(HookedTransformer model, int id) {
        if (!model.hasTokenizer()) {
            return "#" + id;
        }
        Tokenizer t = model.tokenizer();
        // d_vocab may be larger than the tokenizer's vocabulary (padded to a round number, or ids it
        // leaves unused): random tokens and OV readouts range over all of d_vocab, so name those ids by number
        if (id >= t.vocabSize()) {
            return "#" + id;
        }
        try {
            return t.tokenString(id);
        } catch (IllegalArgumentException unused) { // an id inside the vocabulary's range that it does not use
            return "#" + id;
        }
    }

    /** The best head other than {@code best} in layers {@code [0, toLayer)}, with its score, or "none". */
    private static String runnerUp(Tensor scores, HeadId best, int toLayer) {
        int heads = scores.dim(1);
        String label = "none";
        float v = Float.NEGATIVE_INFINITY;
        for (int l = 0; l < toLayer; l++) {
            for (int h = 0; h < heads; h++) {
                if ((l != best.layer() || h != best.head()) && scores.get(l, h) > v) {
                    v = scores.get(l, h);
                    label = label(l, h);
                }
            }
        }
        return v == Float.NEGATIVE_INFINITY ? label : String.format(Locale.ROOT, "%s %.2f", label, v);
    }

    private static String top(float[] values, int heads, int k) {
        Integer[] idx = new Integer[values.length];
        for (int i = 0; i < values.length; i++) {
            idx[i] = i;
        }
        Arrays.sort(idx, (a, b) -> Float.compare(values[b], values[a]));
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < Math.min(k, idx.length); i++) {
            if (i > 0) {
                s.append(", ");
            }
            s.append(String.format(Locale.ROOT, "%s %.2f", label(idx[i] / heads, idx[i] % heads), values[idx[i]]));
        }
        return s.toString();
    }

    private static String labels(List<Integer> idx, int heads) {
        StringBuilder b = new StringBuilder();
        for (int i : idx) {
            b.append(b.isEmpty() ? "" : ", ").append(label(i / heads, i % heads));
        }
        return b.toString();
    }

    private static String valuesOf(List<Integer> idx, float[] values, int heads) {
        StringBuilder b = new StringBuilder();
        for (int i : idx) {
            b.append(b.isEmpty() ? "" : ", ").append(String.format(Locale.ROOT, "%s %.2f", label(i / heads, i % heads), values[i]));
        }
        return b.toString();
    }

    private static Verdict verdict(boolean supported) {
        return supported ? Verdict.SUPPORTED : Verdict.NOT_SUPPORTED;
    }

    private static String label(int l, int h) {
        return "L" + l + "H" + h;
    }

    private static double[] toDoubles(Tensor t) {
        float[] f = t.toArray();
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) {
            d[i] = f[i];
        }
        return d;
    }

    private static double[][] grid(Tensor t) {
        double[][] g = new double[t.dim(0)][t.dim(1)];
        float[] f = t.toArray();
        for (int i = 0; i < g.length; i++) {
            for (int j = 0; j < g[i].length; j++) {
                g[i][j] = f[i * g[i].length + j];
            }
        }
        return g;
    }

    private static double[][][][] grid4(Tensor t) {
        int a = t.dim(0), b = t.dim(1), c = t.dim(2), d = t.dim(3);
        float[] f = t.toArray();
        double[][][][] g = new double[a][b][c][d];
        for (int i = 0; i < a; i++) {
            for (int j = 0; j < b; j++) {
                for (int k = 0; k < c; k++) {
                    for (int l = 0; l < d; l++) {
                        g[i][j][k][l] = f[((i * b + j) * c + k) * d + l];
                    }
                }
            }
        }
        return g;
    }
}
