package dev.lens4j.transformer.tokenizer;

import dev.lens4j.tensor.io.Json;
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

/** Loading from vocab.json + merges.txt, tokenizer.json and folders; BPE on hand-made vocabularies; bad files. */
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

    private static void assertReferenceIds(Gpt2Tokenizer tok) {
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
        Gpt2Tokenizer tok = Gpt2Tokenizer.fromTokenizerJson(write("hf/tokenizer.json", Json.write(json)));
        assertReferenceIds(tok);
        assertThat(tok.mergeCount()).isEqualTo(50000);
        assertThat(tok.specialTokens()).containsExactly("<|endoftext|>");
    }

    @Test
    void directoryReadsTokenizerJsonOrVocabAndMerges() throws IOException {
        String tokenizerJson = """
                {"added_tokens": [{"id": 7, "content": "<|endoftext|>", "special": true}],
                 "pre_tokenizer": {"type": "ByteLevel"},
                 "model": {"type": "BPE", "vocab": %s, "merges": ["a b"]}}
                """.formatted(TOY_VOCAB);
        write("pair/vocab.json", TOY_VOCAB);
        write("pair/merges.txt", "b c\n");
        Gpt2Tokenizer pair = Gpt2Tokenizer.fromDirectory(dir.resolve("pair"));
        assertThat(pair.encode("abc")).containsExactly(0, 4);
        assertThat(pair.bosTokenId()).isEmpty();

        write("json/tokenizer.json", tokenizerJson);
        Gpt2Tokenizer json = Gpt2Tokenizer.fromDirectory(dir.resolve("json"));
        assertThat(json.encode("abc<|endoftext|>")).containsExactly(3, 2, 7);

        // Both kinds: tokenizer.json wins, since it also describes the added tokens.
        write("both/vocab.json", TOY_VOCAB);
        write("both/merges.txt", "b c\n");
        write("both/tokenizer.json", tokenizerJson);
        Gpt2Tokenizer both = Gpt2Tokenizer.fromDirectory(dir.resolve("both"));
        assertThat(both.encode("abc")).containsExactly(3, 2);
        assertThat(both.bosTokenId()).hasValue(7);
        assertThat(both.toString()).contains("tokenizer.json");
    }

    // ---------------------------------------------------------------------------------------------
    // BPE on small hand-made vocabularies, with hand-computed results.
    // ---------------------------------------------------------------------------------------------

    private static final String TOY_VOCAB = "{\"a\": 0, \"b\": 1, \"c\": 2, \"ab\": 3, \"bc\": 4, \"aa\": 5, \"abab\": 6}";

    private Gpt2Tokenizer toy(String merges) throws IOException {
        return Gpt2Tokenizer.load(write("toy/vocab.json", TOY_VOCAB), write("toy/merges.txt", merges));
    }

    @Test
    void lowestRankedPairMergesFirst() throws IOException {
        // "abc": pairs (a,b) and (b,c); the one listed first in merges.txt wins.
        assertThat(toy("#version: 0.2\nb c\na b\n").encode("abc")).containsExactly(0, 4); // a | bc
        assertThat(toy("#version: 0.2\na b\nb c\n").encode("abc")).containsExactly(3, 2); // ab | c
    }

    @Test
    void allOccurrencesMergeLeftToRight() throws IOException {
        Gpt2Tokenizer tok = toy("a a\na b\nab ab\n"); // no #version line: also accepted
        assertThat(tok.encode("aaa")).containsExactly(5, 0); // aa | a
        assertThat(tok.encode("aaaa")).containsExactly(5, 5); // aa | aa
        assertThat(tok.encode("ababab")).containsExactly(6, 3); // ab ab ab -> abab | ab
        assertThat(tok.encode("ababab")).containsExactly(6, 3); // again, from the cache
        assertThat(tok.encode("cab")).containsExactly(2, 3);
        assertThat(tok.decode(new int[] {6, 3, 2})).isEqualTo("abababc");
        assertThat(tok.vocabSize()).isEqualTo(7);
        assertThat(tok.mergeCount()).isEqualTo(3);
    }

    @Test
    void toyVocabularyWithoutSpecialTokensOrSomeBytes() throws IOException {
        Gpt2Tokenizer tok = toy("a b\n");
        assertThat(tok.bosTokenId()).isEmpty();
        assertThat(tok.eosTokenId()).isEmpty();
        assertThat(tok.specialTokens()).isEmpty();
        assertThat(tok.toTokens("ab", false)).containsExactly(3);
        assertThatThrownBy(() -> tok.toTokens("ab"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("no beginning-of-sequence token");
        assertThatThrownBy(() -> tok.encode("ab ab"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("byte 0x20 of \" ab\" has no token");
    }

    @Test
    void tokenizerJsonAddedTokensOutsideTheVocabulary() throws IOException {
        String json = """
                {"added_tokens": [{"id": 7, "content": "<pad>", "special": true},
                                  {"id": 8, "content": "<|endoftext|>", "special": true}],
                 "normalizer": null,
                 "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": false, "use_regex": true},
                 "model": {"type": "BPE", "vocab": %s, "merges": [["a", "b"], "ab ab"]}}
                """.formatted(TOY_VOCAB);
        Gpt2Tokenizer tok = Gpt2Tokenizer.fromTokenizerJson(write("toy.json", json));
        assertThat(tok.vocabSize()).isEqualTo(9);
        assertThat(tok.encode("ab<pad>abab<|endoftext|>")).containsExactly(3, 7, 6, 8);
        assertThat(tok.toTokens("ab")).containsExactly(8, 3);
        assertThat(tok.padTokenId()).hasValue(8);
        assertThat(tok.decode(new int[] {7, 3})).isEqualTo("<pad>ab");
        assertThat(tok.toSingleToken("<pad>")).isEqualTo(7);
    }

    // ---------------------------------------------------------------------------------------------
    // Bad files: the exception names the file and the fault.
    // ---------------------------------------------------------------------------------------------

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
        Path vocab = write("bad/vocab.json", TOY_VOCAB);
        Path merges = write("bad/merges.txt", mergesText);
        assertThatThrownBy(() -> Gpt2Tokenizer.load(vocab, merges))
                .isInstanceOf(TokenizerFileException.class)
                .hasMessageStartingWith(merges + ": ")
                .hasMessageContainingAll(messageParts);
    }

    private void assertBadTokenizerJson(String json, String... messageParts) throws IOException {
        Path file = write("bad/tokenizer.json", json);
        assertThatThrownBy(() -> Gpt2Tokenizer.fromTokenizerJson(file))
                .isInstanceOf(TokenizerFileException.class)
                .hasMessageStartingWith(file + ": ")
                .hasMessageContainingAll(messageParts);
    }

    private static String tokenizerJson(String model, String preTokenizer, String extra) {
        return "{" + extra + "\"pre_tokenizer\": " + preTokenizer + ", \"model\": " + model + "}";
    }

    private static final String BYTE_LEVEL = "{\"type\": \"ByteLevel\", \"add_prefix_space\": false}";
    private static final String TOY_MODEL = "{\"type\": \"BPE\", \"vocab\": " + TOY_VOCAB + ", \"merges\": [\"a b\"]}";

    @Test
    void missingFilesAreNamed() throws IOException {
        Path merges = write("m/merges.txt", "a b\n");
        Path missing = dir.resolve("m/nope.json");
        assertThatThrownBy(() -> Gpt2Tokenizer.load(missing, merges))
                .isInstanceOf(NoSuchFileException.class)
                .hasMessageContaining(missing.toString());
        assertThatThrownBy(() -> Gpt2Tokenizer.fromTokenizerJson(missing))
                .isInstanceOf(NoSuchFileException.class)
                .hasMessageContaining(missing.toString());
        Path empty = Files.createDirectories(dir.resolve("empty"));
        assertThatThrownBy(() -> Gpt2Tokenizer.fromDirectory(empty))
                .isInstanceOf(NoSuchFileException.class)
                .hasMessageContaining(empty.toString())
                .hasMessageContaining("neither tokenizer.json nor both vocab.json and merges.txt");
        write("half/vocab.json", TOY_VOCAB); // merges.txt missing
        assertThatThrownBy(() -> Gpt2Tokenizer.fromDirectory(dir.resolve("half")))
                .isInstanceOf(NoSuchFileException.class)
                .hasMessageContaining("half");
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
        assertBadMerges("a b\nb z\n", "line 2: merge \"b z\" names \"z\", which is not in the vocabulary");
        assertBadMerges("x b\n", "line 1: merge \"x b\" names \"x\", which is not in the vocabulary");
        assertBadMerges("a b\n\nb a\n", "line 3: merge \"b a\" produces \"ba\", which is not in the vocabulary");
        assertBadMerges("a b\r\nb a\r\n", "line 2: merge \"b a\" produces \"ba\"");
    }

    /** A tokenizer.json with GPT-2's pre-tokenizer and a BPE model with the given fields. */
    private static String withModel(String modelFields) {
        return tokenizerJson("{\"type\": \"BPE\", " + modelFields + "}", BYTE_LEVEL, "");
    }

    /** A tokenizer.json with the toy model and the given added_tokens array. */
    private static String withAddedTokens(String addedTokens) {
        return tokenizerJson(TOY_MODEL, BYTE_LEVEL, "\"added_tokens\": " + addedTokens + ", ");
    }

    @Test
    void badTokenizerJson() throws IOException {
        assertBadTokenizerJson("{\"model\": ", "malformed JSON at offset");
        assertBadTokenizerJson("{\"pre_tokenizer\": " + BYTE_LEVEL + "}", "model must be a JSON object, found null");
        assertBadTokenizerJson(tokenizerJson("{\"type\": \"WordPiece\", \"vocab\": {\"a\": 0}}", BYTE_LEVEL, ""),
                "model.type is \"WordPiece\", expected \"BPE\"");

        // Features that would change the ids: rejected, not ignored.
        assertBadTokenizerJson(tokenizerJson(TOY_MODEL, BYTE_LEVEL, "\"normalizer\": {\"type\": \"NFC\"}, "),
                "has a normalizer (an object of type \"NFC\")");
        assertBadTokenizerJson(tokenizerJson(TOY_MODEL, "{\"type\": \"Metaspace\"}", ""),
                "pre_tokenizer.type is \"Metaspace\"");
        assertBadTokenizerJson(tokenizerJson(TOY_MODEL, "null", ""), "has no pre_tokenizer");
        assertBadTokenizerJson(tokenizerJson(TOY_MODEL, "{\"type\": \"ByteLevel\", \"add_prefix_space\": true}", ""),
                "pre_tokenizer.add_prefix_space is true");
        assertBadTokenizerJson(withModel("\"byte_fallback\": true, \"vocab\": {\"a\": 0}, \"merges\": []"),
                "model.byte_fallback is true");
        assertBadTokenizerJson(withModel("\"continuing_subword_prefix\": \"##\", \"vocab\": {\"a\": 0}, \"merges\": []"),
                "model.continuing_subword_prefix is \"##\"");
        assertBadTokenizerJson(withModel("\"dropout\": 0.1, \"vocab\": {\"a\": 0}, \"merges\": []"),
                "model.dropout is 0.1");

        // Vocabulary and merges.
        assertBadTokenizerJson(withModel("\"vocab\": [], \"merges\": []"),
                "model.vocab must be a JSON object, found array");
        assertBadTokenizerJson(withModel("\"vocab\": {\"a\": \"x\"}, \"merges\": []"),
                "model.vocab entry \"a\" must have an integer id");
        assertBadTokenizerJson(withModel("\"vocab\": " + TOY_VOCAB),
                "model.merges must be an array, found null");
        assertBadTokenizerJson(withModel("\"vocab\": " + TOY_VOCAB + ", \"merges\": [\"a b\", 42]"),
                "model.merges[1]: a merge must be a string \"a b\" or a pair [\"a\", \"b\"], found 42");
        assertBadTokenizerJson(withModel("\"vocab\": " + TOY_VOCAB + ", \"merges\": [[\"a\", \"b\", \"c\"]]"),
                "model.merges[0]: a merge must be");
        assertBadTokenizerJson(withModel("\"vocab\": " + TOY_VOCAB + ", \"merges\": [\"a b\", \"abc\"]"),
                "model.merges[1]: a merge must be two tokens separated by one space, found \"abc\"");
        assertBadTokenizerJson(withModel("\"vocab\": " + TOY_VOCAB + ", \"merges\": [[\"a\", \"q\"]]"),
                "model.merges[0]: merge \"a q\" names \"q\", which is not in the vocabulary");

        // Added tokens.
        assertBadTokenizerJson(withAddedTokens("[{\"id\": 1, \"content\": \"a\"}]"),
                "added_tokens[0] gives \"a\" id 1 but model.vocab gives it id 0");
        assertBadTokenizerJson(withAddedTokens("[{\"id\": 0, \"content\": \"<x>\"}]"),
                "added token \"<x>\" has id 0, which the vocabulary gives to \"a\"");
        assertBadTokenizerJson(withAddedTokens("[{\"id\": 9}]"),
                "added_tokens[0].content must be a non-empty string");
        assertBadTokenizerJson(withAddedTokens("[{\"id\": \"9\", \"content\": \"<y>\"}]"),
                "added_tokens[0].id must have an integer id");
        assertBadTokenizerJson(withAddedTokens("[{\"id\": 9, \"content\": \"<mask>\", \"lstrip\": true}]"),
                "added_tokens[0] (\"<mask>\") sets lstrip, which is not supported");
        assertBadTokenizerJson(withAddedTokens("{}"), "added_tokens must be an array, found object");
    }
}
