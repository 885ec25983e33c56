package dev.lens4j.analysis.interventions;

import dev.lens4j.hooks.ActNames;
import dev.lens4j.tensor.Shapes;
import dev.lens4j.tensor.Tensor;

import java.util.Arrays;

/**
 * One activation patch: at a hook point, combine the corrupted run's activation with the clean
 * run's (TransformerLens's patch setters in {@code patching.py}).
 *
 * <pre>{@code
 * Patch.slice("blocks.3.hook_resid_pre", new int[] {1}, new int[] {5});            // [:, 5] from clean
 * Patch.headAtPosition("blocks.1.attn.hook_z", 5, 2);                              // [:, 5, 2] from clean
 * new Patch("blocks.0.hook_attn_out", (corrupted, clean) -> clean.mul(0.5f).add(corrupted.mul(0.5f)));
 * }</pre>
 *
 * @param hookName the full hook point name
 * @param setter computes the patched activation
 */
public record Patch(String hookName, Setter setter) {

    /** Computes a patched activation. */
    @FunctionalInterface
    public interface Setter {
        /**
         * Combines the corrupted and clean activations.
         *
         * @param corrupted the corrupted run's activation (must not be changed)
         * @param clean the clean run's activation at the same hook point, the same shape
         * @return the patched activation, the same shape
         */
        Tensor patch(Tensor corrupted, Tensor clean);
    }

    /** Checks the name and setter. */
    public Patch {
        if (hookName == null || setter == null) {
            throw new IllegalArgumentException("a patch needs a hook name and a setter");
        }
    }

    /**
     * The whole activation from the clean run.
     *
     * @param hookName a full name or TransformerLens shorthand
     * @return the patch
     */
    public static Patch all(String hookName) {
        return new Patch(ActNames.of(hookName), (corrupted, clean) -> clean);
    }

    /**
     * The entries at given indices of given axes from the clean run, every other entry from the
     * corrupted run: {@code slice(name, {1, 2}, {pos, head})} is TransformerLens's
     * {@code corrupted[:, pos, head] = clean[:, pos, head]}.
     *
     * @param hookName a full name or TransformerLens shorthand
     * @param axes distinct axes of the activation
     * @param indices one index per axis (negative counts from the end)
     * @return the patch
     */
    public static Patch slice(String hookName, int[] axes, int[] indices) {
        if (axes.length != indices.length) {
            throw new IllegalArgumentException("patch slice needs one index per axis, got axes " + Arrays.toString(axes)
                    + " and indices " + Arrays.toString(indices));
        }
        int[] ax = axes.clone(), ix = indices.clone();
        String name = ActNames.of(hookName);
        return new Patch(name, (corrupted, clean) -> {
            Tensor out = corrupted.copy();
            view(out, ax, ix, name).copyFrom(view(clean, ax, ix, name));
            return out;
        });
    }

    /**
     * TransformerLens's {@code layer_pos_patch_setter}: one position of a {@code [batch, pos, ...]} activation.
     *
     * @param hookName a full name or shorthand
     * @param pos the position
     * @return the patch
     */
    public static Patch position(String hookName, int pos) {
        return slice(hookName, new int[] {1}, new int[] {pos});
    }

    /**
     * TransformerLens's {@code layer_head_vector_patch_setter} (every position of one head of
     * {@code hook_z}, {@code hook_q}, ...) and {@code layer_head_pattern_patch_setter} (one head of
     * {@code hook_pattern}).
     *
     * @param hookName a per-head hook point
     * @param head the head
     * @return the patch
     */
    public static Patch head(String hookName, int head) {
        String name = ActNames.of(hookName);
        ActivationLayout layout = ActivationLayout.of(name);
        if (!layout.hasHeads()) {
            throw new IllegalArgumentException(name + " has no head dimension");
        }
        return slice(name, new int[] {layout.headAxis()}, new int[] {head});
    }

    /**
     * TransformerLens's {@code layer_pos_head_vector_patch_setter} (one head at one position of
     * {@code hook_z}, ...) and {@code layer_head_pos_pattern_patch_setter} (one head's row for one
     * destination position of {@code hook_pattern}).
     *
     * @param hookName a per-head hook point
     * @param pos the (query) position
     * @param head the head
     * @return the patch
     */
    public static Patch headAtPosition(String hookName, int pos, int head) {
        String name = ActNames.of(hookName);
        ActivationLayout layout = ActivationLayout.of(name);
        if (!layout.hasHeads()) {
            throw new IllegalArgumentException(name + " has no head dimension");
        }
        return slice(name, new int[] {layout.posAxis(), layout.headAxis()}, new int[] {pos, head});
    }

    /** Selects {@code indices} along {@code axes}, highest axis first so lower axes keep their numbers. */
    private static Tensor view(Tensor t, int[] axes, int[] indices, String name) {
        Integer[] order = new Integer[axes.length];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
            if (axes[i] < 0 || axes[i] >= t.rank()) {
                throw new IllegalArgumentException("axis " + axes[i] + " is outside " + name + " " + Shapes.str(t.shape()));
            }
            int size = t.dim(axes[i]);
            if (indices[i] < -size || indices[i] >= size) {
                throw new IllegalArgumentException("index " + indices[i] + " on axis " + axes[i] + " is outside " + name + " "
                        + Shapes.str(t.shape()) + " (" + size + " there; negative indices count from the end)");
            }
        }
        Arrays.sort(order, (a, b) -> Integer.compare(axes[b], axes[a]));
        Tensor v = t;
        int prev = Integer.MAX_VALUE;
        for (int i : order) {
            if (axes[i] == prev) {
                throw new IllegalArgumentException("axis " + axes[i] + " is given twice for " + name);
            }
            prev = axes[i];
            v = v.select(axes[i], indices[i]);
        }
        return v;
    }
}
