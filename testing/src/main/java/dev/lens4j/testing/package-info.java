/**
 * Interpretability experiments as JUnit 5 tests: {@link dev.lens4j.testing.LensModel} gives tests a
 * shared model, {@link dev.lens4j.testing.LensAssertions} states claims about heads, ablations,
 * attributions and composition, and {@link dev.lens4j.testing.Measurements} computes the numbers
 * behind them.
 *
 * <pre>{@code
 * class InductionCircuitTest {
 *     @LensModel("induction-2l") HookedTransformer model;
 *
 *     @Test
 *     void layerOneHeadTwoIsAnInductionHead() {
 *         assertThatHead(model, 1, 2).hasInductionScoreAbove(0.5).logitAttributionRanksFirst();
 *     }
 * }
 * }</pre>
 */
package dev.lens4j.testing;
