package dev.lens4j.testing;

import org.junit.jupiter.api.extension.ExtendWith;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Gives a test a {@link dev.lens4j.transformer.HookedTransformer}, loaded once and shared: put it on
 * a field or on a test-method, lifecycle-method or constructor parameter.
 *
 * <pre>{@code
 * class InductionTest {
 *     @LensModel("induction-2l")
 *     HookedTransformer model;                                  // loaded once per test run
 *
 *     @Test
 *     void layerOneHasInductionHeads(@LensModel(dir = "${models}/gpt2") HookedTransformer gpt2) { ... }
 * }
 * }</pre>
 *
 * <p>{@link #value()} is a name for {@link dev.lens4j.transformer.loading.Models#fromPretrained(String)}
 * (a model shipped with lens4j, a folder, or a Hugging Face cache id); {@link #dir()} a checkpoint
 * folder, where {@code ${name}} is replaced by the system property {@code name} and a relative path
 * is resolved against the working directory. With neither, the shipped {@code induction-2l} model
 * is loaded. Models are loaded with TransformerLens's default weight processing unless
 * {@link #processing()} is false.
 *
 * <p>A model is loaded once per {@link #scope()} — the whole test run by default — and closed when
 * the scope ends. Tests share it, so they must not change its weights, and hooks they add to
 * {@code model.hooks()} must be removed again (try-with-resources): a test class that leaves hooks
 * on a run-wide model fails, and the hooks are removed. Forward passes are thread-safe, so tests
 * running in parallel may share a model.
 */
@Target({ElementType.FIELD, ElementType.PARAMETER})
@Retention(RetentionPolicy.RUNTIME)
@Documented
@ExtendWith(LensModelExtension.class)
public @interface LensModel {

    /** How long a loaded model is kept. */
    enum Scope {
        /** One instance for the whole test run (the default): loaded at first use, closed at the end. */
        RUN,
        /** One instance per test class: loaded at first use in the class, closed after its last test. */
        CLASS
    }

    /**
     * The model's name, as {@link dev.lens4j.transformer.loading.Models#fromPretrained(String)} takes it.
     *
     * @return e.g. {@code "induction-2l"}; empty to use {@link #dir()} (or the default model)
     */
    String value() default "";

    /**
     * A checkpoint folder; {@code ${property}} is replaced by that system property.
     *
     * @return e.g. {@code "${user.home}/models/gpt2"}; empty to use {@link #value()}
     */
    String dir() default "";

    /**
     * Whether to apply TransformerLens's default weight processing (fold LayerNorm, centre writing
     * weights and the unembedding, fold value biases), as {@code from_pretrained} does.
     *
     * @return false for {@code from_pretrained_no_processing}
     */
    boolean processing() default true;

    /**
     * How long the model is kept and shared.
     *
     * @return {@link Scope#RUN} (default) or {@link Scope#CLASS}
     */
    Scope scope() default Scope.RUN;
}
