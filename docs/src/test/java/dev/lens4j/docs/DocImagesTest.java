package dev.lens4j.docs;

import dev.lens4j.report.HeadId;
import dev.lens4j.report.InductionInvestigation;
import dev.lens4j.report.ReportData;
import dev.lens4j.report.ReportWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * With {@code -Dlens4j.docs.update=true}, regenerates the pictures in {@code docs/images} from the
 * report module's investigation of the model: {@code loss-by-position.png}, {@code dla.png},
 * {@code composition-k.png}, and the attention patterns of the top previous-token and induction
 * heads under stable names, {@code pattern-previous-token.png} and {@code pattern-induction.png}.
 * (Without it, {@link DocsSnippetsTest} checks that every picture a page shows exists.)
 */
class DocImagesTest {

    /** Report PNG to docs picture, for the plots with fixed names. */
    static final Map<String, String> FIXED = Map.of(
            ReportWriter.LOSS_PNG, "loss-by-position.png",
            ReportWriter.DLA_PNG, "dla.png",
            "composition-k.png", "composition-k.png");

    @Test
    void regeneratePictures(@TempDir Path tmp) throws IOException {
        assumeTrue(DocsCheck.update(), "pictures are regenerated only with -D" + DocsCheck.UPDATE_PROPERTY + "=true");
        DocValuesTest.load();
        try {
            ReportData data = InductionInvestigation.run(DocValuesTest.model, "induction-2l",
                    InductionInvestigation.Options.defaultsFor(DocValuesTest.model.config()), InductionInvestigation.Progress.none());
            ReportWriter.writeAll(data, tmp);
            Path images = DocsCheck.docsDir().resolve("images");
            Files.createDirectories(images);
            for (Map.Entry<String, String> e : FIXED.entrySet()) {
                Files.copy(tmp.resolve(e.getKey()), images.resolve(e.getValue()), StandardCopyOption.REPLACE_EXISTING);
            }
            List<HeadId> key = ReportWriter.keyHeads(data);
            assertThat(key).hasSize(2);
            Files.copy(tmp.resolve(ReportWriter.patternPng(key.get(0))), images.resolve("pattern-previous-token.png"),
                    StandardCopyOption.REPLACE_EXISTING);
            Files.copy(tmp.resolve(ReportWriter.patternPng(key.get(1))), images.resolve("pattern-induction.png"),
                    StandardCopyOption.REPLACE_EXISTING);
        } finally {
            DocValuesTest.close();
        }
    }
}
