package dev.lens4j.hooks;

import dev.lens4j.tensor.Tensor;

import java.util.function.BiConsumer;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;

/**
 * A function run on an activation at a {@link HookPoint} during a forward pass, like a
 * TransformerLens hook.
 *
 * <p>Return the activation itself (or {@code null}) to observe it, or a new tensor of the same shape
 * to replace it: the replacement flows into the rest of the computation. A replacement of another
 * shape is refused with an {@link IllegalArgumentException} that names the hook point and both
 * shapes. A hook may also write into the activation in place ({@link Tensor#set}); the forward pass
 * reads it after the hook returns. Either way the value after the hooks is what flows on, as in
 * TransformerLens: a changed {@code hook_scale} is what the LayerNorm divides by, and weight that a
 * hook puts above the diagonal of {@code hook_attn_scores} or {@code hook_pattern} is used.
 *
 * <p>The activation handed to a hook is never changed by the forward pass afterwards, so a hook may
 * keep it. It may be a view of a larger buffer (for example {@code hook_q} of the fused Q|K|V
 * projection); {@link Tensor#copy()} it to keep a compact copy.
 *
 * <pre>{@code
 * // zero-ablate head 7 of layer 5
 * Hook ablate = (z, point) -> {
 *     Tensor out = z.copy();                              // [batch, pos, head_index, d_head]
 *     out.select(2, 7).copyFrom(Tensor.scalar(0f));
 *     return out;
 * };
 * Tensor logits = model.runWithHooks(tokens, HookSpec.of("blocks.5.attn.hook_z", ablate));
 * }</pre>
 */
@FunctionalInterface
public interface Hook {

    /**
     * Runs the hook.
     *
     * @param activation the value at the hook point; its shape is the point's shape, e.g.
     *                   {@code [batch, head_index, query_pos, key_pos]} for {@code hook_pattern}
     * @param point the hook point
     * @return {@code activation} or {@code null} to keep it, or a replacement of the same shape
     */
    Tensor apply(Tensor activation, HookPoint point);

    /**
     * A hook that only looks.
     *
     * @param observer receives each activation
     * @return the hook
     */
    static Hook observe(Consumer<Tensor> observer) {
        return (activation, point) -> {
            observer.accept(activation);
            return activation;
        };
    }

    /**
     * A hook that only looks, and is told where.
     *
     * @param observer receives each activation and its hook point
     * @return the hook
     */
    static Hook observe(BiConsumer<Tensor, HookPoint> observer) {
        return (activation, point) -> {
            observer.accept(activation, point);
            return activation;
        };
    }

    /**
     * A hook that replaces the activation with a fixed tensor (for example a cached activation from
     * another prompt, for activation patching). The replacement must have the activation's shape.
     *
     * @param replacement the value to use instead; it is read, never written
     * @return the hook
     */
    static Hook replaceWith(Tensor replacement) {
        if (replacement == null) {
            throw new IllegalArgumentException("replaceWith needs a tensor, got null");
        }
        return (activation, point) -> replacement;
    }

    /**
     * A hook that replaces the activation by a function of it.
     *
     * @param f computes the replacement from the activation; must keep the shape
     * @return the hook
     */
    static Hook replace(UnaryOperator<Tensor> f) {
        return (activation, point) -> f.apply(activation);
    }
}
