package dev.lens4j.analysis.heads;

import dev.lens4j.hooks.ActivationCache;
import dev.lens4j.tensor.Shapes;
import dev.lens4j.tensor.Tensor;
import dev.lens4j.transformer.HookedTransformer;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * TransformerLens's {@code detect_head} on a model: how closely every head's attention pattern
 * follows a detection pattern, averaged over sequences.
 *
 * <pre>{@code
 * Tensor prev = HeadDetection.detectHead(model, sequences, "previous_token_head", false, false, ErrorMeasure.MUL);  // [n_layers, n_heads]
 * Tensor ind = HeadDetection.detectHead(model, texts, "induction_head", true, false, ErrorMeasure.MUL);
 * Tensor mine = HeadDetection.detectHead(model, sequences, tokens -> myPattern(tokens), false, false, ErrorMeasure.ABS);
 * Tensor fair = HeadDetection.targetScores(model, sequences, "induction_head", true);  // 1 for a perfect head
 * }</pre>
 *
 * <p>Each sequence is scored on its own, with its own detection pattern (built from its tokens,
 * BOS included), by {@link HeadDetector#similarity}; the result is the mean over sequences, as
 * TransformerLens averages over a list of prompts. Sequences may have different lengths; those of
 * one length are run as a batch.
 *
 * <p>One deliberate difference: given a list of prompts and a named pattern, TransformerLens's
 * {@code detect_head} recurses on each prompt without passing {@code exclude_bos},
 * {@code exclude_current_token} or {@code error_measure} on, so its list form always scores "mul"
 * with no exclusions. Here the options apply to every sequence; to reproduce TransformerLens's list
 * form, pass {@code false, false, MUL}.
 *
 * <p>{@link #targetScores} is lens4j's own score ({@link HeadDetector#targetScore}): the "mul" ratio
 * over the query rows that have a target, which a perfect head brings to 1 on any tokens. The
 * cache forms of both score the patterns of a run already made.
 */
public final class HeadDetection {

    /** Sequences per forward pass. */
    private static final int BATCH = 16;

    private HeadDetection() {}

    /**
     * The detection pattern TransformerLens names {@code previous_token_head},
     * {@code duplicate_token_head} or {@code induction_head} (the {@code _head} suffix may be left out).
     *
     * @param name the pattern's name
     * @return tokens {@code [pos]} to the pattern {@code [pos, pos]}
     * @throws IllegalArgumentException for another name, listing the known ones
     */
    public static Function<int[], Tensor> pattern(String name) {
        String n = name == null ? "" : name.endsWith("_head") ? name.substring(0, name.length() - 5) : name;
        return switch (n) {
            case "previous_token" -> tokens -> DetectionPatterns.previousToken(tokens.length);
            case "duplicate_token" -> DetectionPatterns::duplicateToken;
            case "induction" -> DetectionPatterns::induction;
            default -> throw new IllegalArgumentException("unknown detection pattern '" + name
                    + "'; use previous_token_head, duplicate_token_head, induction_head or a function of the tokens");
        };
    }

    /**
     * Scores every head against a named detection pattern.
     *
     * @param model the model
     * @param sequences token sequences {@code [n][pos_i]}, BOS first if the model expects one
     * @param patternName {@code "previous_token_head"}, {@code "duplicate_token_head"} or {@code "induction_head"}
     * @param excludeBos ignore attention to position 0
     * @param excludeCurrentToken ignore attention to the query's own position
     * @param measure {@link HeadDetector.ErrorMeasure#MUL} or {@link HeadDetector.ErrorMeasure#ABS}
     * @return {@code [n_layers, n_heads]} mean scores
     */
    public static Tensor detectHead(HookedTransformer model, int[][] sequences, String patternName,
                                    boolean excludeBos, boolean excludeCurrentToken, HeadDetector.ErrorMeasure measure) {
        return detectHead(model, sequences, pattern(patternName), excludeBos, excludeCurrentToken, measure);
    }

    /**
     * Scores every head against a named detection pattern on texts, tokenised as TransformerLens's
     * {@code to_tokens} tokenises them by default: BOS first unless the family's
     * {@code default_prepend_bos} is false (Qwen2, Qwen3).
     *
     * @param model a model with a tokenizer
     * @param texts the prompts
     * @param patternName a pattern name, see {@link #pattern}
     * @param excludeBos ignore attention to position 0
     * @param excludeCurrentToken ignore attention to the query's own position
     * @param measure the error measure
     * @return {@code [n_layers, n_heads]} mean scores
     */
    public static Tensor detectHead(HookedTransformer model, List<String> texts, String patternName,
                                    boolean excludeBos, boolean excludeCurrentToken, HeadDetector.ErrorMeasure measure) {
        int[][] seqs = new int[texts.size()][];
        for (int i = 0; i < seqs.length; i++) {
            seqs[i] = model.tokenizer().toTokens(texts.get(i));
        }
        return detectHead(model, seqs, pattern(patternName), excludeBos, excludeCurrentToken, measure);
    }

    /**
     * Scores every head against a detection pattern given as a function of each sequence's tokens.
     *
     * @param model the model
     * @param sequences token sequences {@code [n][pos_i]}
     * @param detection from a sequence's tokens {@code [pos]} to a lower-triangular {@code [pos, pos]} pattern
     * @param excludeBos ignore attention to position 0
     * @param excludeCurrentToken ignore attention to the query's own position
     * @param measure the error measure
     * @return {@code [n_layers, n_heads]} mean scores
     */
    public static Tensor detectHead(HookedTransformer model, int[][] sequences, Function<int[], Tensor> detection,
                                    boolean excludeBos, boolean excludeCurrentToken, HeadDetector.ErrorMeasure measure) {
        requireSomethingToScore(sequences, excludeBos, excludeCurrentToken);
        return mean(model, sequences, detection, (patterns, p) -> HeadDetector.scores(patterns, p, excludeBos, excludeCurrentToken, measure),
                false, "detect_head");
    }

    /**
     * {@link #detectHead(HookedTransformer, int[][], Function, boolean, boolean, HeadDetector.ErrorMeasure)}
     * on the patterns of a run already cached, so that no forward pass is repeated.
     *
     * @param cache a cache holding {@code blocks.L.attn.hook_pattern} of every layer for exactly {@code sequences}
     * @param sequences the run's tokens {@code [batch][pos]}, in batch order
     * @param detection from a sequence's tokens {@code [pos]} to a lower-triangular {@code [pos, pos]} pattern
     * @param excludeBos ignore attention to position 0
     * @param excludeCurrentToken ignore attention to the query's own position
     * @param measure the error measure
     * @return {@code [n_layers, n_heads]} mean scores
     */
    public static Tensor detectHead(ActivationCache cache, int[][] sequences, Function<int[], Tensor> detection,
                                    boolean excludeBos, boolean excludeCurrentToken, HeadDetector.ErrorMeasure measure) {
        requireSomethingToScore(sequences, excludeBos, excludeCurrentToken);
        return mean(cache, sequences, detection, (patterns, p) -> HeadDetector.scores(patterns, p, excludeBos, excludeCurrentToken, measure),
                false, "detect_head");
    }

    /**
     * Every head's {@link HeadDetector#targetScore target score} against a named detection pattern,
     * averaged over the sequences: the share of its attention (outside BOS with {@code excludeBos})
     * that lands on a target, over the query rows that have one. 1 for a perfect head of that kind.
     *
     * @param model the model
     * @param sequences token sequences {@code [n][pos_i]}
     * @param patternName a pattern name, see {@link #pattern}
     * @param excludeBos leave attention to position 0 out (for sequences that start with BOS)
     * @return {@code [n_layers, n_heads]} mean scores over the sequences that have a target
     * @throws IllegalArgumentException when no query of any sequence has a target
     */
    public static Tensor targetScores(HookedTransformer model, int[][] sequences, String patternName, boolean excludeBos) {
        return targetScores(model, sequences, pattern(patternName), excludeBos);
    }

    /**
     * Like {@link #targetScores(HookedTransformer, int[][], String, boolean)} with the detection
     * pattern given as a function of each sequence's tokens.
     *
     * @param model the model
     * @param sequences token sequences {@code [n][pos_i]}
     * @param detection from a sequence's tokens {@code [pos]} to a lower-triangular {@code [pos, pos]} pattern
     * @param excludeBos leave attention to position 0 out
     * @return {@code [n_layers, n_heads]} mean scores over the sequences that have a target
     */
    public static Tensor targetScores(HookedTransformer model, int[][] sequences, Function<int[], Tensor> detection, boolean excludeBos) {
        return mean(model, sequences, detection, (patterns, p) -> HeadDetector.targetScores(patterns, p, excludeBos), true, "target score");
    }

    /**
     * {@link #targetScores(HookedTransformer, int[][], Function, boolean)} on the patterns of a run
     * already cached.
     *
     * @param cache a cache holding {@code blocks.L.attn.hook_pattern} of every layer for exactly {@code sequences}
     * @param sequences the run's tokens {@code [batch][pos]}, in batch order
     * @param detection from a sequence's tokens {@code [pos]} to a lower-triangular {@code [pos, pos]} pattern
     * @param excludeBos leave attention to position 0 out
     * @return {@code [n_layers, n_heads]} mean scores over the sequences that have a target
     */
    public static Tensor targetScores(ActivationCache cache, int[][] sequences, Function<int[], Tensor> detection, boolean excludeBos) {
        return mean(cache, sequences, detection, (patterns, p) -> HeadDetector.targetScores(patterns, p, excludeBos), true, "target score");
    }

    /**
     * Refuses a sequence too short to leave any attention once BOS and the current token are left out: its
     * score would be NaN (0 / 0), and NaN in one sequence would make every head's mean NaN.
     */
    private static void requireSomethingToScore(int[][] sequences, boolean excludeBos, boolean excludeCurrentToken) {
        int min = 1 + (excludeBos ? 1 : 0) + (excludeCurrentToken ? 1 : 0);
        for (int i = 0; sequences != null && i < sequences.length; i++) {
            if (sequences[i] != null && sequences[i].length < min) {
                throw new IllegalArgumentException("sequence " + i + " has " + sequences[i].length + " token"
                        + (sequences[i].length == 1 ? "" : "s") + ": detect_head" + (excludeBos ? " without BOS" : "")
                        + (excludeCurrentToken ? (excludeBos ? " and" : "") + " without the current token" : "")
                        + " needs at least " + min + ", or no attention is left to score");
            }
        }
    }

    /** Scores one sequence: its patterns {@code [n_layers, n_heads, pos, pos]} against its detection pattern. */
    private interface SequenceScore {
        Tensor apply(Tensor patterns, Tensor detection);
    }

    /**
     * One detection pattern and whether attention to BOS is left out, for
     * {@link #targetScores(HookedTransformer, int[][], List)}.
     *
     * @param detection from a sequence's tokens {@code [pos]} to a lower-triangular {@code [pos, pos]} pattern
     * @param excludeBos leave attention to position 0 out
     */
    public record Target(Function<int[], Tensor> detection, boolean excludeBos) {}

    /**
     * {@link #targetScores(HookedTransformer, int[][], Function, boolean)} of several detection patterns
     * from one run of the model over the sequences (in the same batches), instead of one run each.
     *
     * @param model the model
     * @param sequences token sequences {@code [n][pos_i]}
     * @param targets the detection patterns
     * @return one {@code [n_layers, n_heads]} tensor of mean scores per target, in order
     * @throws IllegalArgumentException when no query of any sequence has a target in one of the patterns
     */
    public static List<Tensor> targetScores(HookedTransformer model, int[][] sequences, List<Target> targets) {
        List<Function<int[], Tensor>> detections = new ArrayList<>();
        List<SequenceScore> scores = new ArrayList<>();
        for (Target t : targets) {
            detections.add(t.detection());
            scores.add((patterns, p) -> HeadDetector.targetScores(patterns, p, t.excludeBos()));
        }
        return means(model, sequences, detections, scores, true, "target score");
    }

    /** The mean score over the sequences, run in batches of one length. */
    private static Tensor mean(HookedTransformer model, int[][] sequences, Function<int[], Tensor> detection, SequenceScore score,
                               boolean skipNaN, String what) {
        return means(model, sequences, List.of(detection), List.of(score), skipNaN, what).getFirst();
    }

    /** The mean scores of several detections over the sequences, from one run in batches of one length. */
    private static List<Tensor> means(HookedTransformer model, int[][] sequences, List<Function<int[], Tensor>> detections,
                                      List<SequenceScore> scores, boolean skipNaN, String what) {
        checkSequences(sequences);
        int layers = model.config().nLayers(), heads = model.config().nHeads();
        Map<Integer, List<Integer>> byLength = new LinkedHashMap<>();
        for (int i = 0; i < sequences.length; i++) {
            byLength.computeIfAbsent(sequences[i].length, k -> new ArrayList<>()).add(i);
        }
        List<Sums> sums = new ArrayList<>();
        for (int d = 0; d < detections.size(); d++) {
            sums.add(new Sums(layers * heads));
        }
        for (List<Integer> group : byLength.values()) {
            for (int start = 0; start < group.size(); start += BATCH) {
                List<Integer> chunk = group.subList(start, Math.min(group.size(), start + BATCH));
                int[][] batch = new int[chunk.size()][];
                for (int b = 0; b < batch.length; b++) {
                    batch[b] = sequences[chunk.get(b)];
                }
                Tensor patterns;
                // stack copies the patterns, so the cache can be closed: the next batch's pass reuses its arrays
                try (ActivationCache cache = model.runWithCache(batch, n -> n.endsWith(".attn.hook_pattern")).cache()) {
                    patterns = cache.stack("pattern");
                }
                for (int d = 0; d < detections.size(); d++) {
                    sums.get(d).add(patterns, batch, chunk, detections.get(d), scores.get(d), skipNaN);
                }
            }
        }
        List<Tensor> out = new ArrayList<>();
        for (Sums s : sums) {
            out.add(s.mean(layers, heads, skipNaN, what));
        }
        return out;
    }

    /** The mean score over the sequences of one cached run. */
    private static Tensor mean(ActivationCache cache, int[][] sequences, Function<int[], Tensor> detection, SequenceScore score,
                               boolean skipNaN, String what) {
        checkSequences(sequences);
        Tensor patterns = cache.stack("pattern"); // [n_layers, batch, n_heads, pos, pos]
        if (patterns.dim(1) != sequences.length) {
            throw new IllegalArgumentException("the cache holds the patterns of " + patterns.dim(1) + " sequences, but "
                    + sequences.length + " sequences were given");
        }
        List<Integer> all = new ArrayList<>();
        for (int i = 0; i < sequences.length; i++) {
            all.add(i);
        }
        Sums sums = new Sums(patterns.dim(0) * patterns.dim(2));
        sums.add(patterns, sequences, all, detection, score, skipNaN);
        return sums.mean(patterns.dim(0), patterns.dim(2), skipNaN, what);
    }

    private static void checkSequences(int[][] sequences) {
        if (sequences == null || sequences.length == 0) {
            throw new IllegalArgumentException("head detection needs at least one sequence");
        }
        for (int i = 0; i < sequences.length; i++) {
            if (sequences[i] == null || sequences[i].length == 0) {
                throw new IllegalArgumentException("sequence " + i + " is empty");
            }
        }
    }

    /** Running sums of per-head scores, and how many sequences each holds. */
    private static final class Sums {
        private final double[] total;
        private final int[] count;

        Sums(int size) {
            total = new double[size];
            count = new int[size];
        }

        /** Adds every sequence of one run: {@code patterns [n_layers, batch, n_heads, pos, pos]}. */
        void add(Tensor patterns, int[][] batch, List<Integer> index, Function<int[], Tensor> detection, SequenceScore score,
                 boolean skipNaN) {
            for (int b = 0; b < batch.length; b++) {
                int n = batch[b].length;
                if (patterns.dim(3) != n) {
                    throw new IllegalArgumentException("sequence " + index.get(b) + " has " + n + " tokens, but its patterns are "
                            + Shapes.str(patterns.dim(3), patterns.dim(4)));
                }
                Tensor p = detection.apply(batch[b]);
                if (p == null || p.rank() != 2 || p.dim(0) != n || p.dim(1) != n) {
                    throw new IllegalArgumentException("detection pattern of sequence " + index.get(b) + " has shape "
                            + (p == null ? "null" : Shapes.str(p.shape())) + ", expected " + Shapes.str(n, n));
                }
                float[] v = score.apply(patterns.select(1, b), p).toArray();
                for (int i = 0; i < v.length; i++) {
                    if (skipNaN && Float.isNaN(v[i])) {
                        continue;
                    }
                    total[i] += v[i];
                    count[i]++;
                }
            }
        }

        Tensor mean(int layers, int heads, boolean skipNaN, String what) {
            float[] out = new float[total.length];
            for (int i = 0; i < out.length; i++) {
                if (count[i] == 0) {
                    throw new IllegalArgumentException("no " + what + ": no query position of any sequence has a target in the detection pattern");
                }
                out[i] = (float) (total[i] / count[i]);
            }
            return Tensor.of(out, layers, heads);
        }
    }

    /**
     * Scores every head against one fixed detection pattern, for sequences of that pattern's length.
     *
     * @param model the model
     * @param sequences token sequences {@code [n][pos]}
     * @param detection {@code [pos, pos]}, lower-triangular
     * @param excludeBos ignore attention to position 0
     * @param excludeCurrentToken ignore attention to the query's own position
     * @param measure the error measure
     * @return {@code [n_layers, n_heads]} mean scores
     */
    public static Tensor detectHead(HookedTransformer model, int[][] sequences, Tensor detection,
                                    boolean excludeBos, boolean excludeCurrentToken, HeadDetector.ErrorMeasure measure) {
        return detectHead(model, sequences, tokens -> detection, excludeBos, excludeCurrentToken, measure);
    }
}
