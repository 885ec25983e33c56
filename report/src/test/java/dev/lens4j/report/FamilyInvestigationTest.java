package dev.lens4j.report;

import dev.lens4j.transformer.HookedTransformer;
import dev.lens4j.transformer.PositionalEmbedding;
import dev.lens4j.transformer.loading.Models;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The investigation on every family's tiny random checkpoint (the transformer module's fixtures, with
 * their tokenizers): it runs to the end and writes its report, and since random weights hold no
 * induction circuit, no claim comes out "supported": each is "not supported" or "not applicable". With
 * rotary positions the positional claim is not applicable because there is no positional QK circuit,
 * whatever the other evidence, and the report says so in place of the positional scores. Tokens that
 * are control characters (byte-fallback tokens such as {@code <0x00>} of the SentencePiece-style
 * tokenizers) print escaped, never raw, in the console and in the HTML.
 */
class FamilyInvestigationTest {

    private static final Path FAMILIES = Path.of("../transformer/src/test/resources/reference/families");

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"gpt2", "gpt_neox", "llama", "llama-untied", "mistral", "qwen2", "qwen3", "gemma", "gemma2", "phi3"})
    void aRandomCheckpointSupportsNoClaim(String family, @TempDir Path out) throws IOException {
        try (HookedTransformer model = Models.fromPretrained(FAMILIES.resolve(family).resolve("hf"))) {
            InductionInvestigation.Options options = InductionInvestigation.Options.defaultsFor(model.config());
            ReportData r = InductionInvestigation.run(model, family, options, InductionInvestigation.Progress.none());
            List<Claim> claims = r.claims();
            assertThat(claims).as(family + " claims").hasSizeGreaterThanOrEqualTo(9);
            assertThat(claims).as(family + ": random weights support no claim").extracting(Claim::verdict)
                    .doesNotContain(Verdict.SUPPORTED);
            Claim positional = claims.stream().filter(c -> c.statement().contains("positional embeddings alone")).findFirst().orElseThrow();
            boolean rotary = model.config().positionalEmbedding() == PositionalEmbedding.ROTARY;
            if (rotary) {
                assertThat(positional.verdict()).isEqualTo(Verdict.NOT_APPLICABLE);
                assertThat(positional.numbers()).contains("rotary positions").contains("no W_pos");
                assertThat(r.qkOv().previousTokenScore()).isNull();
                assertThat(r.qkOv().previousTokenScoreNote()).contains("rotary positions");
            } else {
                assertThat(r.qkOv().previousTokenScore()).isNotNull();
            }
            // the DLA caption names the model's own final norm: RMSNorm for the Llama-style families
            String norm = model.config().normalization().centers() ? "LayerNorm" : "RMSNorm";
            assertThat(r.dla().metric()).as(family + " DLA caption").contains("after the final " + norm + "'s scale");
            String console = ConsoleReport.render(r);
            String name = model.config().modelName(); // the config's model type, e.g. "llama"
            assertThat(console).contains(rotary ? "Positional previous-token scores (QK circuit): not applicable: model " + name
                    + " has rotary positions" : "Positional previous-token scores (QK circuit, 0 to 1)");
            assertNoControlCharacters(family + " console report", console);
            List<Path> files = ReportWriter.writeAll(r, out);
            String html = Files.readString(files.getFirst());
            assertNoControlCharacters(family + " report.html", html);
            if (rotary) {
                assertThat(html).contains("Positional previous-token score: not applicable: model " + name + " has rotary positions");
            }
            // the JSON inside the report reads back to the same claims
            assertThat(ReportJson.read(ReportJson.write(r)).claims()).isEqualTo(claims);
        }
    }

    private static void assertNoControlCharacters(String what, String text) {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            assertThat(c < 0x20 && c != '\n' && c != '\t' && c != '\r' || c == 0x7F)
                    .as(what + ": control character U+%04X at %d", (int) c, i).isFalse();
        }
    }
}
