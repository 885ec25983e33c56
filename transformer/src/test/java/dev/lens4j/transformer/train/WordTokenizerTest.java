package dev.lens4j.transformer.train;

import dev.lens4j.transformer.tokenizer.TokenizerFileException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class WordTokenizerTest {

    private final WordTokenizer tok = WordTokenizer.induction();

    @Test
    void inductionVocabularyIsBosAndSixtyThreeWords() {
        assertThat(tok.vocabSize()).isEqualTo(64);
        assertThat(tok.bosTokenId()).hasValue(0);
        assertThat(tok.tokenString(0)).isEqualTo("<|bos|>");
        assertThat(tok.tokenString(1)).isEqualTo(" apple");
        assertThat(tok.tokens()).doesNotHaveDuplicates();
        assertThat(tok.eosTokenId()).isEmpty();
        assertThat(tok.padTokenId()).isEmpty();
    }

    @Test
    void encodesWordsSplitOnWhitespaceAndDecodesWithLeadingSpaces() {
        int[] ids = tok.encode("  apple river\n stone\t");
        assertThat(ids).containsExactly(1, 2, 3);
        assertThat(tok.decode(ids)).isEqualTo(" apple river stone");
        assertThat(tok.encode("")).isEmpty();
        assertThat(tok.encode("<|bos|> apple")).containsExactly(0, 1);
        assertThat(tok.toTokens("apple river")).containsExactly(0, 1, 2);
        assertThat(tok.toStrTokens("apple river")).containsExactly("<|bos|>", " apple", " river");
        assertThat(tok.toSingleToken(" river")).isEqualTo(2);
    }

    @Test
    void unknownWordIsAnErrorNamingTheWord() {
        assertThatThrownBy(() -> tok.encode("apple banana river"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("unknown word \"banana\"")
                .hasMessageContaining("word 2");
        assertThatThrownBy(() -> tok.decode(new int[] {64}))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("token id 64");
    }

    @Test
    void fileRoundTripsAndBadFilesNameTheFile(@TempDir Path dir) throws Exception {
        Path f = dir.resolve(WordTokenizer.FILE_NAME);
        tok.write(f);
        assertThat(Files.readString(f)).startsWith("<|bos|>\n apple\n river\n");
        assertThat(WordTokenizer.read(f).tokens()).isEqualTo(tok.tokens());

        Files.writeString(f, "<|bos|>\n apple\n apple\n");
        assertThatThrownBy(() -> WordTokenizer.read(f))
                .isInstanceOf(TokenizerFileException.class)
                .hasMessageContaining(f.toString())
                .hasMessageContaining("\" apple\" appears twice");
        assertThatThrownBy(() -> WordTokenizer.read(new ByteArrayInputStream(" apple\n".getBytes(StandardCharsets.UTF_8)), "x.txt"))
                .isInstanceOf(TokenizerFileException.class)
                .hasMessageContaining("x.txt")
                .hasMessageContaining("no <|bos|>");
        assertThatThrownBy(() -> WordTokenizer.read(new ByteArrayInputStream(new byte[] {(byte) 0xff, '\n'}), "y.txt"))
                .isInstanceOf(TokenizerFileException.class)
                .hasMessageContaining("y.txt: not valid UTF-8");
        assertThatThrownBy(() -> new WordTokenizer(List.of("<|bos|>", "apple")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("token 1 \"apple\" is not a space followed by a word");
    }
}
