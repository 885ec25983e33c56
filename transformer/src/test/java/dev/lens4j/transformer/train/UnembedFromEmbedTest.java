package dev.lens4j.transformer.train;

import dev.lens4j.tensor.Tensor;
import dev.lens4j.transformer.TransformerWeights;
import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@code W_U} starting as the transpose of {@code W_E}: only that matrix differs from the usual
 * initialisation, and the two remain separate parameters that training moves apart.
 */
class UnembedFromEmbedTest {

    private static final int VOCAB = 40;

    private static Trainer trainer(boolean unembedFromEmbed) {
        TrainingOptions o = TrainingOptions.defaults().withArchitecture(2, 2, 16, 8, 0, 21, "LN").withBatchSize(4).withSteps(3);
        return new Trainer(o, InductionTrainer.config(o, VOCAB), new InductionData(VOCAB, 0, 21, 4, 10, true), unembedFromEmbed);
    }

    @Test
    void wUStartsAsTheTransposeOfWEAndEveryOtherWeightAsUsual() {
        TransformerWeights usual = trainer(false).weights(), tied = trainer(true).weights();
        float[] e = tied.get("embed.W_E").toArray(), u = tied.get("unembed.W_U").toArray();
        int d = tied.get("embed.W_E").dim(1);
        for (int v = 0; v < VOCAB; v++) {
            for (int k = 0; k < d; k++) {
                assertThat(u[k * VOCAB + v]).as("W_U[%d, %d]", k, v).isEqualTo(e[v * d + k]);
            }
        }
        assertThat(usual.get("unembed.W_U").toArray()).isNotEqualTo(u);
        for (var entry : usual.stateDict().entrySet()) {
            if (!entry.getKey().equals("unembed.W_U")) {
                assertThat(tied.get(entry.getKey()).toArray()).as(entry.getKey()).isEqualTo(entry.getValue().toArray());
            }
        }
    }

    @Test
    void trainingMovesThemApart() {
        Trainer t = trainer(true);
        for (int i = 0; i < 3; i++) {
            t.step();
        }
        TransformerWeights w = t.weights();
        Tensor e = w.get("embed.W_E"), u = w.get("unembed.W_U");
        assertThat(u.toArray()).isNotEqualTo(e.transpose(0, 1).contiguous().toArray());
        // two arrays, each updated by the optimizer: W_U counts among the trained parameters
        assertThat(t.trainedParameterCount()).isEqualTo(trainer(false).trainedParameterCount());
    }

    @Test
    void refusesMatricesThatAreNotTransposes() {
        Map<String, Tensor> w = new LinkedHashMap<>();
        w.put("embed.W_E", Tensor.zeros(5, 3));
        w.put("unembed.W_U", Tensor.zeros(3, 4));
        assertThatThrownBy(() -> Parameters.unembedFromEmbed(w)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("[5, 3]").hasMessageContaining("[3, 4]");
        w.remove("unembed.W_U");
        assertThatThrownBy(() -> Parameters.unembedFromEmbed(w)).hasMessageContaining("no W_U");
    }
}
