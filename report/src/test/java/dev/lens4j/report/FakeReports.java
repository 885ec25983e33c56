package dev.lens4j.report;

import dev.lens4j.transformer.ParameterCount;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * A realistic report for a 2-layer, 4-head attention-only model on 20 tokens (BOS, 10 random words,
 * the first 9 of them again): L0H1 is a previous-token head, L0H3 a duplicate-token head, L1H2 an
 * induction head composed with L0H1 through its keys. The head-detector scores are computed from the
 * patterns, with lens4j's target score and TransformerLens's "mul" formula, so the page and the data agree.
 */
final class FakeReports {

    static final int LAYERS = 2;
    static final int HEADS = 4;
    static final int VOCAB = 512;
    static final HeadId PREV = new HeadId(0, 1);
    static final HeadId DUP = new HeadId(0, 3);
    static final HeadId INDUCTION = new HeadId(1, 2);

    static final List<String> WORDS = List.of(" apple", " river", " stone", " cloud", " garden", " silver", " lamp",
            " forest", " window", " candle");

    private FakeReports() {}

    /** BOS, the 10 words, the first 9 words again. */
    static List<String> tokens() {
        return tokens(WORDS);
    }

    static List<String> tokens(List<String> words) {
        List<String> t = new ArrayList<>();
        t.add("<|bos|>");
        t.addAll(words);
        t.addAll(words.subList(0, words.size() - 1));
        return t;
    }

    static ReportData induction() {
        return induction(tokens());
    }

    static ReportData induction(List<String> tokens) {
        Random rnd = new Random(42);
        int n = tokens.size();
        ModelSummary model = new ModelSummary("induction-2l", "word", VOCAB, LAYERS, HEADS, 64, 16, new ParameterCount(99_840L, false), true);

        List<AttentionPatterns.HeadPattern> patterns = new ArrayList<>();
        double[][] prev = new double[LAYERS][HEADS];
        double[][] dup = new double[LAYERS][HEADS];
        double[][] ind = new double[LAYERS][HEADS];
        double[][] tlPrev = new double[LAYERS][HEADS];
        double[][] tlDup = new double[LAYERS][HEADS];
        double[][] tlInd = new double[LAYERS][HEADS];
        for (int l = 0; l < LAYERS; l++) {
            for (int h = 0; h < HEADS; h++) {
                HeadId id = new HeadId(l, h);
                double[][] p = pattern(id, tokens, rnd);
                patterns.add(new AttentionPatterns.HeadPattern(id, p));
                prev[l][h] = target(p, tokens, Kind.PREVIOUS);
                dup[l][h] = target(p, tokens, Kind.DUPLICATE);
                ind[l][h] = target(p, tokens, Kind.INDUCTION);
                tlPrev[l][h] = detect(p, tokens, Kind.PREVIOUS);
                tlDup[l][h] = detect(p, tokens, Kind.DUPLICATE);
                tlInd[l][h] = detect(p, tokens, Kind.INDUCTION);
            }
        }

        int half = (n - 1) / 2 + 1;   // entries 0 .. 9 predict the random tokens 1 .. 10
        double[] loss = new double[n - 1];
        for (int i = 0; i < loss.length; i++) {
            loss[i] = i < half || i == half ? 6.05 + 0.25 * rnd.nextGaussian() : 0.32 + 0.08 * rnd.nextGaussian();
        }
        loss[0] = 6.6;

        List<LabelledValue> dla = new ArrayList<>();
        List<LabelledValue> ablation = new ArrayList<>();
        for (HeadId id : model.heads()) {
            double d = id.equals(INDUCTION) ? 3.12 : id.equals(new HeadId(1, 0)) ? 0.41 : id.equals(new HeadId(1, 3)) ? -0.36
                    : 0.08 * rnd.nextGaussian();
            dla.add(new LabelledValue(id.label(), d));
            double a = id.equals(INDUCTION) ? 3.87 : id.equals(PREV) ? 3.05 : id.equals(DUP) ? 0.21 : 0.02 * rnd.nextGaussian();
            ablation.add(new LabelledValue(id.label(), a));
        }

        double[][] copying = new double[LAYERS][HEADS];
        double[][] positional = new double[LAYERS][HEADS];
        for (int l = 0; l < LAYERS; l++) {
            for (int h = 0; h < HEADS; h++) {
                copying[l][h] = -0.3 + 0.7 * rnd.nextDouble();
                positional[l][h] = 0.05 + 0.25 * rnd.nextDouble();
            }
        }
        copying[1][2] = 0.93;
        copying[0][3] = 0.41;
        positional[0][1] = 0.97;
        List<QkOvAnalysis.OvReadout> readouts = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            List<QkOvAnalysis.TokenScore> top = new ArrayList<>();
            top.add(new QkOvAnalysis.TokenScore(WORDS.get(i), 4.2 - 0.3 * i));
            for (int k = 1; k < 5; k++) {
                top.add(new QkOvAnalysis.TokenScore(WORDS.get((i + 3 * k) % WORDS.size()), 1.5 - 0.25 * k));
            }
            readouts.add(new QkOvAnalysis.OvReadout(INDUCTION, WORDS.get(i), top));
        }
        readouts.add(new QkOvAnalysis.OvReadout(PREV, WORDS.get(0), List.of(
                new QkOvAnalysis.TokenScore(" lamp", 0.61), new QkOvAnalysis.TokenScore(" stone", 0.58),
                new QkOvAnalysis.TokenScore(" apple", 0.40))));

        double[][][][] q = composition(rnd);
        double[][][][] k = composition(rnd);
        double[][][][] v = composition(rnd);
        k[0][1][1][2] = 0.43;
        k[0][1][1][0] = 0.16;
        v[0][3][1][1] = 0.19;

        return ReportData.builder("Induction heads in induction-2l", model)
                .loss(LossByPosition.of(loss, 1, half + 1, VOCAB, 32)) // the second copy's second token is token half + 2
                .attention(new AttentionPatterns("repeated random tokens, seed 0", tokens, patterns))
                .headScores(new HeadDetectorScores(prev, dup, ind, tlPrev, tlDup, tlInd))
                .dla(new DirectLogitAttribution("logit of the correct next token, mean over the repeated half", dla))
                .ablation(new HeadAblation("zero-ablation of hook_z, repeated half of 32 sequences", 0.35, ablation))
                .edgeAttribution(edges(rnd))
                .qkOv(new QkOvAnalysis(copying, positional, readouts))
                .composition(new CompositionScores(q, k, v, 0.071))
                .claim(new Claim("The model does in-context learning on repeated tokens", Verdict.SUPPORTED,
                        "repeated-half loss 0.35 nats vs first-half 6.08 (ln d_vocab 6.24)", EvidenceTier.ACTIVATION))
                .claim(new Claim("L0H1 is a previous-token head", Verdict.SUPPORTED,
                        "previous-token score 0.83 (next best 0.12)", EvidenceTier.CLUE))
                .claim(new Claim("L1H2 is an induction head", Verdict.SUPPORTED,
                        "induction score 0.78 (next best 0.09)", EvidenceTier.CLUE))
                .claim(new Claim("L1H2 writes the predicted token directly", Verdict.SUPPORTED,
                        "DLA +3.12 logits, largest of 8 heads; ablation +3.87 nats", EvidenceTier.ACTIVATION))
                .claim(new Claim("L0H3 matters for induction", Verdict.INCONCLUSIVE,
                        "ablation +0.21 nats, 5% of L1H2's effect", EvidenceTier.ACTIVATION))
                .claim(new Claim("L1H2 copies the token it attends to", Verdict.SUPPORTED,
                        "OV copying score 0.93", EvidenceTier.WEIGHT))
                .claim(new Claim("L1H2's keys are built from L0H1's output (K-composition)", Verdict.SUPPORTED,
                        "K-composition 0.43 = 6.1x the random baseline 0.071", EvidenceTier.WEIGHT))
                .claim(new Claim("L1H2 reads values from L0H1 (V-composition)", Verdict.NOT_SUPPORTED,
                        "V-composition 0.06, below the random baseline 0.071", EvidenceTier.WEIGHT))
                .build();
    }

    /**
     * Edge scores over the graph of 2 layers of 4 heads (9 sources, 25 destinations, 81 edges): the route
     * L0H1 -> L1H2's keys -> logits and L1H2's value from the input are the largest edges, the rest small.
     */
    static EdgeAttributionGraph edges(Random rnd) {
        List<String> sources = new ArrayList<>(List.of("input"));
        List<String> destinations = new ArrayList<>();
        for (int l = 0; l < LAYERS; l++) {
            for (int h = 0; h < HEADS; h++) {
                sources.add(new HeadId(l, h).label());
            }
            for (String in : List.of("q", "k", "v")) {
                for (int h = 0; h < HEADS; h++) {
                    destinations.add(new HeadId(l, h).label() + "<" + in + ">");
                }
            }
        }
        destinations.add("logits");
        List<double[]> scored = new ArrayList<>(); // {source index, destination index, score}
        for (int d = 0; d < destinations.size(); d++) {
            int end = d == destinations.size() - 1 ? sources.size() : d < 12 ? 1 : 1 + HEADS;
            for (int src = 0; src < end; src++) {
                scored.add(new double[] {src, d, 0.05 * rnd.nextGaussian()});
            }
        }
        set(scored, sources.indexOf("L0H1"), destinations.indexOf("L1H2<k>"), -1.4);
        set(scored, sources.indexOf("L1H2"), destinations.size() - 1, -2.6);
        set(scored, 0, destinations.indexOf("L1H2<v>"), -0.9);
        set(scored, 0, destinations.indexOf("L0H1<v>"), -1.1);
        set(scored, sources.indexOf("L1H0"), destinations.size() - 1, 0.3);
        scored.sort((a, b) -> Double.compare(Math.abs(b[2]), Math.abs(a[2])));
        List<EdgeAttributionGraph.Edge> edges = new ArrayList<>();
        for (int i = 0; i < scored.size(); i++) {
            double[] e = scored.get(i);
            edges.add(new EdgeAttributionGraph.Edge(sources.get((int) e[0]), destinations.get((int) e[1]), e[2], i + 1));
        }
        return new EdgeAttributionGraph("EAP-IG, 10 steps", "the first copy redrawn", "mean log-probability of the repeated half",
                -0.35, -6.08, sources, destinations, scored.size(), edges, List.of("L0H1->L1H2<k>", "L1H2->logits"),
                List.of(new EdgeAttributionGraph.CircuitResult(10, 7, 5, -1.2, 0.85), new EdgeAttributionGraph.CircuitResult(81, 81, 9,
                        -0.35, 1.0)));
    }

    private static void set(List<double[]> scored, int source, int destination, double score) {
        for (double[] e : scored) {
            if (e[0] == source && e[1] == destination) {
                e[2] = score;
                return;
            }
        }
        throw new IllegalArgumentException("no edge " + source + " -> " + destination);
    }

    private enum Kind { PREVIOUS, DUPLICATE, INDUCTION }

    private static boolean hit(List<String> tokens, Kind kind, int q, int k) {
        return switch (kind) {
            case PREVIOUS -> k == q - 1;
            case DUPLICATE -> k < q && tokens.get(k).equals(tokens.get(q));
            case INDUCTION -> k >= 1 && k <= q && k - 1 < q && tokens.get(k - 1).equals(tokens.get(q));
        };
    }

    /** TransformerLens detect_head "mul": sum(pattern * detection) / sum(pattern). */
    private static double detect(double[][] p, List<String> tokens, Kind kind) {
        int n = p.length;
        double num = 0;
        double den = 0;
        for (int q = 0; q < n; q++) {
            for (int k = 0; k < n; k++) {
                den += p[q][k];
                num += hit(tokens, kind, q, k) ? p[q][k] : 0;
            }
        }
        return num / den;
    }

    /** lens4j's target score: the same ratio over the rows with a target outside BOS, BOS's column left out. */
    private static double target(double[][] p, List<String> tokens, Kind kind) {
        int n = p.length;
        double num = 0;
        double den = 0;
        for (int q = 0; q < n; q++) {
            boolean any = false;
            for (int k = 1; k <= q; k++) {
                any |= hit(tokens, kind, q, k);
            }
            for (int k = 1; k < n && any; k++) {
                den += p[q][k];
                num += hit(tokens, kind, q, k) ? p[q][k] : 0;
            }
        }
        return den > 0 ? num / den : 0;
    }

    private static double[][] pattern(HeadId id, List<String> tokens, Random rnd) {
        int n = tokens.size();
        double[][] p = new double[n][n];
        for (int q = 0; q < n; q++) {
            for (int k = 0; k <= q; k++) {
                p[q][k] = 0.05 + 0.1 * rnd.nextDouble();
            }
            if (id.equals(PREV)) {
                p[q][Math.max(0, q - 1)] += 6;
            } else if (id.equals(DUP)) {
                boolean found = false;
                for (int k = 0; k < q; k++) {
                    if (tokens.get(k).equals(tokens.get(q))) {
                        p[q][k] += 5;
                        found = true;
                    }
                }
                if (!found) {
                    p[q][0] += 2;
                }
            } else if (id.equals(INDUCTION)) {
                boolean found = false;
                for (int k = 1; k < q; k++) {
                    if (tokens.get(k - 1).equals(tokens.get(q))) {
                        p[q][k] += 7;
                        found = true;
                    }
                }
                if (!found) {
                    p[q][0] += 3;
                }
            } else if (id.layer() == 1 && id.head() == 1) {
                p[q][q] += 3;
            } else if (id.head() == 3 || id.head() == 0) {
                p[q][0] += 2.5;
            }
            double sum = 0;
            for (int k = 0; k <= q; k++) {
                sum += p[q][k];
            }
            for (int k = 0; k <= q; k++) {
                p[q][k] /= sum;
            }
        }
        return p;
    }

    private static double[][][][] composition(Random rnd) {
        double[][][][] s = new double[LAYERS][HEADS][LAYERS][HEADS];
        for (int l1 = 0; l1 < LAYERS; l1++) {
            for (int h1 = 0; h1 < HEADS; h1++) {
                for (int l2 = l1 + 1; l2 < LAYERS; l2++) {
                    for (int h2 = 0; h2 < HEADS; h2++) {
                        s[l1][h1][l2][h2] = 0.05 + 0.06 * rnd.nextDouble();
                    }
                }
            }
        }
        return s;
    }

    /**
     * A GPT-2-small-shaped report (12 layers x 12 heads) with random numbers, tokens with newlines and
     * long words, and patterns for a subset of heads: checks that every rendering scales.
     */
    static ReportData large() {
        Random rnd = new Random(7);
        int layers = 12;
        int heads = 12;
        ModelSummary model = new ModelSummary("gpt2", "GPT-2 byte-level BPE", 50257, layers, heads, 768, 64,
                new ParameterCount(124_439_808L, true), false);
        List<String> tokens = new ArrayList<>();
        tokens.add("<|endoftext|>");
        for (int i = 1; i < 64; i++) {
            tokens.add(i % 17 == 0 ? "\n" : i % 11 == 0 ? " internationalization" : " w" + (i % 25));
        }
        int n = tokens.size();
        List<AttentionPatterns.HeadPattern> patterns = new ArrayList<>();
        for (int l : new int[] {1, 5}) {
            for (int h = 0; h < heads; h++) {
                double[][] p = new double[n][n];
                for (int q = 0; q < n; q++) {
                    double sum = 0;
                    for (int k = 0; k <= q; k++) {
                        p[q][k] = rnd.nextDouble();
                        sum += p[q][k];
                    }
                    for (int k = 0; k <= q; k++) {
                        p[q][k] /= sum;
                    }
                }
                patterns.add(new AttentionPatterns.HeadPattern(new HeadId(l, h), p));
            }
        }
        double[][][] scores = new double[5][layers][heads];
        for (double[][] m : scores) {
            for (double[] row : m) {
                for (int h = 0; h < heads; h++) {
                    row[h] = rnd.nextDouble();
                }
            }
        }
        List<LabelledValue> dla = new ArrayList<>();
        List<LabelledValue> ablation = new ArrayList<>();
        for (HeadId id : model.heads()) {
            dla.add(new LabelledValue(id.label(), rnd.nextGaussian()));
            ablation.add(new LabelledValue(id.label(), 0.1 * rnd.nextGaussian()));
        }
        double[][][][][] comp = new double[3][layers][heads][layers][heads];
        for (double[][][][] c : comp) {
            for (int l1 = 0; l1 < layers; l1++) {
                for (int h1 = 0; h1 < heads; h1++) {
                    for (int l2 = l1 + 1; l2 < layers; l2++) {
                        for (int h2 = 0; h2 < heads; h2++) {
                            c[l1][h1][l2][h2] = 0.02 + 0.1 * rnd.nextDouble();
                        }
                    }
                }
            }
        }
        double[] loss = new double[n - 1];
        for (int i = 0; i < loss.length; i++) {
            loss[i] = i < 32 ? 7 + rnd.nextDouble() : 1 + rnd.nextDouble();
        }
        List<QkOvAnalysis.OvReadout> readouts = List.of(new QkOvAnalysis.OvReadout(new HeadId(5, 1), " internationalization",
                List.of(new QkOvAnalysis.TokenScore(" internationalization", 9.5), new QkOvAnalysis.TokenScore("\n", 3.25),
                        new QkOvAnalysis.TokenScore(" globalization", 3.0), new QkOvAnalysis.TokenScore(" localisation", 2.9),
                        new QkOvAnalysis.TokenScore(" standardization", 2.5), new QkOvAnalysis.TokenScore(" modernisation", 2.4),
                        new QkOvAnalysis.TokenScore(" industrialization", 2.3))));
        return ReportData.builder("Induction heads in GPT-2 small", model)
                .loss(LossByPosition.of(loss, 1, 32, 50257, 16))
                .attention(new AttentionPatterns("a prompt with newlines", tokens, patterns))
                .headScores(new HeadDetectorScores(scores[0], scores[1], scores[2], scores[0], scores[1], scores[2]))
                .dla(new DirectLogitAttribution("logit difference", dla))
                .ablation(new HeadAblation("mean-ablation", 3.1, ablation))
                .qkOv(new QkOvAnalysis(scores[3], scores[4], readouts))
                .composition(new CompositionScores(comp[0], comp[1], comp[2], 0.045))
                .claim(new Claim("A long claim that goes on and on about heads " + "and more heads ".repeat(12),
                        Verdict.INCONCLUSIVE, "numbers line one\nnumbers line two " + "x".repeat(150), EvidenceTier.CLUE))
                .build();
    }
}
