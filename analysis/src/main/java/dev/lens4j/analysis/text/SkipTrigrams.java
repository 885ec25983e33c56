package dev.lens4j.analysis.text;

import dev.lens4j.tensor.Tensor;
import dev.lens4j.transformer.ForwardResult;
import dev.lens4j.transformer.HookedTransformer;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * The skip-trigrams of a one-layer model's heads, read from the weights, and the places in real text
 * where they fire. A skip-trigram "{@code source ... dest -> out}" is a head that, at a destination token,
 * attends to an earlier source token (its QK circuit) and, having attended, raises the logit of
 * {@code out} (its OV circuit). The two circuits are separate: QK decides where to look from
 * (dest, source) alone, OV what to carry from the source alone; the head cannot condition one on the
 * other, nor on the words in between. That is the same-layer bug ({@link #bugInstances}).
 *
 * <p>Triples are ranked on the {@link TokenCircuits}: the QK score of (dest, source) centred over the
 * candidate sources of that dest, times the OV logit of (source, out) centred over all outs, both
 * positive. Candidates are the most frequent tokens, so that the triples are about text the model saw
 * often, not about the noise of rare embeddings.
 */
public final class SkipTrigrams {

    private SkipTrigrams() {
    }

    /**
     * One skip-trigram.
     *
     * @param head the head
     * @param source the attended token
     * @param dest the token attending
     * @param out the boosted token
     * @param qk the centred QK score of (dest, source)
     * @param ov the centred OV logit of (source, out)
     */
    public record Triple(int head, int source, int dest, int out, float qk, float ov) {

        /**
         * Returns the ranking score.
         *
         * @return {@code qk * ov}
         */
        public float score() {
            return qk * ov;
        }
    }

    /**
     * The strongest skip-trigrams of one head: the best dest and out for each candidate source, the top
     * {@code k} by score, one per source.
     *
     * @param circuits the layer's token circuits
     * @param head the head
     * @param candidates the tokens considered as source, dest and out (usually the most frequent)
     * @param k how many
     * @return up to {@code k} triples, best first
     */
    public static List<Triple> top(TokenCircuits circuits, int head, int[] candidates, int k) {
        float[][] qk = centredRows(circuits.qk(head), candidates, candidates); // [dest][source]
        float[][] ov = centredRows(circuits.ov(head), candidates, candidates); // [source][out]
        List<Triple> all = new ArrayList<>();
        for (int s = 0; s < candidates.length; s++) {
            int bestOut = argmax(ov[s]);
            float o = ov[s][bestOut];
            int bestDest = -1;
            float q = 0;
            for (int d = 0; d < candidates.length; d++) {
                if (qk[d][s] > q) {
                    q = qk[d][s];
                    bestDest = d;
                }
            }
            if (bestDest >= 0 && o > 0) {
                all.add(new Triple(head, candidates[s], candidates[bestDest], candidates[bestOut], q, o));
            }
        }
        all.sort(Comparator.comparingDouble((Triple t) -> -t.score()).thenComparingInt(Triple::source));
        return List.copyOf(all.subList(0, Math.min(k, all.size())));
    }

    /** {@code m[rows][cols]} restricted to the given rows and columns, each row minus its mean over those columns. */
    private static float[][] centredRows(Tensor m, int[] rows, int[] cols) {
        int v = m.dim(1);
        float[] all = m.contiguous().toArray();
        float[][] out = new float[rows.length][cols.length];
        for (int i = 0; i < rows.length; i++) {
            double mean = 0;
            for (int j = 0; j < cols.length; j++) {
                out[i][j] = all[rows[i] * v + cols[j]];
                mean += out[i][j];
            }
            mean /= cols.length;
            for (int j = 0; j < cols.length; j++) {
                out[i][j] -= (float) mean;
            }
        }
        return out;
    }

    private static int argmax(float[] xs) {
        int best = 0;
        for (int i = 1; i < xs.length; i++) {
            if (xs[i] > xs[best]) {
                best = i;
            }
        }
        return best;
    }

    /**
     * A place in real text where a head attends from a destination token to an earlier source token.
     *
     * @param head the head
     * @param sequence the sequence's index in the batch
     * @param destPos the destination's position
     * @param sourcePos the attended position
     * @param attention the attention paid, {@code pattern[head, destPos, sourcePos]}
     * @param headLogit what the head's output adds to the logit of {@code out}, through the final norm
     *                  (its direct logit attribution, centred over the vocabulary)
     * @param out the token the triple boosts
     * @param next the token that really follows the destination
     * @param predicted the model's top prediction at the destination
     */
    public record Firing(int head, int sequence, int destPos, int sourcePos, float attention, float headLogit, int out,
                         int next, int predicted) {}

    /**
     * Where each triple fires in the given sequences: positions holding its dest with its source earlier
     * in the same sequence, where the head pays the source at least {@code minAttention} in total. One
     * run with cache of the model.
     *
     * @param model the one-layer model (processed weights)
     * @param rows {@code [batch][pos]} token sequences
     * @param triples the triples
     * @param minAttention the least attention on the source's positions, summed
     * @return every firing, in order of triple, then sequence and position
     */
    public static List<Firing> firings(HookedTransformer model, int[][] rows, List<Triple> triples, float minAttention) {
        String patternHook = "blocks.0.attn.hook_pattern", zHook = "blocks.0.attn.hook_z", scaleHook = "ln_final.hook_scale";
        ForwardResult run = model.runWithCache(rows, n -> n.equals(patternHook) || n.equals(zHook) || n.equals(scaleHook));
        Tensor pattern = run.cache().get(patternHook);   // [batch, head, dest, source]
        Tensor z = run.cache().get(zHook);               // [batch, pos, head, d_head]
        Tensor scale = run.cache().contains(scaleHook) ? run.cache().get(scaleHook) : null; // [batch, pos, 1]
        Tensor logits = run.logits();                    // [batch, pos, d_vocab]
        Tensor wO = model.weights().layers().get(0).wO(); // [head, d_head, d_model]
        Tensor wU = model.weights().wU();                // [d_model, d_vocab]
        List<Firing> out = new ArrayList<>();
        for (Triple tr : triples) {
            Tensor dir = wU.select(1, tr.out()).sub(wU.mean(1, false)); // [d_model]: out's logit minus the mean logit
            Tensor headDir = wO.select(0, tr.head()).matmul(dir.unsqueeze(1)).squeeze(1); // [d_head]
            for (int b = 0; b < rows.length; b++) {
                for (int t = 1; t + 1 < rows[b].length; t++) {
                    if (rows[b][t] != tr.dest()) {
                        continue;
                    }
                    float att = 0;
                    int last = -1;
                    for (int s = 0; s < t; s++) {
                        if (rows[b][s] == tr.source()) {
                            att += pattern.get(b, tr.head(), t, s);
                            last = s;
                        }
                    }
                    if (last < 0 || att < minAttention) {
                        continue;
                    }
                    float hl = 0;
                    for (int e = 0; e < headDir.dim(0); e++) {
                        hl += z.get(b, t, tr.head(), e) * headDir.get(e);
                    }
                    if (scale != null) {
                        hl /= scale.get(b, t, 0);
                    }
                    out.add(new Firing(tr.head(), b, t, last, att, hl, tr.out(), rows[b][t + 1], logits.select(0, b).select(0, t).argmax()));
                }
            }
        }
        return out;
    }

    /**
     * The firings that are instances of the same-layer bug: the head attends to the source and its
     * OV raises {@code out} enough to make it the model's top prediction, yet the text continues with
     * another token. The head chose its source from (dest, source) and its payload from the source
     * alone; the words between them, which made {@code out} wrong here, reach neither choice.
     *
     * @param firings firings from {@link #firings}
     * @param minHeadLogit the least direct logit attribution of the head to {@code out}
     * @return the bug instances, largest head logit first
     */
    public static List<Firing> bugInstances(List<Firing> firings, float minHeadLogit) {
        Firing[] bugs = firings.stream()
                .filter(f -> f.predicted() == f.out() && f.next() != f.out() && f.headLogit() >= minHeadLogit)
                .toArray(Firing[]::new);
        Arrays.sort(bugs, Comparator.comparingDouble((Firing f) -> -f.headLogit()));
        return List.of(bugs);
    }
}
