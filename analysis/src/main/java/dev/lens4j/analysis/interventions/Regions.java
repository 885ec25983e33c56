package dev.lens4j.analysis.interventions;

import dev.lens4j.tensor.Shapes;
import dev.lens4j.tensor.Tensor;

/** Copies selected slices of one activation into a copy of another. */
final class Regions {

    private Regions() {}

    /**
     * A copy of {@code act} whose selected heads and positions come from {@code source}.
     *
     * @param act the activation
     * @param source broadcastable to the activation's shape
     * @param layout where heads and positions are
     * @param heads heads to take from the source, or null for all
     * @param positions positions to take from the source, or null for all (negative counts from the end)
     * @param hookName for messages
     * @return a new tensor of the activation's shape
     */
    static Tensor replace(Tensor act, Tensor source, ActivationLayout layout, int[] heads, int[] positions, String hookName) {
        int[] shape = act.shape();
        Tensor src = broadcast(source, shape, hookName);
        if (heads == null && positions == null) {
            return src.copy();
        }
        Tensor out = act.copy();
        int[] hs = heads == null ? null : indices(heads, layout.headAxis(), shape, "head", hookName);
        int[] ps = positions == null ? null : indices(positions, layout.posAxis(), shape, "position", hookName);
        if (ps == null) {
            for (int h : hs) {
                out.select(layout.headAxis(), h).copyFrom(src.select(layout.headAxis(), h));
            }
            return out;
        }
        int headAfterPos = layout.headAxis() > layout.posAxis() ? layout.headAxis() - 1 : layout.headAxis();
        for (int p : ps) {
            Tensor o = out.select(layout.posAxis(), p);
            Tensor s = src.select(layout.posAxis(), p);
            if (hs == null) {
                o.copyFrom(s);
            } else {
                for (int h : hs) {
                    o.select(headAfterPos, h).copyFrom(s.select(headAfterPos, h));
                }
            }
        }
        return out;
    }

    private static Tensor broadcast(Tensor source, int[] shape, String hookName) {
        try {
            return source.broadcastTo(shape);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("replacement " + Shapes.str(source.shape()) + " does not fit " + hookName + " "
                    + Shapes.str(shape), e);
        }
    }

    private static int[] indices(int[] idx, int axis, int[] shape, String what, String hookName) {
        if (axis < 0 || axis >= shape.length) {
            throw new IllegalArgumentException(hookName + " " + Shapes.str(shape) + " has no " + what + " dimension");
        }
        int n = shape[axis];
        int[] out = new int[idx.length];
        for (int i = 0; i < idx.length; i++) {
            int v = idx[i] < 0 ? idx[i] + n : idx[i];
            if (v < 0 || v >= n) {
                throw new IllegalArgumentException(what + " " + idx[i] + " is outside [0, " + n + ") of " + hookName + " " + Shapes.str(shape));
            }
            out[i] = v;
        }
        return out;
    }
}
