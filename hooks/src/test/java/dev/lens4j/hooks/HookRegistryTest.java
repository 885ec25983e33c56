package dev.lens4j.hooks;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class HookRegistryTest {

    private static final List<String> NAMES = List.of("hook_embed", "blocks.0.hook_resid_pre", "blocks.0.attn.hook_pattern",
            "blocks.1.hook_resid_pre", "blocks.1.attn.hook_pattern", "ln_final.hook_scale");
    private static final Hook NOOP = (a, p) -> a;

    @Test
    void closingAHandleRemovesTheHook() {
        HookRegistry r = new HookRegistry(NAMES);
        HookHandle h;
        try (HookHandle handle = r.add("blocks.0.hook_resid_pre", NOOP)) {
            h = handle;
            assertThat(r.size()).isEqualTo(1);
            assertThat(handle.isActive()).isTrue();
        }
        assertThat(r.isEmpty()).isTrue();
        assertThat(h.isActive()).isFalse();
        h.close(); // twice is harmless
        assertThat(r.isEmpty()).isTrue();
    }

    @Test
    void handleIsClosedEvenWhenTheBodyThrows() {
        HookRegistry r = new HookRegistry(NAMES);
        assertThatThrownBy(() -> {
            try (HookHandle _ = r.add(n -> n.endsWith("hook_pattern"), NOOP)) {
                throw new IllegalStateException("boom");
            }
        }).hasMessage("boom");
        assertThat(r.isEmpty()).isTrue();
    }

    @Test
    void resetKeepsPermanentHooksResetAllRemovesThem() {
        HookRegistry r = new HookRegistry(NAMES);
        r.add("hook_embed", NOOP);
        HookHandle perm = r.addPermanent("ln_final.hook_scale", NOOP);
        r.addPermanent(n -> true, NOOP);
        r.add(n -> true, NOOP);
        assertThat(r.size()).isEqualTo(4);
        r.reset();
        assertThat(r.snapshot()).extracting(HookSpec::name).containsExactly("ln_final.hook_scale", null);
        perm.close();
        assertThat(r.size()).isEqualTo(1);
        r.resetAll();
        assertThat(r.isEmpty()).isTrue();
    }

    @Test
    void snapshotKeepsRegistrationOrderAndIsImmutable() {
        HookRegistry r = new HookRegistry();
        Hook a = (x, p) -> x;
        Hook b = (x, p) -> x;
        r.add("anything", a);
        r.add("other", b);
        List<HookSpec> snap = r.snapshot();
        assertThat(snap).extracting(HookSpec::hook).containsExactly(a, b);
        r.reset();
        assertThat(snap).hasSize(2);
    }

    @Test
    void unknownNameIsRefusedWithCloseNames() {
        HookRegistry r = new HookRegistry(NAMES);
        assertThatThrownBy(() -> r.add("blocks.0.attn.hook_patern", NOOP))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("blocks.0.attn.hook_patern")
                .hasMessageContaining("blocks.0.attn.hook_pattern");
    }

    @Test
    void concurrentRegistrationLosesNothing() throws Exception {
        HookRegistry r = new HookRegistry();
        int threads = 4;
        int per = 500;
        CountDownLatch start = new CountDownLatch(1);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        List<Thread> ts = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            Thread th = new Thread(() -> {
                try {
                    start.await();
                    List<HookHandle> mine = new ArrayList<>();
                    for (int i = 0; i < per; i++) {
                        mine.add(r.add("x", NOOP));
                    }
                    for (int i = 0; i < per; i += 2) {
                        mine.get(i).close();
                    }
                } catch (Throwable e) {
                    failure.set(e);
                }
            });
            ts.add(th);
            th.start();
        }
        start.countDown();
        for (Thread th : ts) {
            th.join();
        }
        assertThat(failure.get()).isNull();
        assertThat(r.size()).isEqualTo(threads * per / 2);
    }
}
