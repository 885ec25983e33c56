package dev.lens4j.transformer.train;

import org.junit.jupiter.api.Test;

import java.util.Arrays;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * Options the trainer cannot take are refused by name before anything is allocated, and a run whose
 * loss stops being finite stops at that step instead of writing NaN weights.
 */
class TrainingValidationTest {

    private static final TrainingOptions D = TrainingOptions.defaults();

    @Test
    void learningRatesThatAreNotPositiveFiniteNumbersAreRefusedByName() {
        for (float lr : new float[] {Float.POSITIVE_INFINITY, Float.NaN, 0f, -1e-3f, Float.NEGATIVE_INFINITY}) {
            TrainingOptionException e = catchThrowableOfType(TrainingOptionException.class,
                    () -> D.withLearningRate(lr, 0, 3e-4f));
            assertThat(e).as("lr %s", lr).isNotNull();
            assertThat(e.options()).containsExactly("learningRate");
            assertThat(e.getMessage()).isEqualTo("learningRate must be a positive finite number, got " + lr);
            assertThat(e.message(n -> n.equals("learningRate") ? "--lr" : n))
                    .isEqualTo("--lr must be a positive finite number, got " + lr);
        }
        assertThatThrownBy(() -> D.withLearningRate(3e-3f, 0, Float.POSITIVE_INFINITY))
                .hasMessage("finalLearningRate must be a finite number, 0 or more, got Infinity");
        assertThatThrownBy(() -> D.withLearningRate(3e-3f, 0, Float.NaN))
                .hasMessage("finalLearningRate must be a finite number, 0 or more, got NaN");
        assertThatThrownBy(() -> D.withLearningRate(3e-3f, -1, 3e-4f)).hasMessage("warmupSteps must be 0 or more, got -1");
    }

    @Test
    void sizesWhoseProductsOverflowAnArrayAreRefusedNamingTheOptions() {
        // before: ParameterLayout's Math.multiplyExact threw "integer overflow", or an int product wrapped
        TrainingOptionException e = catchThrowableOfType(TrainingOptionException.class,
                () -> D.withArchitecture(2, 1000, 100_000, 1000, 0, 48, "LN"));
        assertThat(e.getMessage()).startsWith("dModel 100000 x 3 x nHeads 1000 x dHead 1000 = 3.00e+11 floats in each block's "
                + "W_Q, W_K and W_V side by side, more than a Java array holds (2,147,483,639)");
        assertThat(e.options()).containsExactly("dModel", "nHeads", "dHead");

        e = catchThrowableOfType(TrainingOptionException.class, () -> D.withBatchSize(1_000_000));
        assertThat(e.getMessage()).startsWith("batchSize 1000000 x nHeads 4 x nCtx 48 x 48 = 9.22e+09 floats in a batch's "
                + "attention patterns of one block");

        e = catchThrowableOfType(TrainingOptionException.class, () -> D.withArchitecture(200_000, 4, 64, 16, 0, 48, "LN"));
        assertThat(e.getMessage()).isEqualTo("nLayers 200000, dModel 64, nHeads 4, dHead 16, dMlp 0 and nCtx 48 make 3.35e+09 "
                + "parameters, more than a Java array holds (2,147,483,639)");

        // a vocabulary that makes the logits of a batch too large: refused by the trainer, before allocating
        TrainingOptions wide = D.withBatchSize(100_000).withArchitecture(1, 1, 1, 1, 0, 48, "none");
        assertThatThrownBy(() -> wide.requireFits(1000)).isInstanceOf(TrainingOptionException.class)
                .hasMessageStartingWith("batchSize 100000 x nCtx 48 x d_vocab 1000 = 4.80e+09 floats in a batch's logits");
    }

    @Test
    void aLossThatBecomesNanStopsTrainingAtThatStepWithTheWeightsBeforeIt() {
        // a learning rate so large that the first update sends the weights to ~1e30 and the next loss to NaN or infinity
        InductionTrainer t = new InductionTrainer(D.withSteps(50).withBatchSize(4).withLearningRate(1e30f, 0, 1e30f));
        float[] before = null;
        TrainingDivergedException diverged = null;
        for (int s = 1; s <= 50 && diverged == null; s++) {
            before = t.params().clone();
            try {
                t.step();
            } catch (TrainingDivergedException e) {
                diverged = e;
            }
        }
        assertThat(diverged).as("training with lr 1e30 diverges").isNotNull();
        int step = diverged.step();
        assertThat(step).isGreaterThan(1).isEqualTo(t.stepsDone() + 1);
        assertThat(diverged.getMessage()).startsWith("training diverged at step " + step + ": the ")
                .contains("(learning rate 1.0E30 at that step, gradient clipping to 1.0); lower the learning rate");
        assertThat(t.params()).as("the update of the diverged step is not applied").isEqualTo(before);
        assertThat(allFinite(t.params())).isTrue();
        // train() stops the same way
        InductionTrainer again = new InductionTrainer(D.withSteps(50).withBatchSize(4).withLearningRate(1e30f, 0, 1e30f));
        assertThatThrownBy(() -> again.train(TrainingListener.NONE)).isInstanceOf(TrainingDivergedException.class)
                .hasMessageStartingWith("training diverged at step " + step + ": ");
    }

    private static boolean allFinite(float[] xs) {
        return Arrays.stream(toDoubles(xs)).allMatch(Double::isFinite);
    }

    private static double[] toDoubles(float[] xs) {
        double[] d = new double[xs.length];
        for (int i = 0; i < xs.length; i++) {
            d[i] = xs[i];
        }
        return d;
    }
}
