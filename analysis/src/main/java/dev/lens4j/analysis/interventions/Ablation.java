package dev.lens4j.analysis.interventions;

import dev.lens4j.hooks.ActNames;
import dev.lens4j.hooks.ActivationCache;
import dev.lens4j.hooks.Hook;
import dev.lens4j.hooks.HookSpec;
import dev.lens4j.tensor.Shapes;
import dev.lens4j.tensor.Tensor;

import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.function.UnaryOperator;

/**
 * What to ablate — a head, some heads, a component, some positions — turned into a hook by how:
 * zero, mean or resample ablation. The hook belongs to one call, so ablations of different heads
 * can run concurrently on one model.
 *
 * <pre>{@code
 * // zero-ablate head 1.3 (its hook_z, as TransformerLens usually does)
 * Tensor logits = model.runWithHooks(tokens, Ablation.head(1, 3).zero());
 * // mean-ablate the layer-0 attention output at positions 4 and 5, the mean taken over a reference set
 * model.runWithHooks(tokens, Ablation.component("attn_out", 0).atPositions(4, 5).mean(referenceCache));
 * // resample-ablate head 0.1 from other prompts (one random reference sequence per sequence, fixed by the seed)
 * model.runWithHooks(tokens, Ablation.head(0, 1).resample(referenceCache, 42));
 * }</pre>
 *
 * <p>A head ablation works on {@code hook_z} {@code [batch, pos, head_index, d_head]}, which is
 * what the head writes through {@code W_O}: zeroing it removes exactly the head's term
 * {@code z[h] W_O[h]} from {@code attn_out} ({@code b_O} stays). {@link #ofHeads} selects heads of
 * any per-head activation ({@code hook_q}, {@code hook_pattern}, ...); positions are query
 * positions for {@code hook_pattern} and {@code hook_attn_scores}.
 *
 * <ul>
 *   <li>{@link #zero()}: the selected entries become 0.</li>
 *   <li>{@link #meanOverBatch()}: they become their mean over the batch of the run itself, position
 *       by position (TransformerLens's usual {@code z[:, :, h] = z[:, :, h].mean(0)}).</li>
 *   <li>{@link #mean(ActivationCache)}: they become their mean over the sequences of a reference run
 *       with the same number of positions.</li>
 *   <li>{@link #resample(ActivationCache, long)}: each sequence gets the values of one reference
 *       sequence drawn at random (seeded; the same draw on every call).</li>
 * </ul>
 */
public final class Ablation {

    private final String hookName;
    private final int[] heads;      // null: every head (or no head dimension)
    private final int[] positions;  // null: every position

    private Ablation(String hookName, int[] heads, int[] positions) {
        this.hookName = hookName;
        this.heads = heads;
        this.positions = positions;
        if (heads != null && !ActivationLayout.of(hookName).hasHeads()) {
            throw new IllegalArgumentException(hookName + " has no head dimension; heads " + Arrays.toString(heads) + " cannot be selected");
        }
    }

    /**
     * Ablates one attention head.
     *
     * @param layer the block
     * @param head the head (negative counts from the end, as for positions)
     * @return the ablation of one head's {@code hook_z}
     */
    public static Ablation head(int layer, int head) {
        return heads(layer, head);
    }

    /**
     * Ablates some attention heads of one layer together.
     *
     * @param layer the block
     * @param heads the heads, at least one (negative counts from the end)
     * @return the ablation of these heads' {@code hook_z}
     */
    public static Ablation heads(int layer, int... heads) {
        if (heads.length == 0) {
            throw new IllegalArgumentException("name at least one head to ablate");
        }
        return new Ablation(ActNames.of("z", layer), heads.clone(), null);
    }

    /**
     * Ablates a whole activation, such as an attention or MLP output.
     *
     * @param name a hook point name or TransformerLens shorthand ({@code "blocks.0.hook_attn_out"}, {@code "mlp_out3"})
     * @return the ablation of the whole activation
     */
    public static Ablation component(String name) {
        return new Ablation(ActNames.of(name), null, null);
    }

    /**
     * Ablates a whole activation of one block.
     *
     * @param shortName TransformerLens shorthand, e.g. {@code "attn_out"}, {@code "mlp_out"}, {@code "resid_pre"}, {@code "pattern"}
     * @param layer the block
     * @return the ablation of that activation of that block
     */
    public static Ablation component(String shortName, int layer) {
        return new Ablation(ActNames.of(shortName, layer), null, null);
    }

    /**
     * Restricts this ablation to some positions.
     *
     * @param positions the positions to ablate (query positions for attention patterns; negative counts from the end)
     * @return this ablation restricted to those positions
     */
    public Ablation atPositions(int... positions) {
        if (positions.length == 0) {
            throw new IllegalArgumentException("name at least one position to ablate");
        }
        return new Ablation(hookName, heads, positions.clone());
    }

    /**
     * Restricts this ablation to some heads.
     *
     * @param heads the heads of a per-head activation to ablate (negative counts from the end)
     * @return this ablation restricted to those heads
     */
    public Ablation ofHeads(int... heads) {
        if (heads.length == 0) {
            throw new IllegalArgumentException("name at least one head to ablate");
        }
        return new Ablation(hookName, heads.clone(), positions);
    }

    /**
     * The hook point this ablation replaces values at.
     *
     * @return the hook point this ablation acts on
     */
    public String hookName() {
        return hookName;
    }

    // ------------------------------------------------------------------ how

    /**
     * Zero ablation.
     *
     * @return a hook setting the selected entries to zero
     */
    public HookSpec zero() {
        return spec(act -> Tensor.zeros(act.shape()));
    }

    /**
     * Mean ablation over the run's own batch.
     *
     * @return a hook setting the selected entries to their mean over the run's own batch, per position
     */
    public HookSpec meanOverBatch() {
        return spec(act -> act.mean(0, true).broadcastTo(act.shape()));
    }

    /**
     * Mean ablation over a reference set given as an activation.
     *
     * @param referenceActivation {@code [ref_batch, ...]}: this hook point's activation on a
     *                            reference set; all but the first dimension must match the run's
     * @return a hook setting the selected entries to their mean over the reference set's sequences
     */
    public HookSpec mean(Tensor referenceActivation) {
        Tensor mean = referenceActivation.mean(0, true).contiguous();
        return spec(act -> {
            requireMatches(referenceActivation, act);
            return mean.broadcastTo(act.shape());
        });
    }

    /**
     * Mean ablation over a reference run's sequences.
     *
     * @param reference a cache of a reference run that holds this hook point
     * @return a hook setting the selected entries to their mean over the reference run's sequences
     */
    public HookSpec mean(ActivationCache reference) {
        return mean(reference.get(hookName));
    }

    /**
     * Resample ablation from reference sequences given as an activation.
     *
     * @param referenceActivation {@code [ref_batch, ...]}: this hook point's activation on reference
     *                            sequences; all but the first dimension must match the run's
     * @param seed chooses, for each sequence {@code b} of the run in order, reference sequence
     *             {@code new SplittableRandom(seed).nextInt(ref_batch)}
     * @return a hook setting the selected entries to those of the chosen reference sequences
     */
    public HookSpec resample(Tensor referenceActivation, long seed) {
        return spec(act -> {
            requireMatches(referenceActivation, act);
            SplittableRandom rng = new SplittableRandom(seed);
            Tensor[] rows = new Tensor[act.dim(0)];
            for (int b = 0; b < rows.length; b++) {
                rows[b] = referenceActivation.select(0, rng.nextInt(referenceActivation.dim(0)));
            }
            return Tensor.stack(0, rows);
        });
    }

    /**
     * Resample ablation from a reference run's sequences.
     *
     * @param reference a cache of a reference run that holds this hook point
     * @param seed chooses the reference sequence of each sequence, as in {@link #resample(Tensor, long)}
     * @return the resample-ablation hook
     */
    public HookSpec resample(ActivationCache reference, long seed) {
        return resample(reference.get(hookName), seed);
    }

    /**
     * A hook that sets the selected entries to those of any replacement computed from the activation.
     *
     * @param replacement from the activation to a tensor of its shape (or broadcastable to it)
     * @return the hook
     */
    public HookSpec with(UnaryOperator<Tensor> replacement) {
        return spec(replacement);
    }

    private HookSpec spec(UnaryOperator<Tensor> replacement) {
        ActivationLayout layout = ActivationLayout.of(hookName);
        Hook hook = (act, point) -> Regions.replace(act, replacement.apply(act), layout, heads, positions, hookName);
        return HookSpec.of(hookName, hook);
    }

    private void requireMatches(Tensor ref, Tensor act) {
        int[] a = act.shape(), r = ref.shape();
        if (r.length != a.length || !Arrays.equals(Arrays.copyOfRange(r, 1, r.length), Arrays.copyOfRange(a, 1, a.length))) {
            throw new IllegalArgumentException("reference activation " + Shapes.str(r) + " of " + hookName + " does not match the run's "
                    + Shapes.str(a) + " beyond the batch dimension (same number of positions needed)");
        }
    }

    @Override
    public String toString() {
        return "Ablation[" + hookName + (heads == null ? "" : ", heads " + Arrays.toString(heads))
                + (positions == null ? "" : ", positions " + Arrays.toString(positions)) + "]";
    }
}
