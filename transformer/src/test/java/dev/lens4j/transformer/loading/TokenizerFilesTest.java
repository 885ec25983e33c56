package dev.lens4j.transformer.loading;

import dev.lens4j.transformer.tokenizer.Gpt2Tokenizer;
import dev.lens4j.transformer.tokenizer.HfTokenizer;
import dev.lens4j.transformer.tokenizer.Tokenizer;
import dev.lens4j.transformer.tokenizer.TokenizerFileException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Which tokenizer a model folder gets, and which folders are refused. */
class TokenizerFilesTest {

    @TempDir
    Path dir;

    /** A tokenizer fixture folder of tools/tokenizer/make_hf_tokenizers.py. */
    private static Path kind(String kind) {
        try {
            return Path.of(TokenizerFilesTest.class.getResource("/tokenizers/" + kind + "/tokenizer.json").toURI()).getParent();
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    private Path copy(String kind, String... files) throws IOException {
        Path to = Files.createDirectories(dir.resolve(kind + "-" + String.join("-", files).replace('.', '_')));
        for (String f : files) {
            Files.copy(kind(kind).resolve(f), to.resolve(f));
        }
        return to;
    }

    @Test
    void tokenizerJsonWithItsConfig() throws IOException {
        Tokenizer tok = TokenizerFiles.forFolder(kind("llama2"), 320);
        assertThat(tok).isInstanceOf(HfTokenizer.class);
        assertThat(tok.bosTokenId()).hasValue(1);
        assertThat(tok.eosTokenId()).hasValue(2);
        assertThat(tok.toTokens("Hi")).startsWith(1);
        // tokenizer.json is preferred to vocab.json + merges.txt
        assertThat(TokenizerFiles.forFolder(kind("gpt2"), 512)).isInstanceOf(HfTokenizer.class);
        Tokenizer pair = TokenizerFiles.forFolder(copy("gpt2", "vocab.json", "merges.txt"), 512);
        assertThat(pair).isInstanceOf(Gpt2Tokenizer.class);
        assertThat(pair.encode("Hello world")).isEqualTo(TokenizerFiles.forFolder(kind("gpt2"), 512).encode("Hello world"));
    }

    @Test
    void vocabJsonWithoutMergesTxtIsRefusedNotReplacedByGpt2() throws IOException {
        // Even for a model with GPT-2's vocabulary size, where lens4j used to take its bundled tokenizer.
        Path half = copy("gpt2", "vocab.json");
        for (int dVocab : new int[] {512, TokenizerFiles.GPT2_VOCAB}) {
            assertThatThrownBy(() -> TokenizerFiles.forFolder(half, dVocab))
                    .isInstanceOf(NoSuchFileException.class)
                    .hasMessageContaining(half.resolve("merges.txt").toString())
                    .hasMessageContaining("vocab.json is there but merges.txt is not")
                    .hasMessageContaining("does not fall back to its built-in GPT-2 tokenizer");
        }
        Path other = copy("gpt2", "merges.txt");
        assertThatThrownBy(() -> TokenizerFiles.forFolder(other, 512))
                .isInstanceOf(NoSuchFileException.class)
                .hasMessageContaining(other.resolve("vocab.json").toString());
    }

    @Test
    void tokenizerFilesLens4jCannotReadAreRefused() throws IOException {
        Path sp = Files.createDirectories(dir.resolve("sp"));
        Files.write(sp.resolve("tokenizer.model"), new byte[] {10, 2, 8, 1});
        Files.writeString(sp.resolve("tokenizer_config.json"), "{}");
        assertThatThrownBy(() -> TokenizerFiles.forFolder(sp, 32000))
                .isInstanceOf(TokenizerFileException.class)
                .hasMessageStartingWith(sp.resolve("tokenizer.model") + ": is a SentencePiece model");
        Path cfg = copy("llama2", "tokenizer_config.json");
        assertThatThrownBy(() -> TokenizerFiles.forFolder(cfg, TokenizerFiles.GPT2_VOCAB))
                .isInstanceOf(TokenizerFileException.class)
                .hasMessageStartingWith(cfg.resolve("tokenizer_config.json") + ": is there without tokenizer.json");
        Path folderAsFile = Files.createDirectories(dir.resolve("weird/tokenizer.json")).getParent();
        assertThatThrownBy(() -> TokenizerFiles.forFolder(folderAsFile, 512))
                .isInstanceOf(TokenizerFileException.class)
                .hasMessage(folderAsFile.resolve("tokenizer.json") + ": is not a regular file");
    }

    @Test
    void noTokenizerFilesMeansGpt2ForGpt2SizedModelsOnly() throws IOException {
        Path empty = Files.createDirectories(dir.resolve("empty"));
        assertThat(TokenizerFiles.forFolder(empty, TokenizerFiles.GPT2_VOCAB)).isSameAs(Gpt2Tokenizer.gpt2());
        assertThat(TokenizerFiles.forFolder(empty, 512)).isNull();
    }

    @Test
    void aTokenizerLargerThanTheModelIsRefused() throws IOException {
        assertThatThrownBy(() -> TokenizerFiles.forFolder(kind("qwen2"), 500))
                .isInstanceOf(CheckpointFormatException.class)
                .hasMessage(kind("qwen2") + ": the tokenizer has 512 tokens but the model's vocabulary (d_vocab) is 500");
        // A model whose embedding has more rows than the tokenizer has tokens (Qwen2's padding) is fine.
        assertThat(TokenizerFiles.forFolder(kind("qwen2"), 640).vocabSize()).isEqualTo(512);
    }

    @Test
    void writeCopiesTheFilesItWasReadFrom() throws IOException {
        Tokenizer tok = TokenizerFiles.forFolder(kind("gemma"), 320);
        Path out = Files.createDirectories(dir.resolve("saved"));
        List<Path> written = TokenizerFiles.write(tok, out);
        assertThat(written).extracting(p -> p.getFileName().toString())
                .containsExactly("tokenizer.json", "tokenizer_config.json");
        for (String f : List.of("tokenizer.json", "tokenizer_config.json")) {
            assertThat(Files.mismatch(kind("gemma").resolve(f), out.resolve(f))).isEqualTo(-1);
        }
        Tokenizer again = TokenizerFiles.forFolder(out, 320);
        assertThat(again.encode("<start_of_turn>user\nHi")).isEqualTo(tok.encode("<start_of_turn>user\nHi"));
    }

    @Test
    void classPathResourcesAreReadTheSameWay() throws IOException {
        Tokenizer fromResources = TokenizerFiles.forResources(getClass().getClassLoader(), "tokenizers/mistral/",
                dev.lens4j.transformer.TransformerConfig.gpt2(1, 8, 2, 16, 320));
        Tokenizer fromFolder = TokenizerFiles.forFolder(kind("mistral"), 320);
        assertThat(fromResources).isInstanceOf(HfTokenizer.class);
        assertThat(fromResources.toString()).contains("class-path resource tokenizers/mistral/tokenizer.json");
        for (String s : List.of("", "Hello [INST] world", "  x\ty\n", "日本")) {
            assertThat(fromResources.toTokens(s)).isEqualTo(fromFolder.toTokens(s));
        }
    }
}
