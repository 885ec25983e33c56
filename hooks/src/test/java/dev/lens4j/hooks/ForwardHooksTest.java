package dev.lens4j.hooks;

import dev.lens4j.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ForwardHooksTest {

    private static final List<HookPoint> POINTS = List.of(new HookPoint("hook_embed", 0),
            new HookPoint("blocks.0.hook_resid_pre", 1), new HookPoint("blocks.0.attn.hook_z", 2));

    @Test
    void modelHooksFireBeforeCallHooksAndTheCacheSeesTheFinalValue() {
        List<String> order = new ArrayList<>();
        HookSpec model = HookSpec.of("blocks.0.attn.hook_z", (a, p) -> {
            order.add("model");
            return a.add(1f);
        });
        HookSpec call = HookSpec.matching(n -> n.endsWith("hook_z"), (a, p) -> {
            order.add("call:" + p.name());
            return a.mul(10f);
        });
        ForwardHooks fh = ForwardHooks.resolve(POINTS, List.of(model), List.of(call), n -> true, 1);
        assertThat(fh.isActive(POINTS.get(0))).isTrue(); // cached
        Tensor out = fh.run(POINTS.get(2), Tensor.ones(1, 2, 3, 4));
        assertThat(order).containsExactly("model", "call:blocks.0.attn.hook_z");
        assertThat(out.get(0, 1, 2, 3)).isEqualTo(20f);
        assertThat(fh.cache().get("z", 0).get(0, 0, 0, 0)).isEqualTo(20f);
    }

    @Test
    void inactivePointsAreReportedInactive() {
        ForwardHooks fh = ForwardHooks.resolve(POINTS, List.of(), List.of(HookSpec.of("hook_embed", Hook.observe(t -> { }))), null, 1);
        assertThat(fh.isActive(POINTS.get(0))).isTrue();
        assertThat(fh.isActive(POINTS.get(1))).isFalse();
        assertThat(fh.caching()).isFalse();
        assertThat(fh.cache().size()).isZero();
        assertThat(ForwardHooks.none(POINTS).anyActive()).isFalse();
    }

    @Test
    void onlyHookedPointsHaveHooksCachedOnesDoNot() {
        ForwardHooks fh = ForwardHooks.resolve(POINTS, List.of(HookSpec.of("blocks.0.hook_resid_pre", Hook.observe(t -> { }))),
                List.of(HookSpec.of("hook_embed", (a, p) -> a)), n -> n.endsWith("hook_z"), 1);
        assertThat(fh.hasHooks(POINTS.get(0))).isTrue();   // call hook
        assertThat(fh.hasHooks(POINTS.get(1))).isTrue();   // model hook
        assertThat(fh.hasHooks(POINTS.get(2))).isFalse();  // cached only: active, but nothing can change it
        assertThat(fh.isActive(POINTS.get(2))).isTrue();
        assertThat(ForwardHooks.none(POINTS).hasHooks(POINTS.get(0))).isFalse();
    }

    @Test
    void observingHooksKeepTheSameTensor() {
        Tensor in = Tensor.ones(2, 2);
        ForwardHooks fh = ForwardHooks.resolve(POINTS, List.of(),
                List.of(HookSpec.of("hook_embed", Hook.observe((t, p) -> { })), HookSpec.of("hook_embed", (a, p) -> null)), null, 1);
        assertThat(fh.run(POINTS.get(0), in)).isSameAs(in);
    }

    @Test
    void replacementOfTheWrongShapeIsRefused() {
        ForwardHooks fh = ForwardHooks.resolve(POINTS, List.of(),
                List.of(HookSpec.of("blocks.0.hook_resid_pre", Hook.replaceWith(Tensor.zeros(1, 5, 8)))), null, 1);
        assertThatThrownBy(() -> fh.run(POINTS.get(1), Tensor.zeros(1, 4, 8)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("blocks.0.hook_resid_pre")
                .hasMessageContaining("[1, 5, 8]")
                .hasMessageContaining("[1, 4, 8]");
    }

    @Test
    void unknownHookNameIsRefused() {
        assertThatThrownBy(() -> ForwardHooks.resolve(POINTS, List.of(), List.of(HookSpec.of("blocks.0.attn.hook_zz", Hook.observe(t -> { }))), null, 1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("blocks.0.attn.hook_zz")
                .hasMessageContaining("blocks.0.attn.hook_z");
    }

    @Test
    void replaceHelpers() {
        ForwardHooks fh = ForwardHooks.resolve(POINTS, List.of(),
                List.of(HookSpec.of("hook_embed", Hook.replace(t -> t.mul(3f)))), null, 1);
        assertThat(fh.run(POINTS.get(0), Tensor.full(2f, 3)).toArray()).containsExactly(6f, 6f, 6f);
        assertThatThrownBy(() -> Hook.replaceWith(null)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> HookSpec.of(null, (a, p) -> a)).isInstanceOf(IllegalArgumentException.class);
    }
}
