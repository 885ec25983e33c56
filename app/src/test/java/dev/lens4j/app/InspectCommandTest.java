package dev.lens4j.app;

import dev.lens4j.tensor.Shapes;
import dev.lens4j.transformer.HookShape;
import dev.lens4j.transformer.HookedTransformer;
import dev.lens4j.transformer.loading.Models;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

class InspectCommandTest {

    /** The hook-point rows of the output: name and shape, as printed. */
    private static List<String> hookRows(CommandRun run) {
        List<String> lines = run.outLines();
        int header = lines.indexOf(lines.stream().filter(l -> l.startsWith("hook point")).findFirst().orElseThrow());
        return lines.subList(header + 2, lines.size() - 1).stream().map(l -> l.replaceAll("\\s{2,}", " ")).toList();
    }

    private static List<String> expectedRows(Path dir, int batch, int pos) throws Exception {
        try (HookedTransformer model = Models.fromPretrained(dir)) {
            return model.hookPoints(batch, pos).stream().map((HookShape h) -> h.name() + " " + Shapes.str(h.shape())).toList();
        }
    }

    @Test
    void listsEveryHookPointOfAnAttentionOnlyModelWithItsShape() throws Exception {
        CommandRun run = CommandRun.of("inspect", "--model", TestModels.induction().toString(), "--pos", "7");
        assertThat(run.status()).as(run.toString()).isZero();
        assertThat(hookRows(run)).containsExactlyElementsOf(expectedRows(TestModels.induction(), 1, 7));
        assertThat(run.out()).contains("Hook points, shapes for batch 1 and pos 7")
                .contains("blocks.1.attn.hook_pattern      [1, 4, 7, 7]")
                .containsPattern("n_layers\\s+2\n").containsPattern("d_model\\s+64\n").containsPattern("n_ctx\\s+48\n")
                .containsPattern("kind\\s+word-level").containsPattern("vocab size\\s+64\n")
                .containsPattern("BOS\\s+0 \"<\\|bos\\|>\"")
                .containsPattern("parameters\\s+44,992 \\(W_U untied\\)\n")
                .endsWith("26 of 26 hook points\n");
        assertThat(run.err()).isEmpty();
    }

    @Test
    void listsTheMlpAndLayerNormHooksOfAHuggingFaceGpt2Folder() throws Exception {
        CommandRun run = CommandRun.of("inspect", "--model", TestModels.TINY_GPT2.toString(), "--batch", "2");
        assertThat(run.status()).as(run.toString()).isZero();
        // default pos: the model's n_ctx (24)
        assertThat(hookRows(run)).containsExactlyElementsOf(expectedRows(TestModels.TINY_GPT2, 2, 24));
        assertThat(run.out()).contains("blocks.0.mlp.hook_post").contains("blocks.1.ln2.hook_scale")
                .containsPattern("kind\\s+none \\(no tokenizer.json, .* --prompt cannot be tokenized")
                // transformers' num_parameters(); before, "32,805 as loaded (29,472 from the config ...)"
                .containsPattern("parameters\\s+29,472 \\(W_U tied to W_E, counted once\\)\n")
                // named by its config's model type, not by its folder "hf"
                .startsWith("Model gpt2\n");
    }

    @Test
    void namesFilterKeepsTheMatchingHookPoints() throws Exception {
        CommandRun run = CommandRun.of("inspect", "--model", TestModels.induction().toString(), "--names", "hook_pattern$", "--pos", "5");
        assertThat(run.status()).as(run.toString()).isZero();
        assertThat(hookRows(run)).containsExactly("blocks.0.attn.hook_pattern [1, 4, 5, 5]", "blocks.1.attn.hook_pattern [1, 4, 5, 5]");
        assertThat(run.out()).endsWith("2 of 26 hook points match /hook_pattern$/\n");
    }

    /**
     * Every key-value line (model, config and tokenizer) has its value in the same column, as far right as
     * the longest config key needs: Llama's rope-scaling keys (NTK_by_parts_high_freq_factor) are longer
     * than the 26 characters that fit most families, and stuck out past the column.
     */
    @Test
    void valuesStartInOneColumnPastTheLongestKey() {
        Path llama = Path.of("../transformer/src/test/resources/reference/families/llama/hf");
        CommandRun run = CommandRun.of("inspect", "--model", llama.toString());
        assertThat(run.status()).as(run.toString()).isZero();
        List<String> lines = run.outLines();
        int hooks = lines.indexOf(lines.stream().filter(l -> l.startsWith("Hook points")).findFirst().orElseThrow());
        List<String> kv = lines.subList(0, hooks).stream().filter(l -> l.startsWith("  ")).toList();
        assertThat(kv).as(run.toString()).hasSizeGreaterThan(30)
                .anyMatch(l -> l.startsWith("  NTK_by_parts_high_freq_factor  4.0"));
        Pattern keyThenValue = Pattern.compile("^ {2}\\S+(?: \\S+)* {2,}(?=\\S)");
        Set<Integer> columns = new TreeSet<>();
        for (String l : kv) {
            Matcher m = keyThenValue.matcher(l);
            assertThat(m.find()).as(l).isTrue();
            columns.add(m.end());
        }
        assertThat(columns).as(run.toString()).containsExactly("  NTK_by_parts_high_freq_factor  ".length());

        // a family whose keys fit keeps the usual column
        CommandRun small = CommandRun.of("inspect", "--model", TestModels.induction().toString());
        assertThat(small.out()).contains("\n  n_layers                    2\n")
                .contains("\n  source                      /");
    }
}
