package dev.lens4j.testing;

import dev.lens4j.hooks.Hook;
import dev.lens4j.transformer.HookedTransformer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.platform.launcher.Launcher;
import org.junit.platform.launcher.LauncherDiscoveryRequest;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;
import org.junit.platform.launcher.listeners.SummaryGeneratingListener;
import org.junit.platform.launcher.listeners.TestExecutionSummary;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

/**
 * The extension, run on fixture test classes through the JUnit Platform launcher (nested classes
 * are not run by Surefire on their own): what it injects, what it shares, when it closes, and how
 * it reports mistakes.
 */
class LensModelExtensionTest {

    static final String DIR_PROPERTY = "lens4j.testing.handWiredDir";
    static final String MODEL = "${" + DIR_PROPERTY + "}/hand-wired";

    /** What the fixtures saw, by name. */
    static final Map<String, HookedTransformer> SEEN = new ConcurrentHashMap<>();

    @TempDir
    static Path tmp;

    @BeforeAll
    static void writeModel() throws IOException {
        HandWiredInduction.write(tmp.resolve("hand-wired"));
        System.setProperty(DIR_PROPERTY, tmp.toString());
    }

    @BeforeEach
    void clear() {
        SEEN.clear();
    }

    static List<TestExecutionSummary.Failure> run(Class<?>... classes) {
        LauncherDiscoveryRequestBuilder b = LauncherDiscoveryRequestBuilder.request();
        for (Class<?> c : classes) {
            b.selectors(selectClass(c));
        }
        LauncherDiscoveryRequest request = b.build();
        Launcher launcher = LauncherFactory.create();
        SummaryGeneratingListener listener = new SummaryGeneratingListener();
        launcher.execute(request, listener);
        return new ArrayList<>(listener.getSummary().getFailures());
    }

    // ------------------------------------------------------------------ fixtures

    static class Injection {
        @LensModel(dir = MODEL)
        static HookedTransformer staticField;

        @LensModel(dir = MODEL)
        HookedTransformer field;

        final HookedTransformer fromConstructor;

        Injection(@LensModel(dir = MODEL) HookedTransformer m) {
            this.fromConstructor = m;
        }

        @BeforeAll
        static void before() {
            SEEN.put("beforeAll", staticField);
        }

        @Test
        void injected(@LensModel(dir = MODEL) HookedTransformer parameter) {
            SEEN.put("field", field);
            SEEN.put("constructor", fromConstructor);
            SEEN.put("parameter", parameter);
            assertThat(parameter.config().modelName()).isEqualTo("hand-wired-induction");
            assertThat(parameter.tokenizer().toStrTokens("w1 w2")).containsExactly("<|bos|>", " w1", " w2");
        }
    }

    static class SecondClass {
        @LensModel(dir = MODEL)
        HookedTransformer field;

        @LensModel(dir = MODEL, scope = LensModel.Scope.CLASS)
        HookedTransformer own;

        @LensModel(dir = MODEL, processing = false)
        HookedTransformer raw;

        @Test
        void injected() {
            SEEN.put("second", field);
            SEEN.put("classScoped", own);
            SEEN.put("raw", raw);
        }
    }

    static class LeavesAHook {
        @Test
        void forgetsToCloseTheHandle(@LensModel(dir = MODEL) HookedTransformer model) {
            SEEN.put("leaky", model);
            model.hooks().add("blocks.0.attn.hook_pattern", Hook.observe(p -> { }));
        }
    }

    static class LeavesAHookFromAField {
        @LensModel(dir = MODEL)
        HookedTransformer model;

        @Test
        void addsAPermanentHook() {
            model.hooks().addPermanent("hook_embed", Hook.observe(p -> { }));
        }
    }

    static class ClosesItsHooks {
        @Test
        void scoped(@LensModel(dir = MODEL) HookedTransformer model) {
            try (var _ = model.hooks().add("blocks.0.attn.hook_pattern", Hook.observe(p -> { }))) {
                model.forward(new int[][] {{0, 1, 2}});
            }
        }
    }

    static class WrongFieldType {
        @LensModel(dir = MODEL)
        String model;

        @Test
        void never() {
        }
    }

    static class NameAndFolder {
        @Test
        void never(@LensModel(value = "induction-2l", dir = MODEL) HookedTransformer model) {
        }
    }

    static class MissingModel {
        @Test
        void never(@LensModel("no-such-model-anywhere") HookedTransformer model) {
        }
    }

    static class MissingProperty {
        @Test
        void never(@LensModel(dir = "${no.such.property}/x") HookedTransformer model) {
        }
    }

    // ------------------------------------------------------------------ tests

    @Test
    void injectsOneSharedModelEverywhereAndClosesItAtTheEnd() {
        assertThat(run(Injection.class, SecondClass.class)).isEmpty();
        HookedTransformer shared = SEEN.get("field");
        assertThat(shared).isNotNull();
        for (String where : List.of("beforeAll", "constructor", "parameter", "second")) {
            assertThat(SEEN.get(where)).as(where).isSameAs(shared);
        }
        assertThat(SEEN.get("classScoped")).isNotNull().isNotSameAs(shared);
        assertThat(SEEN.get("raw")).isNotNull().isNotSameAs(shared).isNotSameAs(SEEN.get("classScoped"));
        // the unprocessed model's weights are views of the mapped checkpoint: closed with the run, reading them fails
        HookedTransformer raw = SEEN.get("raw");
        assertThatThrownBy(() -> raw.forward(new int[][] {{0, 1, 2}})).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void leftoverHooksFailTheTestAndAreRemoved() {
        List<TestExecutionSummary.Failure> failures = run(LeavesAHook.class);
        assertThat(failures).hasSize(1);
        assertThat(failures.getFirst().getException()).isInstanceOf(AssertionError.class)
                .hasMessage("test forgetsToCloseTheHandle(HookedTransformer) left 1 hook on the shared model hand-wired-induction "
                        + "[HookSpec[blocks.0.attn.hook_pattern]]; they were removed so that later tests are not affected. Close each "
                        + "HookHandle (try-with-resources), pass hooks to runWithHooks for one call, or use @LensModel(scope = "
                        + "Scope.CLASS) for a model of the class's own");
        assertThat(SEEN.get("leaky").hooks().isEmpty()).isTrue();
    }

    @Test
    void leftoverHooksOnAFieldFailTheClass() {
        List<TestExecutionSummary.Failure> failures = run(LeavesAHookFromAField.class);
        assertThat(failures).hasSize(1);
        assertThat(failures.getFirst().getTestIdentifier().isContainer()).isTrue();
        assertThat(failures.getFirst().getException()).hasMessageStartingWith(
                "test class LeavesAHookFromAField left 1 hook on the shared model hand-wired-induction [HookSpec[hook_embed]]");
    }

    @Test
    void scopedHooksAreFine() {
        assertThat(run(ClosesItsHooks.class)).isEmpty();
    }

    @Test
    void mistakesAreNamed() {
        assertThat(run(WrongFieldType.class)).singleElement().extracting(TestExecutionSummary.Failure::getException)
                .satisfies(e -> assertThat(e).hasMessage("@LensModel on field WrongFieldType.model of type java.lang.String: "
                        + "the field must be a HookedTransformer"));
        assertThat(run(NameAndFolder.class)).singleElement().extracting(TestExecutionSummary.Failure::getException)
                .satisfies(e -> assertThat(e).hasMessage("@LensModel on parameter #0 of NameAndFolder.never() names both a model "
                        + "('induction-2l') and a folder ('" + MODEL + "'); give one"));
        assertThat(run(MissingModel.class)).singleElement().extracting(TestExecutionSummary.Failure::getException)
                .satisfies(e -> assertThat(e).hasMessageStartingWith("@LensModel on parameter #0 of MissingModel.never(): "
                        + "cannot load model 'no-such-model-anywhere': no-such-model-anywhere: not a model shipped with lens4j"));
        assertThat(run(MissingProperty.class)).singleElement().extracting(TestExecutionSummary.Failure::getException)
                .satisfies(e -> assertThat(e).hasMessage("@LensModel on parameter #0 of MissingProperty.never(): folder "
                        + "'${no.such.property}/x' uses ${no.such.property}, but there is no system property no.such.property"));
    }
}
