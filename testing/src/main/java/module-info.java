/**
 * Experiments as tests: a JUnit 5 extension that provides models ({@code @LensModel}) and AssertJ-style
 * assertions for interpretability claims. A test class in a named module must open its package to
 * {@code dev.lens4j.testing}, which injects the models into its fields.
 */
module dev.lens4j.testing {
    requires transitive dev.lens4j.analysis;
    requires transitive org.junit.jupiter.api;
    requires transitive org.assertj.core;

    exports dev.lens4j.testing;
}
