package dev.lens4j.report;

import dev.lens4j.analysis.attribution.ComponentStack;
import dev.lens4j.analysis.attribution.ResidualStream;
import dev.lens4j.analysis.circuits.Circuits;
import dev.lens4j.analysis.heads.DetectionPatterns;
import dev.lens4j.analysis.heads.HeadDetection;
import dev.lens4j.analysis.heads.HeadDetector;
import dev.lens4j.analysis.heads.InductionEvals;
import dev.lens4j.analysis.heads.RepeatedTokens;
import dev.lens4j.analysis.interventions.Ablation;
import dev.lens4j.hooks.ActivationCache;
import dev.lens4j.hooks.HookSpec;
import dev.lens4j.tensor.Functional;
import dev.lens4j.tensor.Tensor;
import dev.lens4j.transformer.HookedTransformer;
import dev.lens4j.transformer.Normalization;
import dev.lens4j.transformer.TransformerConfig;
import dev.lens4j.transformer.tokenizer.Tokenizer;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;

/**
 * The induction-circuit investigation, start to finish, as one {@link ReportData}: what lens4j's
 * main command runs.
 *
 * <p>On a {@link RepeatedTokens} probe (BOS + {@code n} random tokens + the same {@code n} tokens
 * again) it measures, climbing the evidence ladder:
 * <ol>
 *   <li>loss by position: the second copy is predictable only by induction;</li>
 *   <li>clues: attention patterns and head-detector scores (previous-token, duplicate-token,
 *       induction; lens4j's target score beside TransformerLens's {@code detect_head} "mul");</li>
 *   <li>activation-level evidence: direct logit attribution of every head toward the correct next
 *       token on the repeated half, the loss change when each head is zero-ablated, and EAP-IG edge
 *       scores over the graph of heads from the probe with its first copy redrawn to the probe;</li>
 *   <li>weight-level evidence: OV copying scores, positional QK previous-token scores, K-, Q- and
 *       V-composition against a random baseline, top OV readouts.</li>
 * </ol>
 * Every claim carries its numbers, a verdict and its evidence tier ({@link InductionClaims} judges
 * them against the bars below). The "repeated half" is {@link RepeatedTokens}': the second copy
 * from its second token on (loss entries {@code lead + n .. lead + 2n - 2}), the same positions for
 * the loss card, the ablations and the attribution.
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
     * @param subseqLen length of the random block (the sequence is {@code 1 + 2 subseqLen} tokens with BOS)
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
         * Defaults that fit the model: {@link RepeatedTokens}' default block length, batch and seed
         * (the probe the testing module and the docs use too), 16 heads in the viewer.
         *
         * @param cfg the model's config
         * @return the options
         */
        public static Options defaultsFor(TransformerConfig cfg) {
            return new Options(RepeatedTokens.defaultHalfLength(cfg), RepeatedTokens.defaultBatch(cfg), RepeatedTokens.DEFAULT_SEED,
                    null, 16);
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

        /**
         * The probe these options describe for a model: its BOS and token range, this block length,
         * batch and seed.
         *
         * @param model the model
         * @return the probe
         */
        public RepeatedTokens probe(HookedTransformer model) {
            return RepeatedTokens.forModel(model).withHalfLength(subseqLen).withBatch(batch).withSeed(seed);
        }
    }

    /**
     * The previous-token and induction score ({@link HeadDetectorScores}' target score) that marks a
     * head as a previous-token or induction head in the claims. A perfect head of the kind scores 1.
     */
    public static final float PATTERN_BAR = 0.5f;
    /** How many nats lower the repeated half's loss must be than the first half's for "loss collapses". */
    public static final float LOSS_DROP_BAR = 1.0f;
    /** How many nats of repeated-half loss an ablation must cost to "break induction". */
    public static final float ABLATION_BAR = 1.0f;
    /** The OV copying score of a copying head (1 for a head whose full OV circuit is a positive multiple of the identity). */
    public static final float COPY_BAR = 0.5f;
    /** How many times the random baseline a K-composition score must reach. */
    public static final float COMPOSITION_FACTOR = 1.5f;
    /** The positional previous-token score of a head that finds the previous position from positions alone. */
    public static final float POSITIONAL_BAR = 0.5f;
    /** The interpolation steps of the EAP-IG attribution (the reference implementation's examples use 5 to 30). */
    public static final int EAP_IG_STEPS = 10;
    /** The circuits of the largest EAP-IG edges whose faithfulness the report gives: these many edges, or all. */
    static final int[] CIRCUIT_SIZES = {10, 20, 40, 80};

    private InductionInvestigation() {}

    /**
     * Runs the whole investigation.
     *
     * @param model the model (an induction circuit needs at least 2 layers; the claims say so on one)
     * @param name the model's name for the report
     * @param options what to measure on
     * @param progress progress of the long steps
     * @return the report
     */
    public static ReportData run(HookedTransformer model, String name, Options options, Progress progress) {
        TransformerConfig cfg = model.config();
        RepeatedTokens probe = options.probe(model);
        if (probe.length() > cfg.nCtx()) {
            throw new IllegalArgumentException("a block of " + Plural.of(probe.halfLength(), "token") + " needs "
                    + Plural.of(probe.length(), "position") + ", more than the model's n_ctx " + cfg.nCtx());
        }
        probe.checkFits(model);
        int layers = cfg.nLayers(), heads = cfg.nHeads();
        int bos = probe.bos();
        int[][] tokens = probe.tokens();
        int lead = probe.lead();
        int seqLen = probe.length();

        ReportData.Builder report = ReportData.builder("Induction circuit in " + name, ModelSummary.of(model, name));

        // 1. Loss by position, with the cache every later step reads.
        progress.update("forward pass with cache", 0, 1);
        var run = model.runWithCache(tokens, h -> h.endsWith("attn.hook_pattern") || h.endsWith("attn.hook_z")
                || h.startsWith("ln_final.") || h.endsWith("hook_resid_post") || h.equals("hook_embed")
                || h.equals("hook_pos_embed") || h.endsWith("hook_resid_pre") || h.endsWith("ln1.hook_scale")
                || h.endsWith("ln1_post.hook_scale"));
        progress.update("forward pass with cache", 1, 1);
        Tensor perToken = Functional.perTokenLoss(run.logits(), tokens); // [batch, seqLen - 1]
        LossByPosition loss = LossByPosition.of(toDoubles(perToken.mean(0, false)), probe, cfg.dVocab());
        report.loss(loss);

        // 2. Clues: head-detector scores, lens4j's target score and TransformerLens's detect_head, from the same patterns
        // (every pattern has targets on this probe: the second copy repeats the first).
        ActivationCache cache = run.cache();
        Function<int[], Tensor> prevPattern = t -> DetectionPatterns.previousToken(t.length);
        Function<int[], Tensor> dupPattern = DetectionPatterns::duplicateToken;
        Function<int[], Tensor> indPattern = DetectionPatterns::induction;
        boolean excludeBos = lead == 1;
        Tensor prev = HeadDetection.targetScores(cache, tokens, prevPattern, excludeBos);
        Tensor ind = HeadDetection.targetScores(cache, tokens, indPattern, excludeBos);
        HeadDetectorScores detected = new HeadDetectorScores(grid(prev), grid(HeadDetection.targetScores(cache, tokens, dupPattern, excludeBos)),
                grid(ind), grid(detectHead(cache, tokens, prevPattern)), grid(detectHead(cache, tokens, dupPattern)),
                grid(detectHead(cache, tokens, indPattern)));
        report.headScores(detected);
        PatternBars bars = PatternBars.of(cfg, tokens, prevPattern, indPattern, excludeBos);
        List<HeadId> inductionHeads = detected.inductionHeads(bars.induction());

        // 3. Activation-level evidence: direct logit attribution on the repeated half.
        ResidualStream stream = ResidualStream.of(model, cache);
        ComponentStack headStack = stream.stackHeadContributions(-1, false, false); // through Gemma 2's ln1_post
        int[][] next = new int[tokens.length][seqLen];
        for (int b = 0; b < tokens.length; b++) {
            System.arraycopy(tokens[b], 1, next[b], 0, seqLen - 1);
            next[b][seqLen - 1] = tokens[b][seqLen - 1]; // no next token: outside the averaged positions
        }
        ComponentStack attrs = new dev.lens4j.analysis.attribution.DirectLogitAttribution(stream).logitAttrs(headStack, next, null);
        List<LabelledValue> dla = new ArrayList<>();
        float[] dlaByHead = new float[layers * heads];
        for (int c = 0; c < attrs.size(); c++) {
            Tensor perPos = attrs.get(c); // [batch, pos]: position p predicts token p + 1, as loss entry p
            float v = perPos.slice(1, probe.repeatedLossFrom(), probe.repeatedLossTo()).mean();
            dla.add(new LabelledValue(attrs.labels().get(c), v));
            dlaByHead[c] = v;
        }
        report.dla(new DirectLogitAttribution(dlaCaption(model.config().normalization()), dla));

        // 4. Activation-level evidence: zero-ablate every head, and the induction heads together.
        float baseline = InductionEvals.repeatedHalfLoss(model, probe);
        List<LabelledValue> ablation = new ArrayList<>();
        float[] ablationByHead = new float[layers * heads];
        int total = layers * heads;
        for (int l = 0; l < layers; l++) {
            for (int h = 0; h < heads; h++) {
                progress.update("ablating heads", l * heads + h, total);
                float delta = InductionEvals.repeatedHalfLoss(model, probe, Ablation.head(l, h).zero()) - baseline;
                ablation.add(new LabelledValue(label(l, h), delta));
                ablationByHead[l * heads + h] = delta;
            }
        }
        progress.update("ablating heads", total, total);
        report.ablation(new HeadAblation("zero ablation of the head's hook_z; change in the mean loss over the repeated half, in nats",
                baseline, ablation));
        float inductionAblation = Float.NaN;
        if (!inductionHeads.isEmpty()) {
            HookSpec[] all = inductionHeads.stream().map(h -> Ablation.head(h.layer(), h.head()).zero()).toArray(HookSpec[]::new);
            inductionAblation = InductionEvals.repeatedHalfLoss(model, probe, all) - baseline;
        }

        // 5. Activation-level evidence: EAP-IG over the graph of heads, from the probe with its first copy redrawn to the probe.
        progress.update("edge attribution (EAP-IG)", 0, 1);
        EdgeAttributionStep edges = EdgeAttributionStep.run(model, probe, tokens, EAP_IG_STEPS, CIRCUIT_SIZES,
                detected.previousTokenHead(), inductionHeads);
        if (edges.graph() != null) {
            report.edgeAttribution(edges.graph());
        }
        progress.update("edge attribution (EAP-IG)", 1, 1);

        // 6. Weight-level evidence: OV copying, positional QK, composition.
        progress.update("weight analysis", 0, 3);
        Circuits circuits = new Circuits(cfg, model.weights());
        Tensor copying = circuits.copyingScores();
        PositionalQk positional = PositionalQk.of(cfg, circuits, cache, seqLen); // not applicable with rotary positions
        progress.update("weight analysis", 1, 3);
        Tensor q = dev.lens4j.analysis.circuits.CompositionScores.all(circuits, dev.lens4j.analysis.circuits.CompositionScores.Mode.Q);
        Tensor k = dev.lens4j.analysis.circuits.CompositionScores.all(circuits, dev.lens4j.analysis.circuits.CompositionScores.Mode.K);
        Tensor v = dev.lens4j.analysis.circuits.CompositionScores.all(circuits, dev.lens4j.analysis.circuits.CompositionScores.Mode.V);
        progress.update("weight analysis", 2, 3);
        float compBaseline = dev.lens4j.analysis.circuits.CompositionScores.randomBaseline(cfg.dModel(), cfg.dHead(), 200, options.seed());
        progress.update("weight analysis", 3, 3);
        CompositionScores composition = new CompositionScores(grid4(q), grid4(k), grid4(v), compBaseline,
                Circuits.qkLeavesOutNorms(cfg).map(why -> why + "; the Q- and K-composition scores use W_Q and W_K alone")
                        .orElse(null));
        report.composition(composition);

        // 7. The sequence for the viewer, and OV readouts of the best induction-head candidate on its tokens.
        int[] viewer = options.prompt() == null ? tokens[0] : promptTokens(model, options.prompt());
        List<String> strTokens = strTokens(model, viewer);
        List<QkOvAnalysis.OvReadout> readouts = new ArrayList<>();
        Optional<HeadId> indHead = detected.inductionHead();
        int shown = 0;
        for (int p = lead; indHead.isPresent() && p < viewer.length && shown < 5; p++) {
            int src = viewer[p];
            if (src == bos) {
                continue;
            }
            HeadId h = indHead.get();
            Tensor row = circuits.ovRow(h.layer(), h.head(), src);
            List<QkOvAnalysis.TokenScore> scores = new ArrayList<>();
            for (int t : Circuits.topK(row, 5)) {
                scores.add(new QkOvAnalysis.TokenScore(tokenString(model, t), row.get(t)));
            }
            readouts.add(new QkOvAnalysis.OvReadout(h, tokenString(model, src), scores));
            shown++;
        }
        double[][] copyingGrid = grid(copying);
        report.qkOv(new QkOvAnalysis(copyingGrid, positional.scores(), positional.notApplicable(), readouts));
        report.attention(viewerPatterns(model, viewer, strTokens, prev, ind, options, run.cache(), options.prompt() == null));

        // 8. Claims, each with its numbers, verdict and tier.
        InductionClaims.Evidence evidence = new InductionClaims.Evidence(probe, loss, detected, dlaByHead, baseline, ablationByHead,
                inductionAblation, edges, composition, copyingGrid, positional, hookedPoints(model), perfectDetectHead(tokens, indPattern),
                bars, Circuits.qkLeavesOutNorms(cfg).orElse(null));
        for (Claim c : InductionClaims.judge(evidence)) {
            report.claim(c);
        }
        return report.build();
    }

    // ------------------------------------------------------------------ helpers

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
            throw new IllegalArgumentException("the prompt is " + Plural.of(t.length, "token") + ", longer than the model's n_ctx "
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

    /** TransformerLens's {@code detect_head} "mul", no exclusions, on the cached patterns. */
    private static Tensor detectHead(ActivationCache cache, int[][] tokens, Function<int[], Tensor> pattern) {
        return HeadDetection.detectHead(cache, tokens, pattern, false, false, HeadDetector.ErrorMeasure.MUL);
    }

    /**
     * TransformerLens's detect_head "mul" of a perfect head on these sequences: it puts all of each
     * query's attention on targets where the query has one, so it scores the share of queries that do.
     */
    private static double perfectDetectHead(int[][] tokens, Function<int[], Tensor> pattern) {
        double sum = 0;
        for (int[] t : tokens) {
            Tensor rows = pattern.apply(t).sum(1, false); // [pos]: targets per query
            int with = 0;
            for (float r : rows.toArray()) {
                with += r > 0 ? 1 : 0;
            }
            sum += (double) with / t.length;
        }
        return sum / tokens.length;
    }

    /** The hook points the model's own hooks fire on, in the model's order. */
    private static List<String> hookedPoints(HookedTransformer model) {
        List<HookSpec> hooks = model.hooks().snapshot();
        List<String> out = new ArrayList<>();
        for (String point : model.hookPointNames()) {
            if (hooks.stream().anyMatch(h -> h.matches(point))) {
                out.add(point);
            }
        }
        return out;
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

    /** {@code [a, b]} as rows of doubles. */
    static double[][] grid(Tensor t) {
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

    /** The DLA section's caption, naming the model's own final norm (LayerNorm, RMSNorm or none). */
    static String dlaCaption(Normalization norm) {
        String scale = norm == Normalization.NONE ? "with no final norm" : "after the final " + norm.displayName() + "'s scale";
        return "mean direct logit attribution toward the correct next token over the repeated half, " + scale + ", in logits";
    }
}
