package dev.lens4j.analysis.text;

import dev.lens4j.tensor.Tensor;
import dev.lens4j.transformer.TransformerConfig;
import dev.lens4j.transformer.TransformerWeights;

import java.util.ArrayList;
import java.util.List;

/**
 * The direct path of a model: the embedding of the current token, through the final norm, read by the
 * unembedding, {@code norm(W_E[a]) W_U + b_U}, with nothing in between. It is the only route by which
 * the current token alone sets the logits, so what it predicts is a bigram table ("after New, boost
 * York"), and training makes it approach the corpus' bigram statistics, as far as the rank
 * {@code d_model} allows.
 *
 * <p>The final norm is applied to each token's embedding with its own statistics ({@code W_E[a]} taken
 * as the whole residual stream): in the model the stream also holds the positional embedding and the
 * heads' outputs, so its real scale is larger and its real distribution flatter, but each row's
 * ranking of the next tokens, and its correlation with anything, do not depend on that scale.
 *
 * <pre>{@code
 * Tensor direct = DirectPath.logits(model.config(), model.weights());      // [d_vocab, d_vocab_out]
 * DirectPath.Comparison c = DirectPath.compare(direct, stats, stats.mostFrequent(200, bos), 5, bos);
 * }</pre>
 */
public final class DirectPath {

    private DirectPath() {
    }

    /**
     * The direct path's logits for every current token.
     *
     * @param cfg the model's config
     * @param w its weights (processed or not: the final norm's weight and bias are applied when present)
     * @return {@code [d_vocab, d_vocab_out]}: row {@code a} is the logits the embedding of {@code a} alone gives
     */
    public static Tensor logits(TransformerConfig cfg, TransformerWeights w) {
        Tensor normed = cfg.normalization().apply(w.wE(), w.lnFinalW(), w.lnFinalB(), cfg.eps()); // [d_vocab, d_model]
        return normed.matmul(w.wU()).add(w.bU());
    }

    /**
     * One current token's predictions.
     *
     * @param token the current token
     * @param count how often it occurs in the corpus
     * @param direct the direct path's top next tokens, best first
     * @param bigram the corpus' most frequent next tokens, most frequent first
     * @param correlation Pearson correlation, over every next token but the excluded one, of the direct
     *                    path's logits and the bigram model's log-probabilities
     */
    public record Row(int token, long count, int[] direct, int[] bigram, double correlation) {}

    /**
     * The direct path against the corpus' bigrams, for chosen current tokens.
     *
     * @param rows one row per chosen token, in the given order
     * @param meanCorrelation the mean of the rows' correlations
     * @param top1Agreement the share of rows whose direct path's top next token is the corpus' most frequent one
     */
    public record Comparison(List<Row> rows, double meanCorrelation, double top1Agreement) {}

    /**
     * Compares the direct path's logits with the corpus' bigram statistics.
     *
     * @param directLogits {@code [d_vocab, d_vocab_out]} from {@link #logits}
     * @param stats the corpus' statistics, of the same vocabulary
     * @param tokens the current tokens to compare (usually the most frequent)
     * @param k how many top next tokens to list per row
     * @param exclude a token left out of the next tokens (BOS, which never follows anything), or -1
     * @return the comparison
     * @throws IllegalArgumentException if the vocabularies differ
     */
    public static Comparison compare(Tensor directLogits, NgramStatistics stats, int[] tokens, int k, int exclude) {
        int v = directLogits.dim(1);
        if (v != stats.vocabSize()) {
            throw new IllegalArgumentException("direct-path logits have " + v + " next tokens, the statistics " + stats.vocabSize());
        }
        List<Row> rows = new ArrayList<>();
        double sumCorr = 0;
        int agree = 0;
        for (int a : tokens) {
            float[] logits = directLogits.select(0, a).toArray();
            double[] bigram = stats.bigramLogProbs(a);
            double corr = pearson(logits, bigram, exclude);
            int[] direct = topK(logits, k, exclude);
            int[] next = stats.topNext(a, k);
            rows.add(new Row(a, stats.count(a), direct, next, corr));
            sumCorr += corr;
            agree += next.length > 0 && direct.length > 0 && next[0] == direct[0] ? 1 : 0;
        }
        return new Comparison(rows, tokens.length == 0 ? Double.NaN : sumCorr / tokens.length,
                tokens.length == 0 ? Double.NaN : (double) agree / tokens.length);
    }

    /** Pearson correlation of two rows, leaving one index out. */
    static double pearson(float[] x, double[] y, int exclude) {
        int n = 0;
        double mx = 0, my = 0;
        for (int i = 0; i < x.length; i++) {
            if (i != exclude) {
                mx += x[i];
                my += y[i];
                n++;
            }
        }
        mx /= n;
        my /= n;
        double sxy = 0, sxx = 0, syy = 0;
        for (int i = 0; i < x.length; i++) {
            if (i != exclude) {
                double dx = x[i] - mx, dy = y[i] - my;
                sxy += dx * dy;
                sxx += dx * dx;
                syy += dy * dy;
            }
        }
        return sxx == 0 || syy == 0 ? 0 : sxy / Math.sqrt(sxx * syy);
    }

    /** The k largest entries' indices, largest first (ties: smaller index first), leaving one index out. */
    static int[] topK(float[] row, int k, int exclude) {
        int[] best = new int[Math.min(k, row.length - (exclude >= 0 ? 1 : 0))];
        java.util.Arrays.fill(best, -1);
        for (int i = 0; i < row.length; i++) {
            if (i == exclude) {
                continue;
            }
            for (int j = 0; j < best.length; j++) {
                if (best[j] < 0 || row[i] > row[best[j]]) {
                    System.arraycopy(best, j, best, j + 1, best.length - j - 1);
                    best[j] = i;
                    break;
                }
            }
        }
        return best;
    }
}
