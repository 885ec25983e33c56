package dev.lens4j.transformer.tokenizer;

import dev.lens4j.tensor.internal.Json;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A tokenizer.json or tokenizer_config.json lens4j cannot follow exactly is refused, naming the
 * file and the field: component types it does not implement, fields it does not know, ids that
 * Hugging Face would assign differently, special tokens the vocabulary lacks.
 */
class HfTokenizerErrorsTest {

    @TempDir
    Path dir;

    /** A kind's tokenizer.json, parsed, for a test to change. */
    @SuppressWarnings("unchecked")
    private static Map<String, Object> base(String kind) throws IOException {
        return (Map<String, Object>) Json.parse(Files.readString(HfFixtures.folder(kind).resolve("tokenizer.json")));
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> map(Object o) {
        return (Map<String, Object>) o;
    }

    private static Map<String, Object> obj(Object... kv) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put((String) kv[i], kv[i + 1]);
        }
        return m;
    }

    /** Changes a kind's tokenizer.json, loads it, and checks the message names the file and the parts. */
    private void assertRefused(String kind, Consumer<Map<String, Object>> change, String... parts) throws IOException {
        Map<String, Object> json = base(kind);
        change.accept(json);
        Path file = dir.resolve("tokenizer.json");
        Files.writeString(file, Json.write(json));
        assertThatThrownBy(() -> HfTokenizer.fromTokenizerJson(file))
                .isInstanceOf(TokenizerFileException.class)
                .hasMessageStartingWith(file + ": ")
                .hasMessageContainingAll(parts)
                .satisfies(e -> assertThat(((TokenizerFileException) e).file()).isEqualTo(file.toString()));
    }

    @Test
    void unsupportedComponentTypesAreNamed() throws IOException {
        assertRefused("gpt2", j -> j.put("normalizer", obj("type", "BertNormalizer")),
                "normalizer.type is \"BertNormalizer\", a normalizer lens4j does not support", "NFC, NFD");
        assertRefused("gpt2", j -> j.put("normalizer", obj("type", "Precompiled", "precompiled_charsmap", "AA==")),
                "normalizer.type is \"Precompiled\"");
        assertRefused("gpt2", j -> j.put("pre_tokenizer", obj("type", "Whitespace")),
                "pre_tokenizer.type is \"Whitespace\", a pre-tokenizer lens4j does not support",
                "ByteLevel, Split, Metaspace, Digits, Sequence");
        assertRefused("llama3", j -> ((List<Object>) map(j.get("pre_tokenizer")).get("pretokenizers"))
                        .add(obj("type", "Punctuation", "behavior", "Isolated")),
                "pre_tokenizer.pretokenizers[2].type is \"Punctuation\"");
        assertRefused("gpt2", j -> j.put("decoder", obj("type", "WordPiece", "prefix", "##", "cleanup", true)),
                "decoder.type is \"WordPiece\", a decoder lens4j does not support");
        assertRefused("gpt2", j -> j.put("post_processor", obj("type", "RobertaProcessing")),
                "post_processor.type is \"RobertaProcessing\", a post-processor lens4j does not support");
        assertRefused("gpt2", j -> map(j.get("model")).put("type", "Unigram"),
                "model.type is \"Unigram\", a model lens4j does not support (supported: BPE)");
        assertRefused("gpt2", j -> j.put("model", obj("type", "WordPiece", "vocab", obj("a", 0L))),
                "model.type is \"WordPiece\"");
        assertRefused("gpt2", j -> map(j.get("pre_tokenizer")).remove("type"), "pre_tokenizer has no \"type\"");
    }

    @Test
    void unknownFieldsAndBadValuesAreNamed() throws IOException {
        assertRefused("gpt2", j -> map(j.get("pre_tokenizer")).put("split_digits", true),
                "pre_tokenizer has the field \"split_digits\", which lens4j does not know for a ByteLevel pre-tokenizer");
        assertRefused("gpt2", j -> j.put("extra", 1L), "the top level has the field \"extra\"");
        assertRefused("gpt2", j -> j.put("version", "2.0"), "version is \"2.0\"; only format \"1.0\" is known");
        assertRefused("gpt2", j -> map(j.get("model")).put("dropout", 0.1),
                "model.dropout is number 0.1; only deterministic BPE");
        assertRefused("gpt2", j -> map(j.get("model")).put("unk_token", "<nope>"),
                "model.unk_token is \"<nope>\", which is not in model.vocab");
        assertRefused("gpt2", j -> map(j.get("pre_tokenizer")).put("add_prefix_space", "yes"),
                "pre_tokenizer.add_prefix_space must be true or false, found the string \"yes\"");
        assertRefused("gpt2", j -> map(j.get("pre_tokenizer")).remove("add_prefix_space"),
                "pre_tokenizer.add_prefix_space is missing");
        assertRefused("llama3", j -> map(((List<?>) map(j.get("pre_tokenizer")).get("pretokenizers")).get(0))
                        .put("pattern", obj("Regex", "(?i:'s)|\\w+")),
                "pre_tokenizer.pretokenizers[0].pattern.Regex is a regular expression using \\w");
        assertRefused("llama3", j -> map(((List<?>) map(j.get("pre_tokenizer")).get("pretokenizers")).get(0))
                        .put("behavior", "isolated"),
                "pre_tokenizer.pretokenizers[0].behavior is \"isolated\"; expected \"Removed\", \"Isolated\"");
        assertRefused("mistral", j -> map(j.get("pre_tokenizer")).put("replacement", "ab"),
                "pre_tokenizer.replacement must be exactly one character, found \"ab\"");
        assertRefused("mistral", j -> map(j.get("pre_tokenizer")).put("add_prefix_space", false),
                "pre_tokenizer.add_prefix_space is false but prepend_scheme is \"first\"");
        assertRefused("mistral", j -> map(j.get("pre_tokenizer")).put("prepend_scheme", "sometimes"),
                "pre_tokenizer.prepend_scheme is \"sometimes\"");
        assertRefused("llama2", j -> map(((List<?>) map(j.get("decoder")).get("decoders")).get(3)).remove("stop"),
                "decoder.decoders[3].stop is missing");
        assertRefused("llama2", j -> map(((List<?>) map(j.get("normalizer")).get("normalizers")).get(1))
                        .put("pattern", obj("String", " ", "Regex", " ")),
                "normalizer.normalizers[1].pattern must have exactly one of \"String\" and \"Regex\"");
    }

    @Test
    void addedTokenIdsMustBeTheOnesHuggingFaceAssigns() throws IOException {
        // tokenizers gives a new added token the next id after model.vocab; a file that says
        // otherwise would make lens4j's ids and tokenizers' disagree.
        assertRefused("gpt2", j -> map(((List<?>) j.get("added_tokens")).get(0)).put("id", 600L),
                "added_tokens[0].id is 600 for \"<|endoftext|>\", but Hugging Face's tokenizers gives it id 511",
                "after model.vocab's 511 entries");
        assertRefused("llama2", j -> map(((List<?>) j.get("added_tokens")).get(1)).put("id", 7L),
                "added_tokens[1].id is 7 for \"<s>\", but model.vocab gives it id 1");
        assertRefused("gpt2", j -> map(((List<?>) j.get("added_tokens")).get(0)).put("content", ""),
                "added_tokens[0].content is empty");
        assertRefused("gpt2", j -> map(((List<?>) j.get("added_tokens")).get(0)).put("lstrip", 1L),
                "added_tokens[0].lstrip must be true or false");
    }

    @Test
    void templatesMustNameDefinedTokens() throws IOException {
        assertRefused("llama2", j -> map(map(j.get("post_processor")).get("special_tokens")).remove("<s>"),
                "post_processor.single[0].SpecialToken.id is \"<s>\", which special_tokens does not define");
        assertRefused("llama2", j -> map(map(map(j.get("post_processor")).get("special_tokens")).get("<s>"))
                        .put("ids", List.of(999L)),
                "post_processor.special_tokens.<s>.ids[0] is 999, which is not a token of the vocabulary");
        assertRefused("llama2", j -> ((List<?>) map(j.get("post_processor")).get("single")).clear(),
                "post_processor.single must hold $A exactly once, found 0");
        assertRefused("llama3", j -> ((List<Object>) map(j.get("post_processor")).get("processors"))
                        .add(obj("type", "BertProcessing")),
                "post_processor.processors[2].type is \"BertProcessing\"");
    }

    private void assertConfigRefused(String kind, Map<String, Object> config, String... parts) throws IOException {
        Path json = Files.copy(HfFixtures.folder(kind).resolve("tokenizer.json"), dir.resolve("tokenizer.json"),
                java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        Path cfg = dir.resolve("tokenizer_config.json");
        Files.writeString(cfg, Json.write(config));
        assertThatThrownBy(() -> HfTokenizer.fromFiles(json, cfg))
                .isInstanceOf(TokenizerFileException.class)
                .hasMessageStartingWith(cfg + ": ")
                .hasMessageContainingAll(parts);
    }

    @Test
    void tokenizerConfigNamesOnlyTokensOfTheVocabulary() throws IOException {
        assertConfigRefused("llama2", obj("bos_token", "<bos>"),
                "bos_token \"<bos>\" is not a token of", "tokenizer.json", "transformers would add it as a new token");
        assertConfigRefused("llama2", obj("eos_token", obj("content", "</eos>", "lstrip", false)),
                "eos_token \"</eos>\" is not a token");
        assertConfigRefused("llama2", obj("pad_token", 3L), "pad_token must be a token's text or an object");
        assertConfigRefused("llama2", obj("add_bos_token", "true"), "add_bos_token must be true or false");
        assertConfigRefused("llama2", obj("additional_special_tokens", List.of("<x>")),
                "additional special token \"<x>\" is not a token");
        assertConfigRefused("llama2", obj("added_tokens_decoder", obj("1", obj("content", "<bos>"))),
                "added_tokens_decoder[\"1\"] (\"<bos>\") is not an added token", "(there it is \"<s>\")");
        assertConfigRefused("llama2", obj("added_tokens_decoder", obj("1", obj("content", "<s>", "lstrip", true))),
                "has lstrip/rstrip/single_word true/false/false but");
        assertConfigRefused("llama2", obj("added_tokens_decoder", obj("x", obj("content", "<s>"))),
                "is keyed by \"x\", not by a token id");
    }

    @Test
    void addBosAndEosTokenRebuildTheTemplateAsTransformersDoes() throws IOException {
        Path json = Files.copy(HfFixtures.folder("llama2").resolve("tokenizer.json"), dir.resolve("tokenizer.json"));
        Path cfg = dir.resolve("tokenizer_config.json");
        Files.writeString(cfg, Json.write(obj("bos_token", "<s>", "eos_token", "</s>", "add_bos_token", false,
                "add_eos_token", true)));
        HfTokenizer tok = HfTokenizer.fromFiles(json, cfg);
        int[] ids = tok.encode("Hi");
        int[] expected = java.util.Arrays.copyOf(ids, ids.length + 1);
        expected[ids.length] = 2;
        assertThat(tok.encodeWithSpecialTokens("Hi")).containsExactly(expected);
        // TransformerLens loads it again with add_bos_token=True: BOS first, EOS last.
        assertThat(tok.toTokens("Hi")).startsWith(1).endsWith(2);

        // A tokenizer.json without a post-processor: transformers builds one from the (absent, so
        // false) flags, and adds nothing; TransformerLens still puts BOS first.
        Map<String, Object> noPost = base("llama2");
        noPost.put("post_processor", null);
        Files.writeString(json, Json.write(noPost));
        Files.writeString(cfg, Json.write(obj("bos_token", "<s>", "eos_token", "</s>")));
        HfTokenizer bare = HfTokenizer.fromFiles(json, cfg);
        assertThat(bare.encodeWithSpecialTokens("Hi")).isEqualTo(bare.encode("Hi"));
        assertThat(bare.toTokens("Hi")).startsWith(1);
    }

    @Test
    void malformedJsonAndNonUtf8AreNamed() throws IOException {
        Path file = dir.resolve("tokenizer.json");
        Files.writeString(file, "{\"model\": ");
        assertThatThrownBy(() -> HfTokenizer.fromTokenizerJson(file))
                .isInstanceOf(TokenizerFileException.class).hasMessageStartingWith(file + ": malformed JSON at offset");
        Files.write(file, new byte[] {'{', '"', (byte) 0xFF, '"', ':', '1', '}'});
        assertThatThrownBy(() -> HfTokenizer.fromTokenizerJson(file))
                .isInstanceOf(TokenizerFileException.class).hasMessage(file + ": is not valid UTF-8");
        Files.writeString(file, "{\"version\": \"1.0\"}");
        assertThatThrownBy(() -> HfTokenizer.fromTokenizerJson(file))
                .isInstanceOf(TokenizerFileException.class).hasMessage(file + ": model is missing");
    }
}
