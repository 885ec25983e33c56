package dev.lens4j.examples;

import dev.lens4j.analysis.attribution.ComponentStack;
import dev.lens4j.analysis.attribution.DirectLogitAttribution;
import dev.lens4j.analysis.attribution.ResidualStream;
import dev.lens4j.analysis.heads.InductionEvals;
import dev.lens4j.analysis.prompt.TestPrompt;
import dev.lens4j.hooks.ActivationCache;
import dev.lens4j.hooks.Slice;
import dev.lens4j.report.view.AttentionHeads;
import dev.lens4j.report.view.Imshow;
import dev.lens4j.report.view.LinePlot;
import dev.lens4j.tensor.Tensor;
import dev.lens4j.testing.LensModel;
import dev.lens4j.transformer.HookedTransformer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * The moves a TransformerLens user makes in a notebook, as lens4j code (docs/NOTEBOOK.md shows these
 * regions): tokens as text, test_prompt, topk and einsum on cached activations, slices of the batch,
 * and views saved as HTML or PNG.
 */
class NotebookTest {

    @LensModel("induction-2l")
    HookedTransformer model;

    @Test
    void testPromptOnAnInductionPrompt() {
        // tag::notebook-test-prompt[]
        assertThat(model.toStrTokens("moon river cat")).containsExactly("<|bos|>", " moon", " river", " cat");

        TestPrompt.Result r = TestPrompt.run(model, "apple river stone cloud apple river", "stone");  // utils.test_prompt
        TestPrompt.TokenScore answer = r.steps().get(0).answers().get(0);
        assertThat(answer.rank()).isZero();                         // the copy of what followed " river" before
        assertThat(answer.probability()).isGreaterThan(0.5f);                  // most of the probability
        assertThat(r.render()).contains("Rank: 0        Logit:  5.85 Prob: 77.61% Token: | stone|");

        // several answers are compared on their first token, as in TransformerLens
        TestPrompt.Result three = TestPrompt.run(model, "apple river stone cloud apple river", List.of("stone", "cloud", "moon"),
                TestPrompt.Options.defaults().withTopK(3));
        assertThat(three.ranks()).startsWith(0);
        // end::notebook-test-prompt[]
    }

    @Test
    void tensorMovesOnACachedRun() {
        // tag::notebook-tensor[]
        int[][] tokens = {model.toTokens("moon river cat egg tea moon river cat egg tea")};   // [1][11]
        var run = model.runWithCache(tokens);
        ActivationCache cache = run.cache();

        // the model's top 3 guesses after the second " cat": " egg" first
        Tensor.TopK top = run.logits().select(0, 0).select(0, 8).topk(3);     // logits[0, 8].topk(3)
        assertThat(top.indexArray()[0]).isEqualTo(model.tokenizer().toSingleToken(" egg"));

        // how much each layer-0 head attends to the previous token: a diagonal of the pattern
        Tensor prev = cache.get("pattern", 0).select(0, 0).diagonal(-1, -2, -1);   // [head_index, pos - 1]
        assertThat(prev.mean(-1, false).argmax()).isEqualTo(2);                   // L0H2, the previous-token head

        // attention scores from the cached queries and keys, written as an einsum
        Tensor q = cache.get("q", 1);                                              // [batch, pos, head_index, d_head]
        Tensor k = cache.get("k", 1);
        Tensor scores = Tensor.einsum("b q h d, b k h d -> b h q k", q, k).div((float) Math.sqrt(model.config().dHead()));
        Tensor keep = Tensor.causalKeepMask(11, 11);
        assertThat(scores.softmax(-1, keep).maxAbsDiff(cache.get("pattern", 1))).isLessThan(1e-5f);

        System.out.println(prev);                                                  // printed as PyTorch prints it, with its shape
        // end::notebook-tensor[]
    }

    @Test
    void slicesOfTheBatch() {
        // tag::notebook-slices[]
        int[][] rep = InductionEvals.repeatedTokens(model, 10, 4);           // ARENA's generate_repeated_tokens(model, 10, 4)
        ActivationCache cache = model.runWithCache(rep).cache();               // [4, 21, ...]
        ActivationCache two = cache.applySliceToBatchDim(Slice.range(1, 3));   // sequences 1 and 2
        assertThat(two.get("pattern", 1).shape()).containsExactly(2, 4, 21, 21);

        // direct logit attribution of each head at positions 11 to 20 of sequence 0, toward the next token
        ResidualStream stream = ResidualStream.of(model, cache);
        ComponentStack heads = stream.stackHeadResults(-1, false, false);
        int[][] next = {java.util.Arrays.copyOfRange(rep[0], 12, 21)};
        ComponentStack attrs = DirectLogitAttribution.of(model, cache)
                .logitAttrs(heads, next, null, Slice.range(11, 20), Slice.index(0));   // pos_slice, batch_slice
        assertThat(attrs.values().shape()).containsExactly(8, 9);               // [component, pos]
        assertThat(attrs.get("L1H0").mean()).isGreaterThan(attrs.get("L0H0").mean());
        // end::notebook-slices[]
    }

    @Test
    void viewsAsHtmlAndPng(@TempDir Path dir) throws Exception {
        // tag::notebook-views[]
        int[][] rep = InductionEvals.repeatedTokens(model, 10, 4);
        ActivationCache cache = model.runWithCache(rep).cache();
        List<String> tokens = model.toStrTokens(rep[0]);

        // every head of layer 1 side by side (CircuitsVis attention_heads), for sequence 0
        AttentionHeads.of(cache.applySliceToBatchDim(0), 1, tokens).save(dir.resolve("layer1.html"));

        // induction scores as a heatmap (imshow) and the loss by position as a line plot
        Tensor scores = InductionEvals.inductionScores(model, rep, 10);       // [n_layers, n_heads]
        Imshow.of(scores).title("Induction scores").xLabel("head").yLabel("layer").sequential()
                .save(dir.resolve("induction-scores.png"));
        Tensor loss = model.perTokenLoss(rep).mean(0, false);                 // [pos - 1]
        LinePlot.of(loss).title("Loss by position").xLabel("position").yLabel("nats").save(dir.resolve("loss.html"));
        // end::notebook-views[]
        assertThat(dir.resolve("layer1.html")).content().contains("data-head=\"L1H3\"");
        assertThat(dir.resolve("induction-scores.png")).isRegularFile();
        assertThat(loss.get(15)).isCloseTo(0, within(1.0f));
    }
}
