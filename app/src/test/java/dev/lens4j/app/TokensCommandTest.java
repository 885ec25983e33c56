package dev.lens4j.app;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class TokensCommandTest {

    @Test
    void gpt2VocabularyGetsTheGpt2TokenizerWithBosFirst() {
        CommandRun run = CommandRun.of("tokens", "--model", TestModels.gpt2Vocab().toString(), "--prompt", "Hello world");
        assertThat(run.status()).as(run.toString()).isZero();
        // TransformerLens: model.to_tokens("Hello world") == [[50256, 15496, 995]]
        assertThat(run.out()).isEqualTo("""
                pos     id  token
                ---  -----  ---------------
                  0  50256  "<|endoftext|>"
                  1  15496  "Hello"
                  2    995  " world"
                3 tokens (BOS first), GPT-2 byte-level BPE, vocabulary 50,257
                """);
    }

    @Test
    void noBosAndEscapedWhitespace() {
        CommandRun run = CommandRun.of("tokens", "--model", TestModels.gpt2Vocab().toString(), "--no-bos", "--prompt", "a\n\tb");
        assertThat(run.status()).as(run.toString()).isZero();
        assertThat(run.out()).doesNotContain("<|endoftext|>").contains("\"\\n\"").startsWith("pos").contains("(no BOS)");
    }

    @Test
    void wordTokenizerOfTheInductionModel() {
        CommandRun run = CommandRun.of("tokens", "--model", TestModels.induction().toString(), "--prompt", "apple river apple");
        assertThat(run.status()).as(run.toString()).isZero();
        assertThat(run.outLines()).containsSequence(
                "  0   0  \"<|bos|>\"",
                "  1   1  \" apple\"",
                "  2   2  \" river\"",
                "  3   1  \" apple\"");
    }

    /** Before: the text was positional, unlike cache's and attention's --prompt. */
    @Test
    void theTextComesWithPromptAsForCacheAndAttention() {
        CommandRun run = CommandRun.of("tokens", "--model", TestModels.induction().toString(), "--prompt", "apple");
        assertThat(run.status()).as(run.toString()).isZero();
        assertThat(run.outLines()).containsSequence("  0   0  \"<|bos|>\"", "  1   1  \" apple\"");
        // one token: "1 token", not "1 tokens"
        CommandRun one = CommandRun.of("tokens", "--model", TestModels.induction().toString(), "--no-bos", "--prompt", "apple");
        assertThat(one.outLines().getLast()).isEqualTo("1 token (no BOS), word-level, vocabulary 64");
    }

    @Test
    void aBareTextIsRefusedNamingPrompt() {
        CommandRun run = CommandRun.of("tokens", "--model", TestModels.induction().toString(), "it's apple");
        assertThat(run.status()).isEqualTo(2);
        assertThat(run.errLines()).containsExactly("lens4j: give the text with --prompt, as for cache and attention: "
                + "lens4j tokens --prompt 'it'\\''s apple' (see 'lens4j tokens --help')");
        assertThat(run.out()).isEmpty();
        CommandRun none = CommandRun.of("tokens", "--model", TestModels.induction().toString());
        assertThat(none.status()).isEqualTo(2);
        assertThat(none.errLines()).containsExactly("lens4j: missing required option: '--prompt=TEXT' (see 'lens4j tokens --help')");
    }

    @Test
    void aModelWithoutTokenizerSaysSoInOneLine() {
        CommandRun run = CommandRun.of("tokens", "--model", TestModels.TINY_GPT2.toString(), "--prompt", "Hello");
        assertThat(run.status()).isEqualTo(1);
        assertThat(run.errLines()).singleElement().asString().startsWith("lens4j: model gpt2 has no tokenizer");
        assertThat(run.out()).isEmpty();
    }
}
