package dev.lens4j.app;

import dev.lens4j.tensor.Tensor;
import dev.lens4j.transformer.TransformerConfig;
import dev.lens4j.transformer.TransformerWeights;
import dev.lens4j.transformer.loading.LensCheckpoint;
import dev.lens4j.transformer.train.InductionTrainer;
import dev.lens4j.transformer.train.TrainingListener;
import dev.lens4j.transformer.train.TrainingOptions;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Small model folders for the command tests, written once per test JVM into a temporary folder that is
 * deleted at exit.
 */
final class TestModels {

    /** The Hugging Face GPT-2 layout fixture of the transformer module (2 layers, d_model 32, vocabulary 101, no tokenizer). */
    static final Path TINY_GPT2 = Path.of("../transformer/src/test/resources/reference/tiny-gpt2/hf");

    private static Path root;
    private static Path induction;
    private static Path gpt2Vocab;
    private static Path tinyGpt2WithTokenizer;

    private TestModels() {}

    /**
     * A lens4j checkpoint in the shipped model's shape (2 attention-only layers of 4 heads, d_model 64,
     * n_ctx 48, the 64-word tokenizer), trained for only 20 steps: fast, and no induction circuit yet.
     */
    static synchronized Path induction() {
        if (induction == null) {
            Path dir = root().resolve("induction-small");
            InductionTrainer trainer = new InductionTrainer(TrainingOptions.defaults().withSteps(20).withBatchSize(8));
            trainer.train(TrainingListener.NONE);
            try {
                trainer.writeCheckpoint(dir);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            induction = dir;
        }
        return induction;
    }

    /**
     * A one-layer lens4j checkpoint with random weights and GPT-2's vocabulary size (50257), which
     * lens4j gives the built-in GPT-2 tokenizer.
     */
    static synchronized Path gpt2Vocab() {
        if (gpt2Vocab == null) {
            Path dir = root().resolve("gpt2-vocab");
            TransformerConfig cfg = TransformerConfig.gpt2(1, 8, 2, 16, 50257).withModelName("gpt2-vocab");
            Map<String, Tensor> sd = new LinkedHashMap<>();
            long seed = 1;
            for (Map.Entry<String, int[]> e : TransformerWeights.shapes(cfg).entrySet()) {
                sd.put(e.getKey(), Tensor.randn(seed++, e.getValue()).mul(0.1f));
            }
            try {
                LensCheckpoint.save(cfg, TransformerWeights.fromStateDict(cfg, sd, "test"), null, dir);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            gpt2Vocab = dir;
        }
        return gpt2Vocab;
    }

    /**
     * {@link #TINY_GPT2} (config.json and model.safetensors copied) with a byte-level BPE tokenizer in
     * Hugging Face's tokenizer.json that fits its 101-token vocabulary: the 26 lower-case letters, {@code Ġ}
     * (the space byte), merges that build {@code moon}, {@code Ġmoon}, {@code river} and {@code Ġriver},
     * and {@code <|endoftext|>} at id 100 (the config's {@code bos_token_id}). Ids 36 to 99 are unused, as
     * in a vocabulary padded to a round d_vocab: the investigation's random tokens land on them. (A
     * vocab.json must have every byte and no gaps, which 101 tokens cannot; GPT-2's own 50,257-token
     * files do not fit the model.)
     */
    static synchronized Path tinyGpt2WithTokenizer() {
        if (tinyGpt2WithTokenizer == null) {
            Path dir = root().resolve("tiny-gpt2-bpe");
            try {
                Files.createDirectories(dir);
                for (String f : new String[] {"config.json", "model.safetensors"}) {
                    Files.copy(TINY_GPT2.resolve(f), dir.resolve(f));
                }
                Map<String, Object> vocab = new LinkedHashMap<>();
                for (char c = 'a'; c <= 'z'; c++) {
                    vocab.put(String.valueOf(c), c - 'a');
                }
                vocab.put("\u0120", 26); // Ġ: the byte-level character of a space
                String[][] merges = {{"m", "o"}, {"mo", "o"}, {"moo", "n"}, {"\u0120", "moon"},
                        {"r", "i"}, {"ri", "v"}, {"riv", "e"}, {"rive", "r"}, {"\u0120", "river"}};
                List<Object> mergeList = new ArrayList<>();
                for (String[] m : merges) {
                    vocab.put(m[0] + m[1], vocab.size());
                    mergeList.add(List.of(m[0], m[1]));
                }
                vocab.put("<|endoftext|>", 100);
                Map<String, Object> byteLevel = Map.of("type", "ByteLevel", "add_prefix_space", false,
                        "trim_offsets", true, "use_regex", true);
                Map<String, Object> json = new LinkedHashMap<>();
                json.put("version", "1.0");
                json.put("added_tokens", List.of(Map.of("id", 100, "content", "<|endoftext|>", "single_word", false,
                        "lstrip", false, "rstrip", false, "normalized", true, "special", true)));
                json.put("pre_tokenizer", byteLevel);
                json.put("decoder", byteLevel);
                json.put("model", Map.of("type", "BPE", "vocab", vocab, "merges", mergeList));
                Files.writeString(dir.resolve("tokenizer.json"), dev.lens4j.tensor.internal.Json.write(json));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            tinyGpt2WithTokenizer = dir;
        }
        return tinyGpt2WithTokenizer;
    }

    /**
     * {@link #TINY_GPT2} with GPT-2's real vocab.json and merges.txt (lens4j's bundled copies), which hold
     * 50,257 tokens: more than the model's 101, so loading it must fail.
     */
    static Path tinyGpt2WithGpt2Tokenizer() {
        Path dir = newFolder("tiny-gpt2-gpt2-tokenizer");
        try {
            for (String f : new String[] {"config.json", "model.safetensors"}) {
                Files.copy(TINY_GPT2.resolve(f), dir.resolve(f));
            }
            Path bundled = Path.of("../transformer/src/main/resources/dev/lens4j/transformer/tokenizer/gpt2");
            for (String f : new String[] {"vocab.json", "merges.txt"}) {
                Files.copy(bundled.resolve(f), dir.resolve(f));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return dir;
    }

    /** A fresh folder for a test's files, under the shared temporary folder. */
    static synchronized Path newFolder(String name) {
        try {
            return Files.createTempDirectory(root(), name);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Path root() {
        if (root == null) {
            try {
                root = Files.createTempDirectory("lens4j-app-test");
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            Path r = root;
            Runtime.getRuntime().addShutdownHook(new Thread(() -> delete(r)));
        }
        return root;
    }

    private static void delete(Path dir) {
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // best effort: the folder is under the system's temporary folder
        }
    }
}
