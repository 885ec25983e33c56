package dev.lens4j.report.view;

import dev.lens4j.hooks.ActivationCache;
import dev.lens4j.report.chart.Palette;
import dev.lens4j.tensor.Tensor;
import dev.lens4j.tensor.internal.Json;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/** The views' pages and images, without a browser (ViewsBrowserTest opens the pages in Chromium). */
class ViewsTest {

    static final List<String> TOKENS = List.of("<|bos|>", " moon", " river", " moon", " river");

    /** Three heads over five tokens: head h puts (h + 1) / 10 on BOS and the rest on the previous token. */
    static Tensor patterns() {
        int n = TOKENS.size();
        Tensor p = Tensor.zeros(3, n, n);
        for (int h = 0; h < 3; h++) {
            p.set(1f, h, 0, 0);
            for (int q = 1; q < n; q++) {
                float bos = (h + 1) / 10f;
                p.set(bos, h, q, 0);
                p.set(p.get(h, q, q - 1) + 1 - bos, h, q, q - 1);
            }
        }
        return p;
    }

    private static int count(String s, String regex) {
        Matcher m = Pattern.compile(regex).matcher(s);
        int c = 0;
        while (m.find()) {
            c++;
        }
        return c;
    }

    /** A page is self-contained: no external script, style, image or link. */
    static void assertSelfContained(String html) {
        assertThat(html).startsWith("<!DOCTYPE html>").doesNotContain("http://", "https://", " src=", "<link", "@import");
    }

    private static double inkFraction(BufferedImage img) {
        long ink = 0;
        for (int y = 0; y < img.getHeight(); y++) {
            for (int x = 0; x < img.getWidth(); x++) {
                if ((img.getRGB(x, y) & 0xffffff) != 0xffffff) {
                    ink++;
                }
            }
        }
        return ink / (double) (img.getWidth() * img.getHeight());
    }

    @Test
    @SuppressWarnings("unchecked")
    void attentionHeadsPageHoldsEveryHeadAndItsExactPattern() {
        Tensor p = patterns();
        String html = AttentionHeads.of(p, TOKENS).headLabels(List.of("L0H0", "L0H1", "L0H2")).title("Layer 0").toHtml();
        assertSelfContained(html);
        assertThat(count(html, "<figure class=\"head\"")).isEqualTo(3);
        assertThat(html).contains("data-head=\"L0H2\"", "<title>Layer 0</title>", "aria-pressed=\"true\"");
        assertThat(count(html, "data-token-index=")).isEqualTo(5);
        // the SVG cells' hover tips carry the values of the lower triangle: 15 per head
        assertThat(count(html, "<rect [^>]*data-tip=\"[^\"]*: ")).isEqualTo(3 * 15);
        assertThat(html).contains("data-tip=\" river \u2192  moon: 0.700\"");
        // the script's data is the pattern itself
        String json = html.replaceFirst("(?s).*<script type=\"application/json\" id=\"view-data\">", "").replaceFirst("(?s)</script>.*", "");
        Map<String, Object> data = Json.parseObject(json);
        assertThat(data.get("tokens")).isEqualTo(TOKENS);
        List<Map<String, Object>> heads = (List<Map<String, Object>>) data.get("heads");
        assertThat(heads).extracting(h -> h.get("label")).containsExactly("L0H0", "L0H1", "L0H2");
        List<List<Number>> h1 = (List<List<Number>>) heads.get(1).get("pattern");
        for (int q = 0; q < 5; q++) {
            for (int k = 0; k < 5; k++) {
                assertThat(h1.get(q).get(k).floatValue()).as("[%d, %d]", q, k).isEqualTo(p.get(1, q, k));
            }
        }
    }

    @Test
    void attentionHeadsImageIsAGridOfHeads() {
        AttentionHeads eight = AttentionHeads.of(Tensor.stack(0, patterns(), patterns(), patterns()).reshape(9, 5, 5).slice(0, 0, 8), TOKENS);
        BufferedImage img = eight.toImage();
        BufferedImage one = AttentionHeads.of(patterns().slice(0, 0, 1), TOKENS).toImage();
        // 4 columns and 2 rows of the single head's chart, under one title band of 44 chart units (88 pixels)
        assertThat(img.getWidth()).isCloseTo(4 * one.getWidth(), within(4));
        assertThat(img.getHeight() - 88).isCloseTo(2 * (one.getHeight() - 88), within(4));
        assertThat(inkFraction(img)).isBetween(0.05, 0.9);
    }

    @Test
    void attentionHeadsFromACacheOfOneSequence() {
        ActivationCache.Builder b = ActivationCache.builder(2);
        b.put("blocks.1.attn.hook_pattern", Tensor.stack(0, patterns(), patterns()));   // [batch 2, 3, 5, 5]
        ActivationCache two = b.build();
        assertThatThrownBy(() -> AttentionHeads.of(two, 1, TOKENS)).hasMessageContaining("2 sequences").hasMessageContaining("applySliceToBatchDim");
        AttentionHeads v = AttentionHeads.of(two.applySliceToBatchDim(1), -1, TOKENS);
        assertThat(v.heads()).isEqualTo(3);
        assertThat(v.toHtml()).contains("data-head=\"L1H0\"", "data-head=\"L1H2\"");
        assertThatThrownBy(() -> AttentionHeads.of(Tensor.zeros(1, 3, 5, 5), TOKENS)).hasMessageContaining("[1, 3, 5, 5]")
                .hasMessageContaining("select one sequence");
        assertThatThrownBy(() -> AttentionHeads.of(patterns(), TOKENS.subList(0, 4))).hasMessageContaining("[heads, 4, 4]");
        assertThatThrownBy(() -> AttentionHeads.of(patterns(), TOKENS).headLabels(List.of("a"))).hasMessageContaining("1 head label for 3 heads");
    }

    @Test
    void imshowColoursSignedValuesRedToBlueAboutZero() {
        Tensor m = Tensor.of(new float[] {-2, 0, 1, 2, Float.NaN, 0.5f}, 2, 3);
        String html = Imshow.of(m).rowLabels(List.of("a", "b")).colLabels(List.of("x", "y", "z")).xLabel("cols").title("Signed").toHtml();
        assertSelfContained(html);
        assertThat(count(html, "<rect [^>]*data-tip=")).as("one cell per finite value").isEqualTo(5);
        assertThat(html).contains("fill=\"#67001f\" data-tip=\"a \u2192 x: -2.000\"");   // the most negative: darkest red
        assertThat(html).contains("fill=\"#053061\" data-tip=\"b \u2192 x: 2.000\"");    // the most positive: darkest blue
        assertThat(html).contains("fill=\"#f7f7f7\" data-tip=\"a \u2192 y: 0.000\"");    // zero: white
        assertThat(html).contains(">-2.00</text>", ">2.00</text>", ">cols</text>");       // the colour bar runs -2 .. 2
        String seq = Imshow.of(m.abs()).sequential().toHtml();
        assertThat(seq).contains("fill=\"#08306b\"").doesNotContain("#67001f");
        assertThat(Palette.redBlue(0)).isEqualTo(new java.awt.Color(0xf7f7f7));
    }

    @Test
    void imshowRefusesWhatItCannotDraw() {
        assertThatThrownBy(() -> Imshow.of(Tensor.zeros(2, 2, 2))).hasMessageContaining("[2, 2, 2]").hasMessageContaining("two dimensions");
        assertThatThrownBy(() -> Imshow.of(Tensor.zeros(600, 600))).hasMessageContaining("360000 cells");
        assertThatThrownBy(() -> Imshow.of(Tensor.zeros(2, 3)).rowLabels(List.of("a"))).hasMessageContaining("1 row label for 2 rows");
        assertThat(Imshow.of(Tensor.arange(4)).toHtml()).as("a vector is one row").contains("data-tip=\"0 \u2192 3: 3.000\"");
    }

    @Test
    void linePlotDrawsEachLineWithGapsAtNaN() {
        Tensor y = Tensor.of(new float[] {1, 2, 3, 4, 4, 3, Float.NaN, 1}, 2, 4);
        String html = LinePlot.of(y).names(List.of("up", "down")).x(10, 20, 30, 40).xLabel("step").title("Two").toHtml();
        assertSelfContained(html);
        assertThat(count(html, "<polyline")).as("one for 'up', two runs of 'down' of which one has two points").isEqualTo(2);
        assertThat(count(html, "<circle")).isEqualTo(7);
        assertThat(html).contains("data-tip=\"down, 40: 1.000\"", ">up</text>", ">down</text>", ">step</text>");
        assertThatThrownBy(() -> LinePlot.of(y).x(1, 2)).hasMessageContaining("2 x coordinates for 4 points");
        assertThatThrownBy(() -> LinePlot.of(Tensor.zeros(2, 2, 2))).hasMessageContaining("[2, 2, 2]");
        assertThat(LinePlot.of(1, 4, 9).toHtml()).doesNotContain(">y</text>").contains("<polyline");
    }

    @Test
    void saveWritesHtmlOrPngByExtensionAndNothingElse(@TempDir Path dir) throws Exception {
        View v = Imshow.of(Tensor.randn(1, 4, 6));
        Path html = v.save(dir.resolve("m.html"));
        Path png = v.save(dir.resolve("m.PNG"));
        assertThat(Files.readString(html)).isEqualTo(v.toHtml());
        BufferedImage img = ImageIO.read(png.toFile());
        assertThat(img.getWidth()).isEqualTo(v.toImage().getWidth());
        assertThatThrownBy(() -> v.save(dir.resolve("m.svg"))).hasMessageContaining("m.svg").hasMessageContaining(".html or .png");
        try (var files = Files.list(dir)) {
            assertThat(files.map(p -> p.getFileName().toString()).sorted().toList()).containsExactly("m.PNG", "m.html");
        }
        Path artifacts = Path.of("target", "test-artifacts", "views");
        Files.createDirectories(artifacts);
        AttentionHeads.of(patterns(), TOKENS).save(artifacts.resolve("attention-heads.png"));
        Imshow.of(Tensor.randn(2, 6, 9).sub(0.2f)).title("imshow").save(artifacts.resolve("imshow.png"));
        LinePlot.of(Tensor.randn(3, 2, 30)).names(List.of("a", "b")).title("line").save(artifacts.resolve("line.png"));
    }
}
