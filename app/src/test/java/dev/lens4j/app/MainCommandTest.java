package dev.lens4j.app;

import dev.lens4j.report.Claim;
import dev.lens4j.report.CompositionScores;
import dev.lens4j.report.HeadId;
import dev.lens4j.report.InductionInvestigation;
import dev.lens4j.report.ReportData;
import dev.lens4j.report.ReportJson;
import dev.lens4j.report.ReportWriter;
import dev.lens4j.report.Verdict;
import dev.lens4j.transformer.ParameterCount;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/** The default command: the whole investigation, printed and written as a report. */
class MainCommandTest {

    private static final byte[] PNG_MAGIC = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};

    @Test
    void investigationPrintsTheConsoleReportAndWritesTheHtmlAndPngs() throws Exception {
        Path out = TestModels.newFolder("report").resolve("r");
        CommandRun run = CommandRun.of("--model", TestModels.induction().toString(), "--out", out.toString(),
                "--batch", "4", "--block", "10", "--seed", "7");
        assertThat(run.status()).as(run.toString()).isZero();

        String text = run.out();
        assertThat(text).contains("on 4 sequences of BOS + 10 random tokens + the same 10 again, seed 7");
        // the console report's sections, in order
        assertThat(text).containsSubsequence("Model", "Loss by position", "Previous-token scores", "Induction scores",
                "Direct logit attribution", "Head ablation", "OV copying scores", "Composition scores", "Claims");
        // every claim with a verdict, grouped by evidence tier
        assertThat(text).containsSubsequence("clue (attention patterns)", "activation-level evidence", "weight-level evidence");
        assertThat(text.lines().filter(l -> l.matches("\\s+\\[(supported|not supported|inconclusive|not applicable)]\\s+.*")))
                .hasSizeGreaterThanOrEqualTo(5);

        // the files, listed after the report
        List<String> expected = Stream.concat(Stream.of(ReportWriter.HTML, ReportWriter.LOSS_PNG, ReportWriter.DLA_PNG),
                Stream.of(CompositionScores.Mode.values()).map(ReportWriter::compositionPng)).toList();
        for (String f : expected) {
            assertThat(out.resolve(f)).isNotEmptyFile();
            assertThat(text).containsPattern("(?m)^" + java.util.regex.Pattern.quote(f) + "\\s+\\d+\\.\\d$");
        }
        try (Stream<Path> files = Files.list(out)) {
            List<Path> patterns = files.filter(p -> p.getFileName().toString().matches("pattern-L\\dH\\d\\.png")).toList();
            assertThat(patterns).isNotEmpty();
            for (Path png : Stream.concat(patterns.stream(), Stream.of(out.resolve(ReportWriter.LOSS_PNG))).toList()) {
                byte[] head = new byte[PNG_MAGIC.length];
                System.arraycopy(Files.readAllBytes(png), 0, head, 0, head.length);
                assertThat(head).as(png.toString()).isEqualTo(PNG_MAGIC);
            }
        }
        assertThat(Files.readString(out.resolve(ReportWriter.HTML))).startsWith("<!DOCTYPE html>").doesNotContain("http://", "https://cdn");
        // the shipped architecture: the same count as the attention page's, inspect's and train's
        assertThat(reportData(out.resolve(ReportWriter.HTML)).model().parameters()).isEqualTo(new ParameterCount(44_992L, false));
        assertThat(text).containsPattern("parameters\\s+44,992 \\(W_U untied\\)\n");
        assertThat(text).contains("Report written to " + out.toAbsolutePath().normalize())
                .contains("Open " + out.resolve(ReportWriter.HTML).toAbsolutePath().normalize() + " in a browser");
        // progress of the ablations on stderr, one line per tenth when not on a terminal
        assertThat(run.errLines()).anyMatch(l -> l.startsWith("ablating heads") && l.contains("8/8"));
        assertThat(run.err()).doesNotContain("Exception");
    }

    @Test
    void promptReplacesTheRandomSequenceInTheViewer() throws Exception {
        Path out = TestModels.newFolder("prompt");
        CommandRun run = CommandRun.of("--model", TestModels.induction().toString(), "--out", out.toString(),
                "--batch", "2", "--block", "5", "--prompt", "moon river moon river");
        assertThat(run.status()).as(run.toString()).isZero();
        String html = Files.readString(out.resolve(ReportWriter.HTML));
        assertThat(html).contains("\" moon\"").contains("\" river\"");
    }

    /** The report's data, read back from the JSON that report.html embeds for its scripts. */
    static ReportData reportData(Path html) throws Exception {
        Matcher m = Pattern.compile("(?s)<script type=\"application/json\" id=\"report-data\">(.*?)</script>")
                .matcher(Files.readString(html));
        assertThat(m.find()).as("report data in " + html).isTrue();
        return ReportJson.read(m.group(1));
    }

    /**
     * The console report's claims: statement to verdict, in order. A long statement wraps onto lines
     * indented to where it starts; the numbers under it are indented further.
     */
    static Map<String, String> consoleClaims(String text) {
        Map<String, String> out = new LinkedHashMap<>();
        Pattern verdictLine = Pattern.compile("^\\s+\\[(supported|not supported|inconclusive|not applicable)]\\s+(\\S.*)$");
        List<String> lines = text.lines().toList();
        for (int i = 0; i < lines.size(); i++) {
            Matcher m = verdictLine.matcher(lines.get(i));
            if (!m.matches()) {
                continue;
            }
            StringBuilder statement = new StringBuilder(m.group(2).strip());
            String indent = " ".repeat(m.start(2));
            while (i + 1 < lines.size() && lines.get(i + 1).startsWith(indent) && lines.get(i + 1).length() > indent.length()
                    && lines.get(i + 1).charAt(indent.length()) != ' ') {
                statement.append(' ').append(lines.get(++i).strip());
            }
            out.put(statement.toString(), m.group(1));
        }
        return out;
    }

    /** The README's first command: no arguments but the output folder, on the shipped model. Runs once. */
    @Test
    void shippedModelShowsTheInductionCircuit() throws Exception {
        Path out = TestModels.newFolder("shipped");
        CommandRun run = CommandRun.of("--out", out.toString());
        assertThat(run.status()).as(run.toString()).isZero();
        assertThat(run.out()).contains("Induction circuit in induction-2l");
        ReportData data = reportData(out.resolve(ReportWriter.HTML));

        // every claim the investigation makes is supported, and the console prints each one with its verdict
        List<Claim> claims = data.claims();
        assertThat(claims).isNotEmpty();
        assertThat(claims).allSatisfy(c -> assertThat(c.verdict()).as(c.statement() + ": " + c.numbers()).isEqualTo(Verdict.SUPPORTED));
        Map<String, String> printed = consoleClaims(run.out());
        assertThat(printed.keySet()).as(run.out()).containsExactlyInAnyOrderElementsOf(claims.stream().map(Claim::statement).toList());
        assertThat(printed.values()).containsOnly("supported");

        // the previous-token head and the induction heads the console names are the ones the report data picks
        HeadId prev = data.headScores().previousTokenHead();
        List<HeadId> induction = data.headScores().inductionHeads(InductionInvestigation.PATTERN_BAR);
        List<String> prevClaims = printed.keySet().stream().filter(c -> c.matches("L\\d+H\\d+ is a previous-token head")).toList();
        assertThat(prevClaims).as(run.out()).hasSize(1);
        assertThat(HeadId.parse(prevClaims.getFirst().split(" ")[0])).isEqualTo(prev);
        List<String> indClaims = printed.keySet().stream()
                .filter(c -> c.matches("(L\\d+H\\d+, )*L\\d+H\\d+ (attends like an induction head|attend like induction heads)")).toList();
        assertThat(indClaims).as(run.out()).hasSize(1);
        assertThat(Arrays.stream(indClaims.getFirst().replaceAll(" attends? like (an )?induction heads?$", "").split(", "))
                .map(HeadId::parse).toList()).isEqualTo(induction);
        // the previous-token head comes before the induction heads it feeds
        assertThat(induction).allMatch(h -> h.layer() > prev.layer());

        // report.html lists those heads in its viewer, and names them in its claims
        String html = Files.readString(out.resolve(ReportWriter.HTML));
        List<HeadId> detected = new ArrayList<>(List.of(prev));
        detected.addAll(induction);
        for (HeadId h : detected) {
            assertThat(html).contains("data-head=\"" + h.label() + "\"");
            assertThat(data.attention().find(h)).as(h + " in the viewer").isNotNull();
        }
        assertThat(html).contains("<div class=\"statement\">" + prev.label() + " is a previous-token head</div>");
        // the PNGs of the key heads are the detected previous-token head and the best induction head
        assertThat(out.resolve(ReportWriter.patternPng(prev))).isNotEmptyFile();
        assertThat(out.resolve(ReportWriter.patternPng(data.headScores().inductionHead().orElseThrow()))).isNotEmptyFile();
        // 44,992 parameters, by hand in the transformer module's ParameterCountTest; before, 44,608 "as loaded"
        // (the LayerNorm weights folded away), while the model's README and lens4j train said 44,992
        assertThat(data.model().parameters()).isEqualTo(new ParameterCount(44_992L, false));
        assertThat(run.out()).containsPattern("parameters\\s+44,992 \\(W_U untied\\)\n");
    }

    /**
     * The verdicts of the shipped model do not change with the probe: a short block, another seed and
     * batch give the same claims, all supported, as the default (the report module's InductionVerdictsTest
     * sweeps every block length; here the command line itself).
     */
    @Test
    void shippedModelsVerdictsDoNotChangeWithTheProbe() throws Exception {
        Map<String, String> first = null;
        for (String[] flags : List.of(new String[] {"--block", "5"}, new String[] {"--block", "12", "--seed", "7", "--batch", "1"})) {
            Path out = TestModels.newFolder("probe").resolve("r");
            List<String> args = new ArrayList<>(List.of("--out", out.toString()));
            args.addAll(List.of(flags));
            CommandRun run = CommandRun.of(args.toArray(String[]::new));
            assertThat(run.status()).as(run.toString()).isZero();
            Map<String, String> claims = consoleClaims(run.out());
            assertThat(claims.values()).as(run.out()).hasSize(10).containsOnly("supported");
            if (flags[flags.length - 1].equals("1")) { // before: "1 sequences"
                assertThat(run.out()).contains("on 1 sequence of BOS + 12 random tokens + the same 12 again, seed 7")
                        .contains("Loss by position on repeated random tokens (mean of 1 sequence)");
                assertThat(reportData(out.resolve(ReportWriter.HTML)).claims()).map(Claim::numbers)
                        .anyMatch(n -> n.contains("tokens 2 to 12 of each copy, over 1 sequence; bar:"));
            }
            if (first != null) {
                assertThat(claims).isEqualTo(first);
            }
            first = claims;
        }
    }

    /** The main job on a Hugging Face GPT-2 folder (config.json with n_embd, model.safetensors; no tokenizer). */
    @Test
    void huggingFaceGpt2Folder() throws Exception {
        Path out = TestModels.newFolder("hf").resolve("r");
        CommandRun run = CommandRun.of("--model", TestModels.TINY_GPT2.toString(), "--out", out.toString(),
                "--batch", "2", "--block", "5", "--seed", "3");
        assertThat(run.status()).as(run.toString()).isZero();
        String text = run.out();
        // named by its config's model_type, not by its folder "hf"
        assertThat(text).contains("Investigating gpt2 (" + TestModels.TINY_GPT2.toAbsolutePath().normalize() + ")")
                .contains("on 2 sequences of 5 random tokens + the same 5 again, seed 3"); // no tokenizer, so no BOS
        assertThat(text).containsSubsequence("Model", "Loss by position", "Previous-token scores", "Induction scores",
                "Direct logit attribution", "Head ablation", "OV copying scores", "Composition scores", "Claims");
        assertThat(text).containsPattern("tokenizer\\s+none, d_vocab 101\n");
        ReportData data = reportData(out.resolve(ReportWriter.HTML));
        assertThat(data.model().vocabSize()).isEqualTo(101);
        assertThat(data.model().attentionOnly()).isFalse();
        assertThat(consoleClaims(text)).hasSameSizeAs(data.claims()).isNotEmpty();
        // no tokenizer: the viewer shows token ids, and the sequence has no BOS (2 blocks of 5)
        assertThat(data.attention().tokens()).hasSize(10).allMatch(t -> t.matches("#\\d+"));
        for (String f : expectedFiles()) {
            assertThat(out.resolve(f)).isNotEmptyFile();
            assertThat(text).containsPattern("(?m)^" + Pattern.quote(f) + "\\s+\\d+\\.\\d$");
        }
        assertThat(run.errLines()).anyMatch(l -> l.startsWith("ablating heads") && l.contains("8/8"));
        assertThat(run.err()).doesNotContain("Exception");
    }

    /**
     * --prompt on a Hugging Face GPT-2 folder with a byte-level BPE tokenizer. GPT-2's own vocab.json has
     * 50,257 tokens, more than the tiny model's 101 (lens4j refuses that pairing, see ErrorsTest), so the
     * folder gets a small tokenizer.json of its own that fits.
     */
    @Test
    void promptOnAHuggingFaceGpt2FolderWithATokenizer() throws Exception {
        Path dir = TestModels.tinyGpt2WithTokenizer();
        Path out = TestModels.newFolder("hf-prompt");
        CommandRun run = CommandRun.of("--model", dir.toString(), "--out", out.toString(), "--batch", "2", "--block", "5",
                "--prompt", "moon river moon river");
        assertThat(run.status()).as(run.toString()).isZero();
        assertThat(run.out()).containsPattern("tokenizer\\s+byte-level BPE \\(tokenizer.json\\), d_vocab 101\n")
                .contains("on 2 sequences of BOS + 5 random tokens");
        ReportData data = reportData(out.resolve(ReportWriter.HTML));
        assertThat(data.model().tokenizer()).isEqualTo("byte-level BPE (tokenizer.json)");
        // BOS (<|endoftext|>, the config's bos_token_id 100) first, then the prompt's four words
        assertThat(data.attention().tokens()).containsExactly("<|endoftext|>", "moon", " river", " moon", " river");
        assertThat(data.attention().description()).isEqualTo("The prompt");
        assertThat(data.attention().heads()).hasSize(8);
        for (String f : expectedFiles()) {
            assertThat(out.resolve(f)).isNotEmptyFile();
        }
    }

    private static List<String> expectedFiles() {
        return Stream.concat(Stream.of(ReportWriter.HTML, ReportWriter.LOSS_PNG, ReportWriter.DLA_PNG),
                Stream.of(CompositionScores.Mode.values()).map(ReportWriter::compositionPng)).toList();
    }
}
