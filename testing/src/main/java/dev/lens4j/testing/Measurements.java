package dev.lens4j.testing;

import dev.lens4j.analysis.attribution.ComponentStack;
import dev.lens4j.analysis.attribution.DirectLogitAttribution;
import dev.lens4j.analysis.attribution.ResidualStream;
import dev.lens4j.analysis.circuits.Circuits;
import dev.lens4j.analysis.circuits.CompositionScores;
import dev.lens4j.analysis.heads.HeadDetection;
import dev.lens4j.analysis.heads.HeadDetector;
import dev.lens4j.analysis.heads.InductionEvals;
import dev.lens4j.analysis.heads.RepeatedTokens;
import dev.lens4j.analysis.interventions.Ablation;
import dev.lens4j.hooks.HookSpec;
import dev.lens4j.tensor.Tensor;
import dev.lens4j.transformer.ForwardResult;
import dev.lens4j.transformer.HookedTransformer;
import dev.lens4j.transformer.TransformerConfig;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The measurements behind {@link LensAssertions}, for use on their own: each returns the numbers an
 * assertion checks, labelled and described, so an experiment can print, plot or compare them.
 *
 * <pre>{@code
 * RepeatedTokens probe = RepeatedTokens.forModel(model);
 * ComponentScores induction = Measurements.inductionScores(model, probe);        // every head
 * ComponentScores dla = Measurements.directLogitAttribution(model, probe);      // heads, embeddings, biases
 * float loss = Measurements.repeatedHalfLoss(model, probe);                     // nats
 * float ablated = Measurements.repeatedHalfLoss(model, probe, Ablation.head(1, 2).zero());
 * }</pre>
 *
 * <p>Head scores on activations are measured on a {@link RepeatedTokens} probe; scores on weights
 * ({@link #copyingScores}, {@link #compositionInto}) need no run. All of them are computed afresh on each call.
 */
public final class Measurements {

    /** Number of random pairs averaged for the composition baseline, as in TransformerLens's tutorial. */
    public static final int BASELINE_SAMPLES = 200;

    private static final Map<String, Float> BASELINES = new ConcurrentHashMap<>();

    private Measurements() {}

    // ------------------------------------------------------------------ attention patterns

    /**
     * Each head's induction score: the share of its attention that goes to an induction target (the
     * token after an earlier copy of the query's token), over the queries that have one, with
     * attention to BOS left out when the probe starts with BOS ({@link HeadDetection#targetScores}
     * with the {@code induction_head} pattern). 1.0 for a perfect induction head, whatever the
     * tokens: heads rest on BOS when they have nothing to do, and where a token recurs by chance a
     * perfect head splits its attention between several targets, all of which count. The main job
     * ({@code ./lens4j}) and the docs use the same score.
     *
     * @param model the model
     * @param probe the repeated sequences
     * @return one score per head, in {@code [0, 1]}
     */
    public static ComponentScores inductionScores(HookedTransformer model, RepeatedTokens probe) {
        return targetScores(model, probe, "induction_head", "induction score", "to the token after an earlier copy of the query's token");
    }

    /**
     * Each head's previous-token score: the share of its attention that goes to the previous
     * position, over the queries that have one ({@link HeadDetection#targetScores} with the
     * {@code previous_token_head} pattern, attention to BOS left out when the probe starts with BOS,
     * so the queries from position 2 on). 1.0 for a perfect previous-token head;
     * {@link #detectHeadScores} gives TransformerLens's {@code detect_head} value, in which a perfect
     * head scores {@code (pos - 1) / pos}.
     *
     * @param model the model
     * @param probe the sequences
     * @return one score per head, in {@code [0, 1]}
     */
    public static ComponentScores previousTokenScores(HookedTransformer model, RepeatedTokens probe) {
        return targetScores(model, probe, "previous_token_head", "previous-token score", "to the previous position");
    }

    /**
     * Each head's duplicate-token score: the share of its attention that goes to earlier copies of
     * the query's own token, over the queries whose token occurred before (the
     * {@code duplicate_token_head} pattern, scored as {@link #inductionScores}).
     *
     * @param model the model
     * @param probe the sequences
     * @return one score per head, in {@code [0, 1]}
     */
    public static ComponentScores duplicateTokenScores(HookedTransformer model, RepeatedTokens probe) {
        return targetScores(model, probe, "duplicate_token_head", "duplicate-token score", "to earlier copies of the query's token");
    }

    private static ComponentScores targetScores(HookedTransformer model, RepeatedTokens probe, String pattern, String measure,
                                                String where) {
        probe.checkFits(model);
        boolean bos = probe.lead() == 1;
        Tensor s = HeadDetection.targetScores(model, probe.tokens(), pattern, bos);
        return ComponentScores.ofHeads(measure, "share of the attention" + (bos ? " not on BOS" : "") + " that goes " + where
                + ", over the queries that have such a target, on " + probe, s);
    }

    /**
     * Each head's TransformerLens {@code detect_head} score for a named pattern, measure
     * {@code "mul"}, no exclusions: attention on the pattern over all attention, rows without a target
     * included. Even a perfect head falls short of 1 when some rows have no target: on
     * {@code BOS, A, A} only the second copy's rows have induction targets, so a perfect induction
     * head scores {@code n / (2n + 1)} (under one half); {@link #inductionScores} and
     * {@link #previousTokenScores} score the rows with a target alone.
     *
     * @param model the model
     * @param probe the sequences
     * @param patternName {@code "previous_token_head"}, {@code "duplicate_token_head"} or {@code "induction_head"}
     * @return one score per head
     */
    public static ComponentScores detectHeadScores(HookedTransformer model, RepeatedTokens probe, String patternName) {
        probe.checkFits(model);
        Tensor s = HeadDetection.detectHead(model, probe.tokens(), patternName, false, false, HeadDetector.ErrorMeasure.MUL);
        return ComponentScores.ofHeads("detect_head score for " + patternName, "detect_head(\"" + patternName + "\", \"mul\") on " + probe, s);
    }

    // ------------------------------------------------------------------ loss and ablation

    /**
     * The mean per-token loss on the repeated half: the predictions of the second copy's tokens 2
     * onwards, which a model that does induction gets right (columns
     * {@link RepeatedTokens#repeatedLossFrom()} to {@link RepeatedTokens#repeatedLossTo()} of the
     * per-token loss).
     *
     * @param model the model
     * @param probe the sequences
     * @param hooks hooks for this run only, e.g. an ablation; none for the clean loss
     * @return the loss in nats
     */
    public static float repeatedHalfLoss(HookedTransformer model, RepeatedTokens probe, HookSpec... hooks) {
        return InductionEvals.repeatedHalfLoss(model, probe, hooks);
    }

    /**
     * The mean per-token loss on the first copy (its tokens 2 onwards, columns
     * {@link RepeatedTokens#firstHalfLossFrom()} to {@link RepeatedTokens#firstHalfLossTo()}), which no
     * model can predict better than chance: about {@code ln(number of tokens drawn)}.
     *
     * @param model the model
     * @param probe the sequences
     * @return the loss in nats
     */
    public static float firstHalfLoss(HookedTransformer model, RepeatedTokens probe) {
        return InductionEvals.firstHalfLoss(model, probe);
    }

    /**
     * The per-token loss by position, averaged over the probe's sequences: entry {@code t} is the
     * mean loss of predicting token {@code t + 1}.
     *
     * @param model the model
     * @param probe the sequences
     * @return {@code [pos - 1]} losses in nats
     */
    public static float[] lossByPosition(HookedTransformer model, RepeatedTokens probe) {
        probe.checkFits(model);
        return model.perTokenLoss(probe.tokens()).mean(0, false).toArray();
    }

    /**
     * How much zero-ablating each head alone ({@code hook_z}) raises the loss on the repeated half,
     * one forward pass per head.
     *
     * @param model the model
     * @param probe the sequences
     * @return one loss increase per head, in nats
     */
    public static ComponentScores headAblationLossIncreases(HookedTransformer model, RepeatedTokens probe) {
        return headAblationLossIncreases(model, probe, allHeads(model.config()));
    }

    /**
     * Like {@link #headAblationLossIncreases(HookedTransformer, RepeatedTokens)} for some heads.
     *
     * @param model the model
     * @param probe the sequences
     * @param heads the heads to ablate, one at a time
     * @return one loss increase per given head, in nats
     */
    public static ComponentScores headAblationLossIncreases(HookedTransformer model, RepeatedTokens probe, List<Head> heads) {
        float clean = repeatedHalfLoss(model, probe);
        List<String> labels = new ArrayList<>();
        float[] v = new float[heads.size()];
        for (int i = 0; i < v.length; i++) {
            Head h = heads.get(i);
            checkHead(model.config(), h.layer(), h.head());
            labels.add(h.label());
            v[i] = repeatedHalfLoss(model, probe, Ablation.head(h.layer(), h.head()).zero()) - clean;
        }
        return ComponentScores.of("loss increase when zero-ablated", lossDetails(probe), labels, v);
    }

    static String lossDetails(RepeatedTokens probe) {
        return "loss on the repeated half: mean per-token loss over the " + (probe.repeatedLossTo() - probe.repeatedLossFrom())
                + " predictable positions of the second copy, on " + probe;
    }

    // ------------------------------------------------------------------ direct logit attribution

    /**
     * Direct logit attribution on the repeated half: how much each component of the final residual
     * stream (every head, the embeddings, the biases, and each MLP) raises the logit of the correct
     * next token through the direct path, averaged over the predictable positions of the second
     * copy and over the sequences (TransformerLens's {@code logit_attrs} on
     * {@code get_full_resid_decomposition}, scaled by the cached {@code ln_final.hook_scale}).
     *
     * @param model the model
     * @param probe the sequences
     * @return one attribution per component, labels {@code L0H0 ... embed, pos_embed, bias}
     */
    public static ComponentScores directLogitAttribution(HookedTransformer model, RepeatedTokens probe) {
        probe.checkFits(model);
        int[][] tokens = probe.tokens();
        ForwardResult run = model.runWithCache(tokens);
        ResidualStream stream = ResidualStream.of(model, run.cache());
        ComponentStack parts = stream.fullResidDecomposition(-1, false, false, false);
        int[][] next = new int[tokens.length][];
        for (int b = 0; b < tokens.length; b++) {
            int n = tokens[b].length;
            next[b] = new int[n];
            System.arraycopy(tokens[b], 1, next[b], 0, n - 1);
            next[b][n - 1] = tokens[b][n - 1]; // no next token: a placeholder outside the averaged positions
        }
        ComponentStack attrs = new DirectLogitAttribution(stream).logitAttrs(parts, next, null); // [component, batch, pos]
        Tensor repeated = attrs.values().slice(2, probe.repeatedLossFrom(), probe.repeatedLossTo());
        float[] v = repeated.mean(2, false).mean(1, false).toArray();
        return ComponentScores.of("direct logit attribution on the repeated half",
                "mean attribution to the correct next token over the " + (probe.repeatedLossTo() - probe.repeatedLossFrom())
                        + " predictable positions of the second copy, on " + probe, parts.labels(), v);
    }

    // ------------------------------------------------------------------ weights

    /**
     * Each head's OV copying score: {@code Re(sum eigenvalues) / sum |eigenvalues|} of its full OV
     * circuit {@code W_E OV W_U} (near 1 for a head that raises the logit of the token it attends to).
     *
     * @param model the model, with processed weights for a meaningful result
     * @return one score per head, in {@code [-1, 1]}
     */
    public static ComponentScores copyingScores(HookedTransformer model) {
        Tensor s = new Circuits(model.config(), model.weights()).copyingScores();
        return ComponentScores.ofHeads("OV copying score",
                "Re(sum of eigenvalues) / sum |eigenvalues| of the full OV circuit W_E W_V W_O W_U", s);
    }

    /**
     * Each head's positional previous-token score: the mean attention to the previous position in
     * the pattern its QK circuit gives positional embeddings alone,
     * {@code softmax(x QK x^T / sqrt(d_head))} with the causal mask over the probe's positions, where
     * {@code x} is {@code W_pos} as the head's LayerNorm sees it: centred and divided by the mean
     * {@code ln1.hook_scale} of the head's layer on the probe (ARENA's {@code pos_by_pos_pattern},
     * which uses {@code W_pos} as it is, is the same for a model without LayerNorm; with one, the
     * unscaled pattern is far flatter than the attention the head really computes).
     *
     * @param model the model, with learned positions ({@code W_pos})
     * @param probe the sequences that set the positions and the LayerNorm scale
     * @return one score per head, in {@code [0, 1]}
     * @throws IllegalArgumentException for a model with rotary or no positional embeddings, saying why
     *     (see {@link Circuits#positionalQkNotApplicable})
     */
    public static ComponentScores positionalPreviousTokenScores(HookedTransformer model, RepeatedTokens probe) {
        TransformerConfig cfg = model.config();
        Circuits.positionalQkNotApplicable(cfg).ifPresent(why -> {
            throw new IllegalArgumentException("positional previous-token scores are not applicable: " + why
                    + "; use the attention patterns' previous-token scores and ablation instead");
        });
        probe.checkFits(model);
        int n = probe.length();
        float[] scale = new float[cfg.nLayers()];
        java.util.Arrays.fill(scale, 1f);
        if (cfg.hasNorm()) {
            var cache = model.runWithCache(probe.tokens(), name -> name.endsWith(".ln1.hook_scale")).cache();
            for (int l = 0; l < cfg.nLayers(); l++) {
                scale[l] = cache.get("scale", l, "ln1").mean();
            }
        }
        Circuits c = new Circuits(cfg, model.weights());
        Tensor pos = model.weights().wPos().slice(0, 0, n); // [pos, d_model]
        if (cfg.hasNorm()) {
            pos = pos.sub(pos.mean(-1, true));
        }
        Tensor mask = Tensor.causalMask(n, n);
        float[] out = new float[cfg.nLayers() * cfg.nHeads()];
        for (int l = 0; l < cfg.nLayers(); l++) {
            Tensor x = pos.div(scale[l]);
            for (int h = 0; h < cfg.nHeads(); h++) {
                Tensor scores = c.qk().get(l, h).leftMatmul(x).matmul(x.mT()).ab().div((float) Math.sqrt(cfg.dHead()));
                Tensor p = scores.maskedFill(mask, Float.NEGATIVE_INFINITY).softmax(-1); // [query_pos, key_pos]
                double sum = 0;
                for (int i = 1; i < n; i++) {
                    sum += p.get(i, i - 1);
                }
                out[l * cfg.nHeads() + h] = (float) (sum / (n - 1));
            }
        }
        return ComponentScores.ofHeads("positional previous-token score",
                "mean attention to the previous position of softmax(x QK x^T / sqrt(d_head)), x = W_pos"
                        + (cfg.hasNorm() ? " centred and divided by the layer's mean ln1 scale" : "") + ", over the " + n
                        + " positions of " + probe, Tensor.of(out, cfg.nLayers(), cfg.nHeads()));
    }

    /**
     * The composition scores of every head of earlier layers into one later head:
     * {@code ||W_A W_B||_F / (||W_A||_F ||W_B||_F)} with {@code W_A} the earlier head's OV circuit and
     * {@code W_B} the later head's QK (Q), QK transposed (K) or OV (V) circuit
     * ({@link CompositionScores#all}).
     *
     * @param model the model
     * @param mode Q, K or V composition
     * @param layer the later head's layer, at least 1
     * @param head the later head
     * @return one score per head of layers {@code 0 .. layer - 1}
     */
    public static ComponentScores compositionInto(HookedTransformer model, CompositionScores.Mode mode, int layer, int head) {
        TransformerConfig cfg = model.config();
        checkHead(cfg, layer, head);
        if (layer == 0) {
            throw new IllegalArgumentException("no head composes into " + Messages.head(layer, head) + ": it is in the first layer");
        }
        Tensor all = CompositionScores.all(new Circuits(cfg, model.weights()), mode); // [L, H, L, H]
        List<String> labels = new ArrayList<>();
        float[] v = new float[layer * cfg.nHeads()];
        for (int l = 0; l < layer; l++) {
            for (int h = 0; h < cfg.nHeads(); h++) {
                labels.add(Messages.head(l, h));
                v[l * cfg.nHeads() + h] = all.get(l, h, layer, head);
            }
        }
        return ComponentScores.of(mode + "-composition score into " + Messages.head(layer, head),
                compositionDetails(mode, cfg), labels, v);
    }

    static String compositionDetails(CompositionScores.Mode mode, TransformerConfig cfg) {
        String wb = switch (mode) {
            case Q -> "QK";
            case K -> "QK^T";
            case V -> "OV";
        };
        return "||W_A W_B||_F / (||W_A||_F ||W_B||_F) with W_A the earlier head's OV and W_B the later head's " + wb
                + "; random baseline: mean over " + BASELINE_SAMPLES + " pairs of random rank-" + cfg.dHead()
                + " matrices in d_model " + cfg.dModel();
    }

    /**
     * TransformerLens's random baseline for composition scores in this model's dimensions: the mean
     * score of {@value #BASELINE_SAMPLES} pairs of random factored matrices (seed 0), computed once
     * per {@code (d_model, d_head)} and remembered.
     *
     * @param model the model
     * @return the baseline score
     */
    public static float compositionBaseline(HookedTransformer model) {
        int d = model.config().dModel(), dh = model.config().dHead();
        return BASELINES.computeIfAbsent(d + "x" + dh, k -> CompositionScores.randomBaseline(d, dh, BASELINE_SAMPLES, 0));
    }

    // ------------------------------------------------------------------ helpers

    /**
     * Returns every head, layer by layer.
     *
     * @param cfg a model's config
     * @return every head, layer by layer
     */
    static List<Head> allHeads(TransformerConfig cfg) {
        List<Head> out = new ArrayList<>();
        for (int l = 0; l < cfg.nLayers(); l++) {
            for (int h = 0; h < cfg.nHeads(); h++) {
                out.add(new Head(l, h));
            }
        }
        return out;
    }

    static void checkHead(TransformerConfig cfg, int layer, int head) {
        if (layer < 0 || layer >= cfg.nLayers() || head < 0 || head >= cfg.nHeads()) {
            throw new IllegalArgumentException("head " + Messages.head(layer, head) + " does not exist in " + cfg.modelName() + " ("
                    + cfg.nLayers() + " layers of " + cfg.nHeads() + " heads)");
        }
    }
}
