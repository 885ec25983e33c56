package dev.lens4j.transformer.train;

import dev.lens4j.tensor.Tensor;
import dev.lens4j.transformer.TransformerWeights;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Predicate;

/**
 * The trainable parameters of a model: the heap arrays its weights are views of, each once, in the
 * order of the state dict (W_Q, W_K and W_V of a block share one fused array, a tied W_U shares
 * W_E's), with whether weight decay applies. The optimizer works on these arrays in place, so the
 * model the trainer runs is the model that learns.
 */
final class Parameters {

    /**
     * One array of parameters.
     *
     * @param names the TransformerLens names of the weights that view it
     * @param values the array
     * @param decay whether AdamW's weight decay applies (matrices other than the embeddings)
     */
    record Group(List<String> names, float[] values, boolean decay) {}

    private final List<Group> groups;

    private Parameters(List<Group> groups) {
        this.groups = List.copyOf(groups);
    }

    /**
     * The parameter arrays of a model's weights, every one trained.
     *
     * @param weights the weights the model runs on (heap tensors)
     * @return the groups, in state-dict order
     * @throws IllegalArgumentException if a weight is not on the heap
     */
    static Parameters of(TransformerWeights weights) {
        return of(weights, name -> true);
    }

    /**
     * The parameter arrays of a model's weights that are trained; the others keep their values.
     *
     * @param weights the weights the model runs on (heap tensors)
     * @param trained which weights, by TransformerLens name, the optimizer updates
     * @return the groups, in state-dict order
     * @throws IllegalArgumentException if a weight is not on the heap, or one array holds weights
     *     that are trained and weights that are not
     */
    static Parameters of(TransformerWeights weights, Predicate<String> trained) {
        Map<float[], List<String>> names = new IdentityHashMap<>();
        Map<float[], Boolean> decay = new IdentityHashMap<>();
        List<float[]> order = new ArrayList<>();
        for (Map.Entry<String, Tensor> e : weights.stateDict().entrySet()) {
            float[] a = e.getValue().heapStorage();
            if (a == null) {
                throw new IllegalArgumentException("weight " + e.getKey() + " is memory-mapped: training needs the weights on the heap");
            }
            if (!names.containsKey(a)) {
                names.put(a, new ArrayList<>());
                decay.put(a, false);
                order.add(a);
            }
            names.get(a).add(e.getKey());
            decay.put(a, decay.get(a) || decays(e.getKey()));
        }
        List<Group> groups = new ArrayList<>();
        for (float[] a : order) {
            List<String> n = names.get(a);
            long kept = n.stream().filter(trained).count();
            if (kept > 0 && kept < n.size()) {
                throw new IllegalArgumentException("weights " + n + " share one array, but only some of them are trained");
            }
            if (kept > 0) {
                groups.add(new Group(n, a, decay.get(a)));
            }
        }
        return new Parameters(groups);
    }

    /** Weight decay applies to the matrices that read or write the residual stream, not to the embeddings, biases or norms. */
    private static boolean decays(String name) {
        String leaf = name.substring(name.lastIndexOf('.') + 1);
        return (leaf.startsWith("W_") || leaf.startsWith("_W_")) && !name.equals("embed.W_E") && !name.equals("pos_embed.W_pos");
    }

    /**
     * Parameters made of given groups (for tests of the optimizer).
     *
     * @param groups the groups
     * @return the parameters
     */
    static Parameters ofGroups(List<Group> groups) {
        return new Parameters(groups);
    }

    /**
     * Returns the groups.
     *
     * @return every parameter array, in state-dict order
     */
    List<Group> groups() {
        return groups;
    }

    /**
     * The initial weights of a new model, as the shipped models' recipe draws them: every matrix
     * {@code W_*} normal with standard deviation {@code 0.8 / sqrt(d_model)}, drawn in state-dict order
     * from one seeded generator (Box-Muller with StrictMath, the same on every platform); norm weights
     * one, biases zero.
     *
     * @param shapes the parameters and their shapes ({@link TransformerWeights#shapes})
     * @param dModel the residual width
     * @param seed the seed
     * @return name to tensor
     */
    static Map<String, Tensor> initial(Map<String, int[]> shapes, int dModel, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        double std = 0.8 / Math.sqrt(dModel);
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (Map.Entry<String, int[]> e : shapes.entrySet()) {
            String leaf = e.getKey().substring(e.getKey().lastIndexOf('.') + 1);
            Tensor t = Tensor.zeros(e.getValue());
            float[] a = t.heapArray();
            if (leaf.startsWith("W_") || leaf.startsWith("_W_")) {
                for (int i = 0; i < a.length; i++) {
                    a[i] = (float) (std * gaussian(rng));
                }
            } else if (leaf.equals("w")) {
                java.util.Arrays.fill(a, 1f);
            }
            out.put(e.getKey(), t);
        }
        return out;
    }

    /**
     * Overwrites {@code unembed.W_U [d_model, d_vocab]} with the transpose of {@code embed.W_E
     * [d_vocab, d_model]}, in place: the unembedding starts as GPT-2's tied one, each token's output
     * direction its input direction (the two are still separate parameters).
     *
     * @param initial the weights from {@link #initial}, both matrices on the heap
     * @throws IllegalArgumentException if either matrix is missing or their shapes are not transposes
     */
    static void unembedFromEmbed(Map<String, Tensor> initial) {
        Tensor e = initial.get("embed.W_E"), u = initial.get("unembed.W_U");
        if (e == null || u == null || e.rank() != 2 || u.rank() != 2 || e.dim(0) != u.dim(1) || e.dim(1) != u.dim(0)) {
            throw new IllegalArgumentException("W_U can start as W_E's transpose only with both, [d_vocab, d_model] and "
                    + "[d_model, d_vocab]; got " + (e == null ? "no W_E" : java.util.Arrays.toString(e.shape())) + " and "
                    + (u == null ? "no W_U" : java.util.Arrays.toString(u.shape())));
        }
        int vocab = e.dim(0), dModel = e.dim(1);
        float[] src = e.heapArray(), dst = u.heapArray();
        for (int v = 0; v < vocab; v++) {
            for (int d = 0; d < dModel; d++) {
                dst[d * vocab + v] = src[v * dModel + d];
            }
        }
    }

    /** A standard normal sample (Box-Muller with StrictMath, so identical on every platform). */
    static double gaussian(SplittableRandom rng) {
        double u = 1.0 - rng.nextDouble(); // (0, 1]
        double v = rng.nextDouble();
        return StrictMath.sqrt(-2.0 * StrictMath.log(u)) * StrictMath.cos(2 * StrictMath.PI * v);
    }
}
