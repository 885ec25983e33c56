package dev.lens4j.app;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/** User errors: exactly one line on stderr, no stack trace, exit status 2 for command-line mistakes and 1 otherwise. */
class ErrorsTest {

    private static void assertOneLine(CommandRun run, int status, String start) {
        assertThat(run.status()).as(run.toString()).isEqualTo(status);
        assertThat(run.errLines()).as(run.toString()).singleElement().asString()
                .startsWith("lens4j: " + start)
                .doesNotContain("Exception").doesNotContain("at dev.").doesNotContain("\tat ");
        assertThat(run.out()).isEmpty();
    }

    /** A copy of the small model whose file {@code name} holds {@code content}. */
    private static Path brokenCopy(String name, String content) throws Exception {
        Path dir = TestModels.newFolder("broken");
        try (Stream<Path> files = Files.list(TestModels.induction())) {
            for (Path f : files.toList()) {
                Files.copy(f, dir.resolve(f.getFileName()));
            }
        }
        Files.writeString(dir.resolve(name), content);
        return dir;
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "inspect", "tokens", "cache", "attention", "bench"})
    void missingModelDirectory(String command) {
        String[] args = command.isEmpty() ? new String[] {"--model", "/no/such/model"}
                : command.equals("tokens") || command.equals("cache") || command.equals("attention") ? new String[] {command, "--model", "/no/such/model", "--prompt", "x"}
                : new String[] {command, "--model", "/no/such/model"};
        assertOneLine(CommandRun.of(args), 1, "model directory /no/such/model does not exist");
    }

    @Test
    void badFlag() {
        assertOneLine(CommandRun.of("--bogus"), 2, "unknown option: '--bogus' (see 'lens4j --help')");
        assertOneLine(CommandRun.of("inspect", "--pos", "many"), 2, "invalid value for option '--pos': 'many' is not an int (see 'lens4j inspect --help')");
        assertOneLine(CommandRun.of("cache"), 2, "missing required option: '--prompt=TEXT'");
        assertOneLine(CommandRun.of("cache", "--prompt", "x", "--format", "csv"), 2, "invalid value for option '--format'");
        assertOneLine(CommandRun.of("inspect", "--names", "blocks.(0"), 2, "invalid value for option '--names': 'blocks.(0' is not a regular expression");
        assertOneLine(CommandRun.of("nosuchcommand"), 2, "'nosuchcommand' is not a lens4j command");
    }

    /**
     * A first word that is no command is named as such, with the close commands when there are some and
     * every command otherwise (before: "unmatched argument at index 0: 'frobnicate'").
     */
    @Test
    void aWordThatIsNoCommandIsNamedWithTheCommands() {
        assertOneLine(CommandRun.of("frobnicate"), 2, "'frobnicate' is not a lens4j command; the commands are "
                + "inspect, tokens, cache, attention, train, bench, shell, lesson and help (see 'lens4j --help')");
        assertOneLine(CommandRun.of("inspec"), 2,
                "'inspec' is not a lens4j command; did you mean inspect? (see 'lens4j --help')");
        assertOneLine(CommandRun.of("atention", "--prompt", "x"), 2,
                "'atention' is not a lens4j command; did you mean attention?");
        assertOneLine(CommandRun.of("--no-processing", "cahce"), 2,
                "'cahce' is not a lens4j command; did you mean cache?");
        // after an option's value, a word is not taken for a command: picocli's message, which gives its place
        assertOneLine(CommandRun.of("--seed", "3", "frobnicate"), 2,
                "unmatched argument at index 2: 'frobnicate' (see 'lens4j --help')");
        // the same words after help
        assertOneLine(CommandRun.of("help", "frobnicate"), 2, "'frobnicate' is not a lens4j command; the commands are "
                + "inspect, tokens, cache, attention, train, bench, shell, lesson and help (see 'lens4j --help')");
        assertOneLine(CommandRun.of("help", "inspec"), 2, "'inspec' is not a lens4j command; did you mean inspect?");
    }

    /**
     * A misspelt option is named, with the option it is close to, before the missing required option it
     * caused (before: only "missing required option: '--prompt=TEXT'", never naming --promt).
     */
    @Test
    void aMisspeltOptionIsNamedBeforeTheMissingOneItCaused() {
        assertOneLine(CommandRun.of("cache", "--promt", "moon"), 2,
                "unknown options: '--promt', 'moon' (did you mean --prompt?); missing required option: '--prompt=TEXT' "
                        + "(see 'lens4j cache --help')");
        assertOneLine(CommandRun.of("attention", "--promt=moon"), 2,
                "unknown option: '--promt=moon' (did you mean --prompt?); missing required option: '--prompt=TEXT' "
                        + "(see 'lens4j attention --help')");
        assertOneLine(CommandRun.of("train", "--outt", "x"), 2, "unknown options: '--outt', 'x' (did you mean --out?); "
                + "missing required option: '--out=DIR' (see 'lens4j train --help')");
        // an unknown option before the command's name is named too, and one close to no option without a guess
        assertOneLine(CommandRun.of("--bogus", "cache"), 2,
                "unknown option: '--bogus'; missing required option: '--prompt=TEXT' (see 'lens4j cache --help')");
        assertOneLine(CommandRun.of("inspect", "--modle", "/tmp"), 2,
                "unknown options: '--modle', '/tmp' (did you mean --model?) (see 'lens4j inspect --help')");
        assertOneLine(CommandRun.of("inspect", "-model", "/tmp"), 2,
                "unknown options: '-model', '/tmp' (did you mean --model?)");
        assertOneLine(CommandRun.of("--bogus"), 2, "unknown option: '--bogus' (see 'lens4j --help')");
    }

    @Test
    void closestNames() {
        List<String> commands = List.of("inspect", "tokens", "cache", "attention", "train", "bench", "shell", "lesson",
                "help");
        assertThat(ErrorHandler.closest("inspec", commands)).containsExactly("inspect");
        assertThat(ErrorHandler.closest("bnech", commands)).containsExactly("bench"); // a transposition is one edit
        assertThat(ErrorHandler.closest("att", commands)).containsExactly("attention"); // the only one it starts
        assertThat(ErrorHandler.closest("frobnicate", commands)).isEmpty();
        assertThat(ErrorHandler.closest("xy", commands)).isEmpty();
        List<String> options = List.of("--model", "--batch", "--block", "-h", "--help");
        assertThat(ErrorHandler.closest("--modle", options)).containsExactly("--model");
        assertThat(ErrorHandler.closest("--Model", options)).containsExactly("--model");
        assertThat(ErrorHandler.closest("--modl", List.of("--model", "--mode", "--mod-dir")))
                .containsExactly("--model", "--mode");
        assertThat(ErrorHandler.closest("--x", options)).isEmpty(); // never a one-letter option for a word
    }

    /**
     * A folder without config.json whose subfolders have one (a family's folder of checkpoints) names
     * them (before: only "llama/config.json: no such file or directory").
     */
    @Test
    void aFolderOfCheckpointsNamesItsSubfolders(@TempDir Path dir) throws Exception {
        Path family = dir.resolve("family");
        for (String sub : new String[] {"hf", "hf-bf16"}) {
            Files.createDirectories(family.resolve(sub));
            Files.copy(TestModels.TINY_GPT2.resolve("config.json"), family.resolve(sub).resolve("config.json"));
        }
        Files.createDirectories(family.resolve("notes"));
        assertOneLine(CommandRun.of("inspect", "--model", family.toString()), 1, family
                + " has no config.json; its subfolders hf/ and hf-bf16/ have one: give one of them as --model");
        Files.delete(family.resolve("hf-bf16/config.json"));
        assertOneLine(CommandRun.of("cache", "--model", family.toString(), "--prompt", "x"), 1, family
                + " has no config.json; its subfolder hf/ has one: give it as --model");
        Files.delete(family.resolve("hf/config.json"));
        assertOneLine(CommandRun.of("inspect", "--model", family.toString()), 1,
                family.resolve("config.json") + ": no such file or directory");

        Path llama = Path.of("../transformer/src/test/resources/reference/families/llama");
        assertOneLine(CommandRun.of("inspect", "--model", llama.toString()), 1, llama
                + " has no config.json; its subfolders hf/, hf-bf16/, hf-f16/ and hf-sharded/ have one: "
                + "give one of them as --model");

        Path many = dir.resolve("many");
        for (char c = 'a'; c <= 'h'; c++) {
            Files.createDirectories(many.resolve(c + "-model"));
            Files.copy(TestModels.TINY_GPT2.resolve("config.json"), many.resolve(c + "-model").resolve("config.json"));
        }
        assertOneLine(CommandRun.of("inspect", "--model", many.toString()), 1, many + " has no config.json; its "
                + "subfolders a-model/, b-model/, c-model/, d-model/, e-model/, f-model/ and 2 more have one: "
                + "give one of them as --model");
    }

    /**
     * The investigation's options given before a command are refused, naming them and the command, instead
     * of being ignored (the command would run on the built-in model); {@code --stacktrace} may go anywhere,
     * and help and the version are printed wherever they are asked for.
     */
    @Test
    void theInvestigationsOptionsBeforeACommandAreRefused() {
        assertOneLine(CommandRun.of("--model", "/no/such/model", "inspect"), 2,
                "--model comes before 'inspect', where only the investigation (lens4j without a command) reads it; "
                        + "give the command's options after its name (see 'lens4j inspect --help')");
        assertOneLine(CommandRun.of("--no-processing", "--model", TestModels.induction().toString(), "tokens", "--prompt", "x"), 2,
                "--no-processing and --model come before 'tokens', where only the investigation (lens4j without a command) "
                        + "reads them; give the command's options after its name (see 'lens4j tokens --help')");
        assertOneLine(CommandRun.of("--seed", "3", "--batch", "2", "--block", "4", "cache", "--prompt", "x"), 2,
                "--seed, --batch and --block come before 'cache'");
        CommandRun after = CommandRun.of("--stacktrace", "inspect", "--model", TestModels.induction().toString());
        assertThat(after.status()).as(after.toString()).isZero();
        assertThat(after.out()).contains(TestModels.induction().toString());
        for (String[] help : new String[][] {{"--model", "/no/such/model", "inspect", "--help"}, {"help", "inspect"},
                {"inspect", "--help"}}) {
            CommandRun run = CommandRun.of(help);
            assertThat(run.status()).as(run.toString()).isZero();
            assertThat(run.out()).as(run.toString()).contains("Usage: lens4j inspect");
        }
        for (String[] version : new String[][] {{"--version"}, {"--version", "inspect"}}) {
            CommandRun run = CommandRun.of(version);
            assertThat(run.status()).as(run.toString()).isZero();
            assertThat(run.out()).as(run.toString()).startsWith("lens4j ");
        }
    }

    @Test
    void malformedConfig() throws Exception {
        Path dir = brokenCopy("config.json", "{\"n_layers\": 2, ");
        assertOneLine(CommandRun.of("inspect", "--model", dir.toString()), 1, dir.resolve("config.json") + ": not a valid JSON object");
    }

    @Test
    void configMissingAKey() throws Exception {
        Path dir = brokenCopy("config.json", "{\"d_model\": 64}");
        assertOneLine(CommandRun.of("--model", dir.toString()), 1, dir.resolve("config.json").toString());
    }

    @Test
    void unreadableWeights() throws Exception {
        Path dir = brokenCopy("model.safetensors", "not a safetensors file");
        assertOneLine(CommandRun.of("inspect", "--model", dir.toString()), 1, "");
        assertThat(CommandRun.of("inspect", "--model", dir.toString()).err()).contains("model.safetensors");
    }

    @Test
    void tokenizerLargerThanTheModel() {
        Path dir = TestModels.tinyGpt2WithGpt2Tokenizer();
        assertOneLine(CommandRun.of("--model", dir.toString(), "--prompt", "moon"), 1,
                dir + ": the tokenizer has 50257 tokens but the model's vocabulary (d_vocab) is 101");
    }

    @Test
    void modelIsAFile() {
        Path config = TestModels.induction().resolve("config.json");
        assertOneLine(CommandRun.of("inspect", "--model", config.toString()), 1, "--model " + config + " is a file");
    }

    @Test
    void outputFolderIsAFile() {
        Path file = TestModels.induction().resolve("words.txt");
        assertOneLine(CommandRun.of("--model", TestModels.induction().toString(), "--out", file.toString()), 1,
                "--out " + file + " is a file; give a folder for the report");
        assertOneLine(CommandRun.of("attention", "--model", TestModels.induction().toString(), "--prompt", "apple", "--out", file.toString()), 1,
                "--out " + file + " is a file");
        assertOneLine(CommandRun.of("cache", "--model", TestModels.induction().toString(), "--prompt", "apple", "--save", file.toString()), 1,
                "--save " + file + " is a file");
        // a folder that cannot be created is refused before any work is done or printed
        Path underFile = file.resolve("sub");
        assertOneLine(CommandRun.of("--model", TestModels.induction().toString(), "--out", underFile.toString()), 1,
                "--out " + underFile + ": cannot create the folder");
        assertOneLine(CommandRun.of("attention", "--model", TestModels.induction().toString(), "--prompt", "apple", "--out",
                underFile.toString()), 1, "--out " + underFile + ": cannot create the folder");
        assertOneLine(CommandRun.of("cache", "--model", TestModels.induction().toString(), "--prompt", "apple", "--save",
                underFile.toString()), 1, "--save " + underFile + ": cannot create the folder");
    }

    /**
     * {@code train} checks its command line before training: an empty stdout (its first line is
     * printed when training starts) and no checkpoint show that nothing was trained.
     */
    @Test
    void trainRefusesBadOptionsBeforeTraining() throws Exception {
        Path file = TestModels.induction().resolve("words.txt");
        assertOneLine(CommandRun.of("train", "--out", file.toString(), "--steps", "1"), 1,
                "--out " + file + " is a file; give a folder for the checkpoint");
        Path underFile = file.resolve("ckpt");
        assertOneLine(CommandRun.of("train", "--out", underFile.toString(), "--steps", "1"), 1,
                "--out " + underFile + ": cannot create the folder");

        assertOneLine(CommandRun.of("train", "--steps", "1"), 2, "missing required option: '--out=DIR' (see 'lens4j train --help')");
        Path dir = TestModels.newFolder("train-errors").resolve("ckpt");
        String out = dir.toString();
        assertOneLine(CommandRun.of("train", "--out", out, "--steps", "many"), 2,
                "invalid value for option '--steps': 'many' is not an int (see 'lens4j train --help')");
        assertOneLine(CommandRun.of("train", "--out", out, "--norm", "BatchNorm"), 2,
                "invalid training options: --norm must be LN, RMS or none, got 'BatchNorm' (see 'lens4j train --help')");
        assertOneLine(CommandRun.of("train", "--out", out, "--style", "gemma"), 2,
                "invalid training options: --style must be gpt2 or llama, got 'gemma' (see 'lens4j train --help')");
        assertOneLine(CommandRun.of("train", "--out", out, "--steps", "0"), 2, "invalid training options: --steps must be positive, got 0");
        assertOneLine(CommandRun.of("train", "--out", out, "--max-block", "30"), 2,
                "invalid training options: need 2 <= --min-block <= --max-block and 1 + 2 --max-block <= --n-ctx; got --min-block 8, "
                        + "--max-block 30, --n-ctx 48");
        // before: Infinity and NaN trained and wrote an all-NaN checkpoint with exit 0
        for (String lr : new String[] {"Infinity", "NaN", "0", "-0.001"}) {
            assertOneLine(CommandRun.of("train", "--out", out, "--lr", lr), 2, "invalid training options: --lr must be a positive "
                    + "finite number, got " + Float.parseFloat(lr) + " (see 'lens4j train --help')");
        }
        assertOneLine(CommandRun.of("train", "--out", out, "--final-lr", "Infinity"), 2,
                "invalid training options: --final-lr must be a finite number, 0 or more, got Infinity");
        // found by an audit: an odd head width named a config key (rotary_dim) with exit 1; a warm-up longer than the
        // run and a negative target loss were accepted and ran to the end
        assertOneLine(CommandRun.of("train", "--out", out, "--style", "llama", "--d-head", "7"), 2,
                "invalid training options: --d-head must be even for the llama style, whose rotary positions turn pairs of "
                        + "each head's dimensions, got 7");
        assertOneLine(CommandRun.of("train", "--out", out, "--warmup", "500", "--steps", "10"), 2,
                "invalid training options: --warmup 500 is more than --steps 10: the learning rate would never reach --lr");
        assertOneLine(CommandRun.of("train", "--out", out, "--stop-below", "-1"), 2,
                "--stop-below must be a positive finite loss (a loss in nats is never below 0), got -1.0");
        // before: "internal error: integer overflow"
        assertOneLine(CommandRun.of("train", "--out", out, "--d-model", "100000", "--heads", "1000", "--d-head", "1000"), 2,
                "invalid training options: --d-model 100000 x 3 x --heads 1000 x --d-head 1000 = 3.00e+11 floats in each block's "
                        + "W_Q, W_K and W_V side by side, more than a Java array holds (2,147,483,639)");
        assertOneLine(CommandRun.of("train", "--out", out, "--batch", "2000000000", "--heads", "1", "--d-model", "16"), 2,
                "invalid training options: --batch 2000000000 x --heads 1 x --n-ctx 48 x 48 = 4.61e+12 floats");
        assertOneLine(CommandRun.of("train", "--out", out, "--batch", "10000000", "--heads", "1", "--d-head", "1", "--d-model", "1",
                        "--n-ctx", "5", "--min-block", "2", "--max-block", "2"), 2,
                "invalid training options: --batch 10000000 x --n-ctx 5 x d_vocab 64 = 3.20e+09 floats in a batch's logits");
        assertOneLine(CommandRun.of("train", "--out", out, "--threads", "0"), 2, "--threads must be at least 1, got 0");
        int tooMany = ThreadsOption.maxThreads() + 1;
        assertOneLine(CommandRun.of("train", "--out", out, "--threads", String.valueOf(tooMany)), 2,
                "--threads must be at most " + ThreadsOption.maxThreads() + " (4 per core, ");
        assertOneLine(CommandRun.of("bench", "--threads", "99999"), 2, "--threads must be at most ");
        assertThat(dir).doesNotExist();
    }

    @Test
    void promptLongerThanTheContext() {
        String prompt = "apple ".repeat(60);
        assertOneLine(CommandRun.of("cache", "--model", TestModels.induction().toString(), "--prompt", prompt), 2,
                "--prompt is 61 tokens long, more than induction-2l's context of 48 tokens (n_ctx)");
        assertOneLine(CommandRun.of("--model", TestModels.induction().toString(), "--prompt", prompt), 2, "--prompt is 61 tokens long");
    }

    @Test
    void wordOutsideTheVocabulary() {
        assertOneLine(CommandRun.of("attention", "--model", TestModels.induction().toString(), "--prompt", "apple banana"), 2,
                "--prompt: unknown word \"banana\"");
    }

    @Test
    void headOutOfRange() {
        assertOneLine(CommandRun.of("attention", "--model", TestModels.induction().toString(), "--prompt", "apple", "--heads", "L0H1,L2H0"), 2,
                "--heads L2H0 is not a head of induction-2l, which has 2 layers (L0 to L1) of 4 heads (H0 to H3)");
        assertOneLine(CommandRun.of("attention", "--model", TestModels.induction().toString(), "--prompt", "apple", "--heads", "1.2"), 2,
                "invalid value for option '--heads' (L1H2,...): '1.2' is not a head");
    }

    @Test
    void blockTooLongForTheContext() {
        assertOneLine(CommandRun.of("--model", TestModels.induction().toString(), "--block", "24"), 2,
                "--block 24 must be between 3 and 23 for induction-2l");
    }

    @Test
    void stacktraceOnRequest() {
        CommandRun run = CommandRun.of("inspect", "--model", TestModels.TINY_GPT2.toString(), "--pos", "0", "--stacktrace");
        assertThat(run.status()).isEqualTo(2);
        assertThat(run.errLines().getFirst()).startsWith("lens4j: --pos 0 must be between 1 and gpt2's n_ctx of 24");
        assertThat(run.err()).contains("at dev.lens4j.app.InspectCommand");

        CommandRun missing = CommandRun.of("--stacktrace", "--model", "/no/such/model");
        assertThat(missing.status()).isEqualTo(1);
        assertThat(missing.errLines().size()).isGreaterThan(1);
        assertThat(missing.err()).contains("UserError");
    }

    @Test
    void unexpectedFailuresAreOneLineToo() {
        assertThat(ErrorHandler.message(new NullPointerException("x is null")))
                .isEqualTo("internal error: java.lang.NullPointerException: x is null (run again with --stacktrace to see where)");
        assertThat(ErrorHandler.message(new java.io.UncheckedIOException(new java.nio.file.NoSuchFileException("/a/b"))))
                .isEqualTo("/a/b: no such file or directory");
        assertThat(ErrorHandler.message(new IllegalArgumentException("line one\n  line two"))).isEqualTo("line one line two");
        assertThat(ErrorHandler.message(new OutOfMemoryError("Java heap space")))
                .isEqualTo("out of memory; give the JVM more heap (e.g. LENS4J_JAVA_OPTS=-Xmx8g)");
        assertThat(ErrorHandler.message(new OutOfMemoryError("unable to create native thread: possibly out of memory")))
                .isEqualTo("the system refused to start another thread (unable to create native thread: possibly out of memory);"
                        + " use fewer --threads");
    }
}
