package dev.lens4j.app;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class TokensCommandTest {

    @Test
    void gpt2VocabularyGetsTheGpt2TokenizerWithBosFirst() {
        CommandRun run = CommandRun.of("tokens", "--model", TestModels.gpt2Vocab().toString(), "Hello world");
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
        CommandRun run = CommandRun.of("tokens", "--model", TestModels.gpt2Vocab().toString(), "--no-bos", "a\n\tb");
        assertThat(run.status()).as(run.toString()).isZero();
        assertThat(run.out()).doesNotContain("<|endoftext|>").contains("\"\\n\"").startsWith("pos").contains("(no BOS)");
    }

    @Test
    void wordTokenizerOfTheInductionModel() {
        CommandRun run = CommandRun.of("tokens", "--model", TestModels.induction().toString(), "apple river apple");
        assertThat(run.status()).as(run.toString()).isZero();
        assertThat(run.outLines()).containsSequence(
                "  0   0  \"<|bos|>\"",
                "  1   1  \" apple\"",
                "  2   2  \" river\"",
                "  3   1  \" apple\"");
    }

    @Test
    void aModelWithoutTokenizerSaysSoInOneLine() {
        CommandRun run = CommandRun.of("tokens", "--model", TestModels.TINY_GPT2.toString(), "Hello");
        assertThat(run.status()).isEqualTo(1);
        assertThat(run.errLines()).singleElement().asString().startsWith("lens4j: model hf has no tokenizer");
        assertThat(run.out()).isEmpty();
    }
}
