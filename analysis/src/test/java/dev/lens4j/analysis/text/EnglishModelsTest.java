package dev.lens4j.analysis.text;

import dev.lens4j.transformer.HookedTransformer;
import dev.lens4j.transformer.loading.Models;
import dev.lens4j.transformer.train.CorpusData;
import dev.lens4j.transformer.train.LessonRecipes;
import dev.lens4j.transformer.train.Trainer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.InputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The lesson's claims about the shipped models of English, each against an untrained model of the same
 * architecture that must fail it: the models beat the corpus' unigram model on held-out text; the
 * one-layer model's direct path has learnt the corpus' bigrams; its skip-trigrams, read from the
 * weights alone, are paid real attention where they occur in held-out text.
 */
class EnglishModelsTest {

    static HookedTransformer oneLayer;
    static HookedTransformer twoLayer;
    static NgramStatistics stats;
    static int[][] heldOut;
    static int bos;
    static EnglishLesson lesson;

    @BeforeAll
    static void load() throws Exception {
        oneLayer = Models.fromPretrained("english-1l");
        twoLayer = Models.fromPretrained("english-2l");
        lesson = EnglishLesson.ofShippedCorpus(oneLayer);
        bos = lesson.bos();
        stats = lesson.stats();
        heldOut = lesson.heldOut(128);
    }

    @AfterAll
    static void close() {
        oneLayer.close();
        twoLayer.close();
    }

    /** The recipe's architecture before any step, with the shipped tokenizer, loaded as the shipped models are. */
    static HookedTransformer untrained(String name, Path dir) throws Exception {
        LessonRecipes.Recipe recipe = LessonRecipes.recipe(name);
        int ctx = recipe.options().nCtx();
        byte[] tokenizer;
        try (InputStream in = EnglishModelsTest.class.getResourceAsStream("/dev/lens4j/transformer/models/" + name + "/tokenizer.json")) {
            tokenizer = in.readAllBytes();
        }
        Trainer t = recipe.trainer(new CorpusData(new int[ctx], 2047, ctx));
        t.writeCheckpoint(dir, Map.of(LessonRecipes.TOKENIZER_FILE, tokenizer), null);
        return Models.fromPretrained(dir);
    }

    static double loss(HookedTransformer m) {
        return EnglishLesson.loss(m, heldOut);
    }

    @Test
    void bothModelsBeatTheUnigramModelAndNotTheUntrainedOnes(@TempDir Path dir) throws Exception {
        double unigram = stats.unigramLoss(heldOut);
        double bigram = stats.bigramLoss(heldOut, bos);
        assertThat(bigram).isLessThan(unigram);
        assertThat(loss(oneLayer)).isLessThan(unigram - 1);
        assertThat(loss(twoLayer)).isLessThan(unigram - 1);
        try (HookedTransformer u = untrained("english-1l", dir)) {
            assertThat(loss(u)).as("untrained: about ln 2048 = 7.6").isGreaterThan(unigram);
        }
    }

    /**
     * Induction on natural text: held-out passages repeated once. english-2l predicts the second copy far
     * better than the first (a perfect copier gets it right but for its first token); english-1l, which has
     * no second layer to find what followed an earlier copy, barely better.
     */
    @Test
    void english2lPredictsTheSecondCopyOfARepeatedPassageAndEnglish1lDoesNot() throws Exception {
        double[] two = lesson.repeatedPassageLosses(twoLayer, 64);
        double[] one = lesson.repeatedPassageLosses(oneLayer, 64);
        assertThat(two[1]).as("english-2l, first copy %s", two[0]).isLessThan(two[0] - 2).isLessThan(1.0);
        assertThat(one[1]).as("english-1l, first copy %s", one[0]).isGreaterThan(one[0] - 0.5);
    }

    @Test
    void theDirectPathHasLearntTheCorpusBigrams(@TempDir Path dir) throws Exception {
        int[] common = stats.mostFrequent(300, bos);
        DirectPath.Comparison trained = DirectPath.compare(DirectPath.logits(oneLayer.config(), oneLayer.weights()), stats, common, 5, bos);
        assertThat(trained.meanCorrelation()).isGreaterThan(0.3);
        assertThat(trained.top1Agreement()).isGreaterThan(0.1);
        try (HookedTransformer u = untrained("english-1l", dir)) {
            DirectPath.Comparison c = DirectPath.compare(DirectPath.logits(u.config(), u.weights()), stats, common, 5, bos);
            assertThat(Math.abs(c.meanCorrelation())).isLessThan(0.1);
            assertThat(c.top1Agreement()).isLessThan(0.05);
        }
    }

    /**
     * The QK circuit, from weights alone, predicts where the head looks: at the destinations of its top
     * triples the head pays the triple's source more attention than the average earlier token gets.
     */
    /**
     * Numbers computed two ways: the attention the heads really pay the sources of their top triples
     * (from the QK circuit between tokens, weights alone) where those occur in held-out text, over an
     * even share. The token circuits predict where any model's heads look, trained or not; the trained
     * model's triples are also what the text says next ({@link #skipTrigramsPredictTheText}).
     */
    @Test
    void theQkCircuitPredictsTheAttentionPaidInRealText(@TempDir Path dir) throws Exception {
        assertThat(firings(oneLayer).attentionOverEven()).as("trained").isGreaterThan(3);
        try (HookedTransformer u = untrained("english-1l", dir)) {
            assertThat(firings(u).attentionOverEven()).as("untrained").isGreaterThan(1.5);
        }
    }

    /** Where a trained head's top triple fires, the text goes on with the boosted token; an untrained head's never. */
    @Test
    void skipTrigramsPredictTheText(@TempDir Path dir) throws Exception {
        double trained = firings(oneLayer).nextIsOut();
        try (HookedTransformer u = untrained("english-1l", dir)) {
            double random = firings(u).nextIsOut();
            assertThat(trained).as("trained, against untrained %s", random).isGreaterThan(0.05).isGreaterThan(5 * random);
        }
    }

    /**
     * Where a model's top 10 triples per head (from its token circuits) fire in the held-out windows.
     *
     * @param attentionOverEven the attention paid to the sources over what an even spread gives them
     * @param nextIsOut the share of firings, weighted by attention, after which the text goes on with the triple's out
     */
    record Fired(double attentionOverEven, double nextIsOut) {}

    static Fired firings(HookedTransformer m) {
        int[] common = stats.mostFrequent(300, bos);
        TokenCircuits circuits = new TokenCircuits(m.config(), m.weights(), 0, 1f, 1f);
        List<SkipTrigrams.Triple> triples = new ArrayList<>();
        for (int h = 0; h < m.config().nHeads(); h++) {
            triples.addAll(SkipTrigrams.top(circuits, h, common, 10));
        }
        assertThat(triples).hasSize(10 * m.config().nHeads());
        List<SkipTrigrams.Firing> all = SkipTrigrams.firings(m, heldOut, triples, 0f);
        assertThat(all).hasSizeGreaterThan(20);
        double paid = 0, even = 0, hit = 0;
        for (SkipTrigrams.Firing f : all) {
            paid += f.attention();
            int[] row = heldOut[f.sequence()];
            int n = 0;
            for (int t = 0; t < f.destPos(); t++) {
                n += row[t] == row[f.sourcePos()] ? 1 : 0;
            }
            even += (double) n / (f.destPos() + 1); // what a head attending evenly pays the source's positions
            hit += f.next() == f.out() ? f.attention() : 0;
        }
        return new Fired(paid / even, hit / paid);
    }
}
