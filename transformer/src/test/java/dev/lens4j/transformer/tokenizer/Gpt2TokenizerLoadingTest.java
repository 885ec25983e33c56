package dev.lens4j.transformer.tokenizer;

import dev.lens4j.tensor.internal.Json;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Loading GPT-2 from vocab.json + merges.txt and from a tokenizer.json; BPE on hand-made vocabularies; bad files. */
class Gpt2TokenizerLoadingTest {

    @TempDir
    Path dir;

    // ---------------------------------------------------------------------------------------------
    // The real GPT-2 files in each format give the reference ids.
    // ---------------------------------------------------------------------------------------------

    private static final Map<String, String> GPT2_FILES = new java.util.concurrent.ConcurrentHashMap<>();

    private static String gpt2Resource(String name) throws IOException {
        String text = GPT2_FILES.get(name);
        if (text == null) {
            try (InputStream in = Gpt2Tokenizer.class.getResourceAsStream("gpt2/" + name)) {
                text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            }
            GPT2_FILES.put(name, text);
        }
        return text;
    }

    private static void assertReferenceIds(Tokenizer tok) {
        List<String> wrong = new ArrayList<>();
        for (Gpt2Fixtures.Case c : Gpt2Fixtures.cases("encode")) {
            int[] ids = tok.encode(c.text());
            if (!Arrays.equals(ids, c.ids()) || !tok.decode(ids).equals(c.text())) {
                wrong.add(c + ": expected " + Arrays.toString(c.ids()) + ", got " + Arrays.toString(ids));
            }
        }
        assertThat(wrong).isEmpty();
        assertThat(tok.vocabSize()).isEqualTo(50257);
        assertThat(tok.bosTokenId()).hasValue(50256);
        assertThat(tok.toStrTokens("Hello world")).containsExactly("<|endoftext|>", "Hello", " world");
    }

    /**
     * A tokenizer.json as Hugging Face writes it for GPT-2. Older files spell merges "a b", newer ones
     * ["a", "b"]; this one alternates, to check both with one 50k-token load.
     */
    private static Map<String, Object> gpt2TokenizerJson() throws IOException {
        Map<String, Object> vocab = Json.parseObject(gpt2Resource("vocab.json"));
        List<Object> merges = new ArrayList<>();
        for (String line : gpt2Resource("merges.txt").split("\n")) {
            if (line.isEmpty() || line.startsWith("#version")) {
                continue;
            }
            merges.add(merges.size() % 2 == 1 ? List.of(line.split(" ")) : line);
        }
        Map<String, Object> model = new LinkedHashMap<>();
        model.put("type", "BPE");
        model.put("dropout", null);
        model.put("unk_token", null);
        model.put("continuing_subword_prefix", "");
        model.put("end_of_word_suffix", "");
        model.put("fuse_unk", false);
        model.put("byte_fallback", false);
        model.put("vocab", vocab);
        model.put("merges", merges);
        Map<String, Object> eot = new LinkedHashMap<>();
        eot.put("id", 50256L);
        eot.put("content", "<|endoftext|>");
        eot.put("single_word", false);
        eot.put("lstrip", false);
        eot.put("rstrip", false);
        eot.put("normalized", true);
        eot.put("special", true);
        Map<String, Object> byteLevel = new LinkedHashMap<>();
        byteLevel.put("type", "ByteLevel");
        byteLevel.put("add_prefix_space", false);
        byteLevel.put("trim_offsets", true);
        byteLevel.put("use_regex", true);
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("version", "1.0");
        root.put("truncation", null);
        root.put("padding", null);
        root.put("added_tokens", List.of(eot));
        root.put("normalizer", null);
        root.put("pre_tokenizer", byteLevel);
        root.put("post_processor", byteLevel);
        root.put("decoder", byteLevel);
        root.put("model", model);
        return root;
    }

    private Path write(String name, String text) throws IOException {
        Path p = dir.resolve(name);
        Files.createDirectories(p.getParent());
        Files.writeString(p, text);
        return p;
    }

    @Test
    void vocabAndMergesFilesGiveTheReferenceIds() throws IOException {
        Path vocab = write("gpt2/vocab.json", gpt2Resource("vocab.json"));
        Path merges = write("gpt2/merges.txt", gpt2Resource("merges.txt"));
        assertReferenceIds(Gpt2Tokenizer.load(vocab, merges));
    }

    @Test
    void tokenizerJsonGivesTheReferenceIds() throws IOException {
        Map<String, Object> json = gpt2TokenizerJson();
        List<?> merges = (List<?>) ((Map<?, ?>) json.get("model")).get("merges");
        assertThat(merges.get(0)).isEqualTo("\u0120 t");
        assertThat(merges.get(1)).isEqualTo(List.of("\u0120", "a"));
        HfTokenizer tok = HfTokenizer.fromTokenizerJson(write("hf/tokenizer.json", Json.write(json)));
        assertReferenceIds(tok);
        assertThat(tok.toString()).contains("50000 merges");
        assertThat(tok.specialTokens()).containsExactly("<|endoftext|>");
        assertThat(tok.rawToken(995)).isEqualTo("\u0120world");
    }

    // ---------------------------------------------------------------------------------------------
    // BPE on small hand-made vocabularies, with hand-computed results (tokenizer.json, which allows
    // a vocabulary without every byte; such a tokenizer refuses text it cannot spell).
    // ---------------------------------------------------------------------------------------------

    private static final String TOY_VOCAB = "{\"a\": 0, \"b\": 1, \"c\": 2, \"ab\": 3, \"bc\": 4, \"aa\": 5, \"abab\": 6}";

    private static final String BYTE_LEVEL = "{\"type\": \"ByteLevel\", \"add_prefix_space\": false, \"trim_offsets\": true}";

    private HfTokenizer toy(String mergesJson, String addedTokens) throws IOException {
        String json = "{\"added_tokens\": " + addedTokens + ", \"pre_tokenizer\": " + BYTE_LEVEL
                + ", \"decoder\": " + BYTE_LEVEL + ", \"model\": {\"type\": \"BPE\", \"vocab\": " + TOY_VOCAB
                + ", \"merges\": " + mergesJson + "}}";
        return HfTokenizer.fromTokenizerJson(write("toy/tokenizer.json", json));
    }

    @Test
    void lowestRankedPairMergesFirst() throws IOException {
        // "abc": pairs (a,b) and (b,c); the one listed first wins.
        assertThat(toy("[\"b c\", \"a b\"]", "[]").encode("abc")).containsExactly(0, 4); // a | bc
        assertThat(toy("[\"a b\", \"b c\"]", "[]").encode("abc")).containsExactly(3, 2); // ab | c
    }

    @Test
    void allOccurrencesMergeLeftToRight() throws IOException {
        HfTokenizer tok = toy("[[\"a\", \"a\"], \"a b\", \"ab ab\"]", "[]"); // both spellings of a merge
        assertThat(tok.encode("aaa")).containsExactly(5, 0); // aa | a
        assertThat(tok.encode("aaaa")).containsExactly(5, 5); // aa | aa
        assertThat(tok.encode("ababab")).containsExactly(6, 3); // ab ab ab -> abab | ab
        assertThat(tok.encode("ababab")).containsExactly(6, 3); // again, from the cache
        assertThat(tok.encode("cab")).containsExactly(2, 3);
        assertThat(tok.decode(new int[] {6, 3, 2})).isEqualTo("abababc");
        assertThat(tok.vocabSize()).isEqualTo(7);
    }

    @Test
    void toyVocabularyWithoutSpecialTokensOrSomeBytes() throws IOException {
        HfTokenizer tok = toy("[\"a b\"]", "[]");
        assertThat(tok.bosTokenId()).isEmpty();
        assertThat(tok.eosTokenId()).isEmpty();
        assertThat(tok.specialTokens()).isEmpty();
        assertThat(tok.toTokens("ab", false)).containsExactly(3);
        assertThatThrownBy(() -> tok.toTokens("ab"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("no beginning-of-sequence token");
        // Hugging Face drops a character it has no token for; lens4j refuses it.
        assertThatThrownBy(() -> tok.encode("ab ab"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("U+0120")
                .hasMessageContaining("has no token in")
                .hasMessageContaining("toy/tokenizer.json");
    }

    @Test
    void addedTokensOutsideTheVocabulary() throws IOException {
        HfTokenizer tok = toy("[[\"a\", \"b\"], \"ab ab\"]",
                "[{\"id\": 7, \"content\": \"<pad>\", \"special\": true}, {\"id\": 8, \"content\": \"<|endoftext|>\", \"special\": true}]");
        assertThat(tok.vocabSize()).isEqualTo(9);
        assertThat(tok.encode("ab<pad>abab<|endoftext|>")).containsExactly(3, 7, 6, 8);
        assertThat(tok.toTokens("ab")).containsExactly(8, 3);
        assertThat(tok.padTokenId()).hasValue(8);
        assertThat(tok.decode(new int[] {7, 3})).isEqualTo("<pad>ab");
        assertThat(tok.toSingleToken("<pad>")).isEqualTo(7);
    }

    // ---------------------------------------------------------------------------------------------
    // Bad vocab.json and merges.txt: the exception names the file and the fault.
    // ---------------------------------------------------------------------------------------------

    /** A vocabulary with every byte (ids 0..255) and a few merged tokens. */
    private static String fullVocab(String... extra) {
        Map<String, Object> v = new LinkedHashMap<>();
        for (int b = 0; b < 256; b++) {
            v.put(String.valueOf(ByteLevel.byteToChar(b)), (long) v.size());
        }
        for (String e : extra) {
            v.put(e, (long) v.size());
        }
        return Json.write(v);
    }

    private void assertBadVocab(String vocabText, String... messageParts) throws IOException {
        Path vocab = write("bad/vocab.json", vocabText);
        Path merges = write("bad/merges.txt", "#version: 0.2\n");
        assertThatThrownBy(() -> Gpt2Tokenizer.load(vocab, merges))
                .isInstanceOf(TokenizerFileException.class)
                .hasMessageStartingWith(vocab + ": ")
                .hasMessageContainingAll(messageParts)
                .satisfies(e -> assertThat(((TokenizerFileException) e).file()).isEqualTo(vocab.toString()));
    }

    private void assertBadMerges(String mergesText, String... messageParts) throws IOException {
        Path vocab = write("bad/vocab.json", fullVocab("ab", "bc", "aa", "abab"));
        Path merges = write("bad/merges.txt", mergesText);
        assertThatThrownBy(() -> Gpt2Tokenizer.load(vocab, merges))
                .isInstanceOf(TokenizerFileException.class)
                .hasMessageStartingWith(merges + ": ")
                .hasMessageContainingAll(messageParts);
    }

    @Test
    void missingFilesAreNamed() throws IOException {
        Path merges = write("m/merges.txt", "a b\n");
        Path missing = dir.resolve("m/nope.json");
        assertThatThrownBy(() -> Gpt2Tokenizer.load(missing, merges))
                .isInstanceOf(NoSuchFileException.class)
                .hasMessageContaining(missing.toString());
        assertThatThrownBy(() -> HfTokenizer.fromTokenizerJson(missing))
                .isInstanceOf(NoSuchFileException.class)
                .hasMessageContaining(missing.toString());
        Path empty = Files.createDirectories(dir.resolve("empty"));
        assertThatThrownBy(() -> HfTokenizer.fromFolder(empty))
                .isInstanceOf(NoSuchFileException.class)
                .hasMessageContaining(empty.resolve("tokenizer.json").toString());
    }

    @Test
    void badVocabularies() throws IOException {
        assertBadVocab("{\"a\": 0,", "malformed JSON at offset");
        assertBadVocab("[\"a\", \"b\"]", "the top level must be a JSON object, found array");
        assertBadVocab("{}", "the vocabulary is empty");
        assertBadVocab("{\"a\": 0, \"b\": \"1\"}", "token \"b\" must have an integer id", "found \"1\"");
        assertBadVocab("{\"a\": 0, \"b\": -1}", "token \"b\" must have an integer id", "found -1");
        assertBadVocab("{\"a\": 0, \"b\": 1.5}", "token \"b\" must have an integer id");
        assertBadVocab("{\"a\": 99999999999}", "token \"a\" must have an integer id");
        assertBadVocab("{\"a\": 0, \"b\": 0}", "id 0 is used by both \"a\" and \"b\"");
    }

    @Test
    void vocabularyWithGapsIsRefused() throws IOException {
        // Ids 256..299 unused: a hole that would decode to nothing.
        Map<String, Object> v = Json.parseObject(fullVocab());
        v.put("<|endoftext|>", 300L);
        assertBadVocab(Json.write(v), "has 44 unused ids below its largest id 300", "first: [256, 257, 258, 259, 260]");
    }

    @Test
    void vocabularyWithoutEveryByteIsRefused() throws IOException {
        assertBadVocab(TOY_VOCAB, "has no token for 253 of the 256 bytes", "0x00 (\"\u0100\")",
                "a byte-level BPE needs one for every byte");
    }

    @Test
    void invalidUtf8IsNamed() throws IOException {
        Path vocab = dir.resolve("latin1/vocab.json");
        Files.createDirectories(vocab.getParent());
        Files.write(vocab, new byte[] {'{', '"', (byte) 0xE9, '"', ':', '0', '}'});
        Path merges = write("latin1/merges.txt", "");
        assertThatThrownBy(() -> Gpt2Tokenizer.load(vocab, merges))
                .isInstanceOf(TokenizerFileException.class)
                .hasMessage(vocab + ": is not valid UTF-8");
    }

    @Test
    void badMerges() throws IOException {
        assertBadMerges("#version: 0.2\na b c\n", "line 2: a merge must be two tokens separated by one space",
                "found \"a b c\"");
        assertBadMerges("a b\nab\n", "line 2: a merge must be two tokens", "found \"ab\"");
        assertBadMerges("a b\na  b\n", "line 2: a merge must be two tokens");
        assertBadMerges("a \n", "line 1: a merge must be two tokens");
        assertBadMerges(" a\n", "line 1: a merge must be two tokens");
        assertBadMerges("a b\nb zz\n", "line 2: merge \"b zz\" names \"zz\", which is not in the vocabulary");
        assertBadMerges("xx b\n", "line 1: merge \"xx b\" names \"xx\", which is not in the vocabulary");
        assertBadMerges("a b\n\nb a\n", "line 3: merge \"b a\" produces \"ba\", which is not in the vocabulary");
        assertBadMerges("a b\r\nb a\r\n", "line 2: merge \"b a\" produces \"ba\"");
    }
}
