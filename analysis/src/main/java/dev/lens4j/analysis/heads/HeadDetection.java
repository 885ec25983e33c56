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
     * Scores every head against a named detection pattern on texts, tokenised with a BOS token
     * first (TransformerLens's {@code to_tokens} default).
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
        if (sequences == null || sequences.length == 0) {
            throw new IllegalArgumentException("detectHead needs at least one sequence");
        }
        int layers = model.config().nLayers(), heads = model.config().nHeads();
        Map<Integer, List<Integer>> byLength = new LinkedHashMap<>();
        for (int i = 0; i < sequences.length; i++) {
            if (sequences[i] == null || sequences[i].length == 0) {
                throw new IllegalArgumentException("sequence " + i + " is empty");
            }
            byLength.computeIfAbsent(sequences[i].length, k -> new ArrayList<>()).add(i);
        }
        float[] total = new float[layers * heads];
        for (List<Integer> group : byLength.values()) {
            for (int start = 0; start < group.size(); start += BATCH) {
                List<Integer> chunk = group.subList(start, Math.min(group.size(), start + BATCH));
                int[][] batch = new int[chunk.size()][];
                for (int b = 0; b < batch.length; b++) {
                    batch[b] = sequences[chunk.get(b)];
                }
                ActivationCache cache = model.runWithCache(batch, n -> n.endsWith(".attn.hook_pattern")).cache();
                Tensor patterns = cache.stack("pattern"); // [n_layers, batch, n_heads, pos, pos]
                for (int b = 0; b < batch.length; b++) {
                    int n = batch[b].length;
                    Tensor p = detection.apply(batch[b]);
                    if (p == null || p.rank() != 2 || p.dim(0) != n || p.dim(1) != n) {
                        throw new IllegalArgumentException("detection pattern of sequence " + chunk.get(b) + " has shape "
                                + (p == null ? "null" : Shapes.str(p.shape())) + ", expected " + Shapes.str(n, n));
                    }
                    Tensor s = HeadDetector.scores(patterns.select(1, b), p, excludeBos, excludeCurrentToken, measure);
                    float[] v = s.toArray();
                    for (int i = 0; i < v.length; i++) {
                        total[i] += v[i];
                    }
                }
            }
        }
        for (int i = 0; i < total.length; i++) {
            total[i] /= sequences.length;
        }
        return Tensor.of(total, layers, heads);
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
