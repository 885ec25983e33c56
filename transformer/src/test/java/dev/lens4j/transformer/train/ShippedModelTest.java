package dev.lens4j.transformer.train;

import dev.lens4j.hooks.ActivationCache;
import dev.lens4j.tensor.Tensor;
import dev.lens4j.transformer.HookedTransformer;
import dev.lens4j.transformer.loading.Models;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.SplittableRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The model lens4j ships ({@code induction-2l}) really has an induction circuit, measured with
 * TransformerLens's definitions on the engine's own forward pass ({@link HookedTransformer}), and the
 * trainer's forward pass computes the same thing.
 *
 * <p>Probe sequences are drawn like the training data: BOS, then distinct random words (a word recurs
 * only where the sequence repeats), then the same words again.
 */
class ShippedModelTest {

    private static final String NAME = "induction-2l";
    private static final String RESOURCE = "/dev/lens4j/transformer/models/" + NAME + "/";
    private static final int BATCH = 32;

    private static HookedTransformer model;

    @BeforeAll
    static void load() throws Exception {
        model = Models.fromPretrained(NAME); // by name, from the class path, no files
    }

    @AfterAll
    static void close() {
        model.close();
    }

    /** {@code [batch][1 + copies * half]}: BOS then {@code half} distinct random words, {@code copies} times. */
    private static int[][] repeated(long seed, int copies, int half) {
        InductionData data = new InductionData(64, 0, 48, 8, 23, true);
        TrainingBatch b = data.repeatedSequences(new SplittableRandom(seed), BATCH, half);
        int[][] out = new int[BATCH][1 + copies * half];
        for (int s = 0; s < BATCH; s++) {
            out[s][0] = b.tokens()[s * b.pos()];
            for (int c = 0; c < copies; c++) {
                System.arraycopy(b.tokens(), s * b.pos() + 1, out[s], 1 + c * half, half);
            }
        }
        return out;
    }

    @Test
    void loadsByNameWithTheWordVocabulary() {
        assertThat(model.config().modelName()).isEqualTo(NAME);
        assertThat(model.config().nLayers()).isEqualTo(2);
        assertThat(model.config().attnOnly()).isTrue();
        assertThat(model.tokenizer().vocabSize()).isEqualTo(64);
        assertThat(model.tokenizer().toStrTokens("apple river")).containsExactly("<|bos|>", " apple", " river");
    }

    @Test
    void lossIsLowOnTheRepeatedHalfAndNearLnVocabOnTheFirst() {
        int half = 23;
        float[] loss = model.perTokenLoss(repeated(1, 2, half)).contiguous().toArray(); // [batch, 46]
        int n = 2 * half; // positions - 1
        double first = 0, second = 0;
        for (int b = 0; b < BATCH; b++) {
            for (int t = 0; t < half; t++) {
                first += loss[b * n + t]; // predicting the first copy's words (t = half, the repeat's first word, is in neither mean)
            }
            for (int t = half + 1; t < n; t++) {
                second += loss[b * n + t]; // predicting the second to last words of the repeat
            }
        }
        first /= BATCH * half;
        second /= BATCH * (half - 1);
        System.out.printf("loss: first half %.3f (ln 64 = %.3f), repeated half %.3f%n", first, Math.log(64), second);
        assertThat(second).isLessThan(0.5);
        assertThat(first).isCloseTo(Math.log(64), org.assertj.core.api.Assertions.within(0.3));
    }

    @Test
    void layerZeroHasAPreviousTokenHeadAndLayerOneAnInductionHead() {
        int half = 11, p = 1 + 4 * half; // four copies: three quarters of the rows have an induction target
        int[][] tokens = repeated(2, 4, half);
        ActivationCache cache = model.runWithCache(tokens, name -> name.endsWith("hook_pattern")).cache();
        int heads = model.config().nHeads();
        double[][] prev = new double[2][heads];
        double[][] induction = new double[2][heads];
        float[] previous = HeadDetection.previousToken(p);
        for (int l = 0; l < 2; l++) {
            float[] pattern = cache.get("pattern", l).contiguous().toArray(); // [batch, head, q, k]
            for (int b = 0; b < BATCH; b++) {
                int[] flat = tokens[b];
                float[] ind = HeadDetection.induction(flat, 0, p);
                for (int h = 0; h < heads; h++) {
                    int off = (b * heads + h) * p * p;
                    prev[l][h] += HeadDetection.mulScore(pattern, off, previous, p) / BATCH;
                    induction[l][h] += HeadDetection.mulScore(pattern, off, ind, p) / BATCH;
                }
            }
        }
        System.out.println("previous-token scores " + java.util.Arrays.deepToString(prev));
        System.out.println("induction scores      " + java.util.Arrays.deepToString(induction));
        assertThat(max(prev[0])).as("best layer-0 previous-token score").isGreaterThanOrEqualTo(0.5);
        assertThat(max(induction[1])).as("best layer-1 induction score").isGreaterThanOrEqualTo(0.5);
        // and the roles are where the circuit needs them
        assertThat(max(induction[0])).isLessThan(0.2);
        assertThat(max(prev[1])).isLessThan(0.2);
    }

    /** Each shipped model's weights are as small as promised and the file its README's sha256 names. */
    @ParameterizedTest(name = "{0}")
    @CsvSource({"induction-2l, 1", "english-1l, 10", "english-2l, 10"})
    void weightsAreSmallAndMatchTheChecksumInTheReadme(String name, int maxMegabytes) throws Exception {
        String dir = "/dev/lens4j/transformer/models/" + name + "/";
        byte[] weights;
        String readme;
        try (InputStream w = ShippedModelTest.class.getResourceAsStream(dir + CheckpointWriter.WEIGHTS_FILE);
             InputStream r = ShippedModelTest.class.getResourceAsStream(dir + "README.md")) {
            assertThat(w).isNotNull();
            assertThat(r).isNotNull();
            weights = w.readAllBytes();
            readme = new String(r.readAllBytes(), StandardCharsets.UTF_8);
        }
        assertThat(weights.length).isLessThan(maxMegabytes << 20);
        Matcher m = Pattern.compile("model\\.safetensors sha256:\\s*([0-9a-f]{64})").matcher(readme);
        assertThat(m.find()).as("README.md states the sha256 of model.safetensors").isTrue();
        String actual = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(weights));
        assertThat(actual).isEqualTo(m.group(1));
    }

    private static double max(double[] xs) {
        double m = Double.NEGATIVE_INFINITY;
        for (double x : xs) {
            m = Math.max(m, x);
        }
        return m;
    }
}
