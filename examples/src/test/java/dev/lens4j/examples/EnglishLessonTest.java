package dev.lens4j.examples;

import dev.lens4j.analysis.text.DirectPath;
import dev.lens4j.analysis.text.EnglishLesson;
import dev.lens4j.analysis.text.NgramStatistics;
import dev.lens4j.analysis.text.SkipTrigrams;
import dev.lens4j.tensor.Tensor;
import dev.lens4j.testing.LensModel;
import dev.lens4j.transformer.HookedTransformer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The lesson's first half on {@code english-1l}, a one-layer attention-only model of English trained
 * by lens4j: the direct path carries bigrams, each head is a set of skip-trigrams (QK picks the source,
 * OV the payload), and because the two are chosen apart the heads make the same-layer bug.
 */
class EnglishLessonTest {

    @LensModel("english-1l")
    static HookedTransformer model;

    static EnglishLesson lesson;

    @BeforeAll
    static void corpus() throws IOException {
        lesson = EnglishLesson.ofShippedCorpus(model);
    }

    @Test
    void theModelBeatsTheCorpusUnigramModel() {
        // tag::english-baselines[]
        int[][] heldOut = lesson.heldOut();                          // [719][96]: BOS + 95 held-out tokens each
        NgramStatistics stats = lesson.stats();                      // counted on the training text
        double unigram = stats.unigramLoss(heldOut);                 // 6.12 nats per token
        double bigram = stats.bigramLoss(heldOut, lesson.bos());     // 4.04
        double model1 = EnglishLesson.loss(model, heldOut);          // 4.00
        // end::english-baselines[]
        assertThat(model1).isLessThan(unigram - 2).isLessThan(bigram);
    }

    @Test
    void theDirectPathIsABigramTable() {
        // tag::english-direct-path[]
        Tensor direct = DirectPath.logits(model.config(), model.weights());   // [d_vocab, d_vocab]: W_E -> final norm -> W_U
        int[] common = lesson.stats().mostFrequent(300, lesson.bos());
        DirectPath.Comparison c = DirectPath.compare(direct, lesson.stats(), common, 5, lesson.bos());
        int of = model.tokenizer().encode(" of")[0];
        float[] afterOf = direct.select(0, of).toArray();                     // what " of" alone predicts
        // end::english-direct-path[]
        assertThat(c.meanCorrelation()).isGreaterThan(0.3);
        assertThat(afterOf[model.tokenizer().encode(" the")[0]]).isGreaterThan(afterOf[model.tokenizer().encode(" said")[0]] + 3);
        double[] dla = lesson.directLogitShares(model, 64);                    // embed, pos_embed, attention
        assertThat(dla[0] / (dla[0] + dla[1] + dla[2])).isBetween(0.3, 0.7);
    }

    @Test
    void aHeadIsSkipTrigramsAndMakesTheSameLayerBug() {
        // tag::english-skip-trigrams[]
        EnglishLesson.SkipTrigramScan scan = lesson.skipTrigrams(model, 300, 3, 0.3f, 1f);
        SkipTrigrams.Triple said = scan.triples().stream().filter(t -> t.head() == 2).findFirst().orElseThrow();
        String triple = model.toStrTokens(new int[] {said.source(), said.dest(), said.out()}).toString();   // [ said, ,,  "]
        // end::english-skip-trigrams[]
        assertThat(triple).isEqualTo("[ said, ,,  \"]");
        assertThat(said.ov()).isGreaterThan(10);
        // tag::english-bug[]
        SkipTrigrams.Firing bug = scan.bugs().get(0);         // the head attends to its source and makes its payload the top guess
        int[] text = lesson.heldOut()[bug.sequence()];
        String predicted = model.toStrTokens(new int[] {bug.predicted()}).get(0);   // " \""
        String actual = model.toStrTokens(new int[] {text[bug.destPos() + 1]}).get(0);   // " '"
        // end::english-bug[]
        assertThat(predicted).isEqualTo(" \"");
        assertThat(actual).isNotEqualTo(predicted);
        assertThat(scan.bugs()).allSatisfy(f -> assertThat(f.next()).isNotEqualTo(f.out()));
    }
}
