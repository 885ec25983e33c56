package dev.lens4j.analysis.prompt;

import dev.lens4j.tensor.internal.Json;
import dev.lens4j.transformer.HookedTransformer;
import dev.lens4j.transformer.loading.Models;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/**
 * {@link TestPrompt} against a real TransformerLens 2.18 {@code utils.test_prompt} run on the shipped
 * induction-2l model: the same tokens, ranks, logits, probabilities and top tokens, and the same text
 * as TransformerLens printed (reference/induction-2l-tl/test-prompt.json, made by
 * tools/reference/make_tl_notebook_fixtures.py).
 */
class TestPromptTest {

    private static HookedTransformer model;
    private static List<Map<String, Object>> cases;

    @BeforeAll
    @SuppressWarnings("unchecked")
    static void load() throws IOException {
        try (InputStream in = TestPromptTest.class.getResourceAsStream("/reference/induction-2l-tl/test-prompt.json")) {
            cases = (List<Map<String, Object>>) Json.parseObject(new String(in.readAllBytes(), StandardCharsets.UTF_8)).get("cases");
        }
        model = Models.fromPretrained("induction-2l");
    }

    @AfterAll
    static void close() {
        model.close();
    }

    @SuppressWarnings("unchecked")
    private static TestPrompt.Result run(Map<String, Object> c) {
        Object answer = c.get("answer");
        List<String> answers = answer instanceof String s ? List.of(s) : (List<String>) answer;
        var options = new TestPrompt.Options((Boolean) c.get("prepend_space_to_answer"), (Boolean) c.get("prepend_bos"),
                ((Number) c.get("top_k")).intValue());
        return TestPrompt.run(model, (String) c.get("prompt"), answers, options);
    }

    @Test
    void printsWhatTransformerLensPrinted() {
        assertThat(cases).hasSize(4);
        for (Map<String, Object> c : cases) {
            assertThat(run(c).render()).as((String) c.get("name")).isEqualTo(c.get("printed"));
        }
    }

    @Test
    @SuppressWarnings("unchecked")
    void givesTransformerLensNumbers() {
        for (Map<String, Object> c : cases) {
            String name = (String) c.get("name");
            TestPrompt.Result r = run(c);
            assertThat(r.promptTokens()).as(name).isEqualTo(c.get("prompt_tokens"));
            assertThat(r.answerTokens()).as(name).isEqualTo(c.get("answer_tokens"));
            List<Map<String, Object>> steps = (List<Map<String, Object>>) c.get("steps");
            assertThat(r.steps()).as(name).hasSize(steps.size());
            for (int s = 0; s < steps.size(); s++) {
                TestPrompt.Step got = r.steps().get(s);
                assertThat(got.position()).isEqualTo(((Number) steps.get(s).get("position")).intValue());
                compare(name + " step " + s + " answers", got.answers(), (List<Map<String, Object>>) steps.get(s).get("answers"), true);
                compare(name + " step " + s + " top", got.top(), (List<Map<String, Object>>) steps.get(s).get("top"), false);
            }
        }
    }

    private static void compare(String what, List<TestPrompt.TokenScore> got, List<Map<String, Object>> want, boolean ranks) {
        assertThat(got).as(what).hasSize(want.size());
        for (int i = 0; i < want.size(); i++) {
            TestPrompt.TokenScore g = got.get(i);
            Map<String, Object> w = want.get(i);
            assertThat(g.token()).as(what + " token " + i).isEqualTo(((Number) w.get("token")).intValue());
            assertThat(g.text()).as(what + " text " + i).isEqualTo(w.get("text"));
            if (ranks) {
                assertThat(g.rank()).as(what + " rank " + i).isEqualTo(((Number) w.get("rank")).intValue());
            } else {
                assertThat(g.rank()).isEqualTo(i);
            }
            // float32 forward passes in two engines: logits agree to ~1e-5 (see transformer's reference README)
            assertThat((double) g.logit()).as(what + " logit " + i).isCloseTo(((Number) w.get("logit")).doubleValue(), within(2e-4));
            assertThat((double) g.probability()).as(what + " prob " + i).isCloseTo(((Number) w.get("prob")).doubleValue(), within(2e-5));
        }
    }

    @Test
    void ranksCountTheTokensAheadAndTiesGoToTheLowerId() {
        TestPrompt.Result r = TestPrompt.run(model, "apple river stone cloud tree house apple river stone", List.of("cloud", "tree", "moon"),
                TestPrompt.Options.defaults().withTopK(64));
        TestPrompt.Step step = r.steps().get(0);
        assertThat(step.top()).hasSize(64);
        for (TestPrompt.TokenScore a : step.answers()) {
            assertThat(step.top().get(a.rank()).token()).as("the answer sits at its rank in the full ordering").isEqualTo(a.token());
        }
        for (int i = 1; i < 64; i++) {
            TestPrompt.TokenScore before = step.top().get(i - 1);
            TestPrompt.TokenScore after = step.top().get(i);
            assertThat(before.probability()).isGreaterThanOrEqualTo(after.probability());
            if (before.probability() == after.probability()) {
                assertThat(before.token()).isLessThan(after.token());
            }
        }
        assertThat(r.ranks()).containsExactly(0, 50, 20);
        assertThat(r.toString()).isEqualTo(r.render());
    }

    @Test
    void theJavadocExampleIsWhatTransformerLensPrints() {
        // printed by TransformerLens 2.18's utils.test_prompt(..., top_k=3) on induction-2l (loaded as the fixture script does)
        String tl = """
                Tokenized prompt: ['<|bos|>', ' apple', ' river', ' stone', ' cloud', ' apple', ' river']
                Tokenized answer: [' stone']
                Performance on answer token:
                Rank: 0        Logit:  5.85 Prob: 77.61% Token: | stone|
                Top 0th token. Logit:  5.85 Prob: 77.61% Token: | stone|
                Top 1th token. Logit:  1.88 Prob:  1.47% Token: | chair|
                Top 2th token. Logit:  1.56 Prob:  1.07% Token: | lake|
                Ranks of the answer tokens: [(' stone', 0)]
                """;
        assertThat(TestPrompt.run(model, "apple river stone cloud apple river", "stone", TestPrompt.Options.defaults().withTopK(3))
                .render()).isEqualTo(tl);
    }

    @Test
    void theModelsTokenizerShortcutsAreTransformerLenss() {
        assertThat(model.toStrTokens("moon river")).containsExactly("<|bos|>", " moon", " river");
        assertThat(model.toStrTokens("moon river", false)).containsExactly(" moon", " river");
        assertThat(model.toStrTokens(new int[] {0, 21})).containsExactly("<|bos|>", " moon");
        assertThat(model.toTokens("moon river")).containsExactly(0, 21, 2);
        assertThat(model.toTokens("moon river", false)).containsExactly(21, 2);
    }

    @Test
    void pythonFormattingOfNumbersAndStrings() {
        assertThat(TestPrompt.pyFixed(0.125, 2)).isEqualTo("0.12");       // an exact tie: half to even
        assertThat(TestPrompt.pyFixed(0.375, 2)).isEqualTo("0.38");
        assertThat(TestPrompt.pyFixed(-0.001, 2)).isEqualTo("-0.00");
        assertThat(TestPrompt.pyRepr(" it's")).isEqualTo("\" it's\"");
        assertThat(TestPrompt.pyRepr("a'b\"c")).isEqualTo("'a\\'b\"c'");
        assertThat(TestPrompt.pyRepr("\n\t\\")).isEqualTo("'\\n\\t\\\\'");
        assertThat(TestPrompt.pyRepr("\u0000\u00a0\u200b\ufffd")).isEqualTo("'\\x00\\xa0\\u200b\ufffd'");
        assertThat(TestPrompt.pyList(List.of("<|bos|>", " moon"))).isEqualTo("['<|bos|>', ' moon']");
    }

    @Test
    void badArgumentsAreNamed() {
        assertThatThrownBy(() -> TestPrompt.run(model, "apple", List.of(), TestPrompt.Options.defaults()))
                .hasMessageContaining("at least one answer");
        assertThatThrownBy(() -> TestPrompt.run(model, "apple", " ", new TestPrompt.Options(false, true, 3)))
                .hasMessageContaining("answer \" \" has no tokens");
        assertThatThrownBy(() -> TestPrompt.run(model, "apple", "river", TestPrompt.Options.defaults().withTopK(65)))
                .hasMessageContaining("topK 65").hasMessageContaining("64 tokens");
        assertThatThrownBy(() -> TestPrompt.run(model, "apple", "banana")).hasMessageContaining("banana");
    }
}
