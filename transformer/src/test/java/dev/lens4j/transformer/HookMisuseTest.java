package dev.lens4j.transformer;

import dev.lens4j.hooks.Hook;
import dev.lens4j.hooks.HookSpec;
import org.junit.jupiter.api.Test;

import java.util.Arrays;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Mistakes with hooks get a message that says what is wrong, not a NullPointerException. */
class HookMisuseTest {

    private static final int[][] TOKENS = {{1, 2, 3}};

    /** Before: a NullPointerException from List.copyOf, with no message. */
    @Test
    void aNullHookSpecIsNamed() {
        try (HookedTransformer m = RandomModels.model(RandomModels.small(), 1)) {
            assertThatThrownBy(() -> m.runWithHooks(TOKENS, (HookSpec) null)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("hook spec 0 of 1 is null; make one with HookSpec.of(name, hook) or HookSpec.matching(filter, hook)");
            HookSpec ok = HookSpec.of("hook_embed", Hook.observe(t -> { }));
            assertThatThrownBy(() -> m.runWithHooks(TOKENS, ok, null)).hasMessageStartingWith("hook spec 1 of 2 is null");
            assertThatThrownBy(() -> m.runWithHooks(TOKENS, (HookSpec[]) null)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageStartingWith("the hook specs are null");
            assertThatThrownBy(() -> ForwardOptions.builder().hooks(Arrays.asList(ok, null)))
                    .hasMessageStartingWith("hook spec 1 of 2 is null");
            assertThatThrownBy(() -> m.hooks().add((HookSpec) null)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageStartingWith("hook spec is null");
        }
    }

    /** Before: the hook was added to a model that can run no pass, silently. */
    @Test
    void addingAHookToAClosedModelIsRefused() {
        HookedTransformer m = RandomModels.model(RandomModels.small(), 1);
        m.close();
        Hook h = Hook.observe(t -> { });
        assertThatThrownBy(() -> m.hooks().add("hook_embed", h)).isInstanceOf(IllegalStateException.class)
                .hasMessage("cannot add HookSpec[hook_embed]: model small is closed");
        assertThatThrownBy(() -> m.hooks().add(n -> true, h)).isInstanceOf(IllegalStateException.class)
                .hasMessage("cannot add HookSpec[filter]: model small is closed");
        assertThatThrownBy(() -> m.hooks().addPermanent("hook_embed", h)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> m.forward(TOKENS)).isInstanceOf(IllegalStateException.class).hasMessage("model small is closed");
    }
}
