// tag::consumer-main[]
package com.example.induction;

import dev.lens4j.analysis.heads.InductionEvals;
import dev.lens4j.tensor.kernel.KernelProvider;
import dev.lens4j.transformer.HookedTransformer;
import dev.lens4j.transformer.loading.Models;

import java.io.IOException;
import java.util.Locale;

/** How well the model lens4j ships predicts the second copy of a repeated block of random tokens. */
public final class InductionLoss {

    private InductionLoss() {}

    /**
     * TransformerLens's {@code evals.induction_loss}: the mean loss on the second copy of 4 blocks of
     * 16 random tokens.
     *
     * @param model the model
     * @return the loss in nats
     */
    public static float of(HookedTransformer model) {
        return InductionEvals.inductionLoss(model, 4, 16, 42L);
    }

    /**
     * Prints the induction loss of the shipped {@code induction-2l} model and the kernels it ran on.
     *
     * @param args none
     * @throws IOException if the model cannot be read
     */
    public static void main(String[] args) throws IOException {
        try (HookedTransformer model = Models.fromPretrained("induction-2l")) {
            System.out.printf(Locale.ROOT, "induction-2l: induction loss %.2f nats (a uniform guess: %.2f); kernels: %s%n",
                    of(model), Math.log(model.config().dVocab()), KernelProvider.vectorized() ? "Vector API" : "scalar");
        }
    }
}
// end::consumer-main[]
