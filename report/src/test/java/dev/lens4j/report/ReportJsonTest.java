package dev.lens4j.report;

import dev.lens4j.transformer.ParameterCount;
import org.junit.jupiter.api.Test;

import java.util.Comparator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ReportJsonTest {

    /** Equal up to float precision, or to the rounding of attention weights. */
    static final Comparator<Double> CLOSE = (a, b) -> Math.abs(a - b) <= 6e-5 * Math.max(1, Math.abs(a)) ? 0 : Double.compare(a, b);

    @Test
    void roundTripsEverySection() {
        ReportData data = FakeReports.induction();
        ReportData back = ReportJson.read(ReportJson.write(data));
        assertThat(back).usingRecursiveComparison().withComparatorForType(CLOSE, Double.class).isEqualTo(data);
    }

    @Test
    void numbersAreWrittenAtFloatPrecision() {
        ReportData data = FakeReports.induction();
        ReportData back = ReportJson.read(ReportJson.write(data));
        // the shortest decimal of a float reads back as the same float
        assertThat((float) back.loss().firstHalfMean()).isEqualTo((float) data.loss().firstHalfMean());
        assertThat((float) back.composition().k()[0][1][1][2]).isEqualTo((float) data.composition().k()[0][1][1][2]);
        // attention weights keep 4 decimals
        double w = data.attention().heads().get(1).pattern()[5][4];
        assertThat(back.attention().heads().get(1).pattern()[5][4]).isEqualTo(Math.round(w * 1e4) / 1e4,
                org.assertj.core.data.Offset.offset(1e-7));
    }

    @Test
    void roundTripsMissingSections() {
        ModelSummary m = new ModelSummary("tiny", "word", 10, 1, 2, 8, 4, new ParameterCount(100, true), true);
        ReportData data = ReportData.builder("only a model", m).build();
        ReportData back = ReportJson.read(ReportJson.write(data));
        assertThat(back).isEqualTo(data);
        assertThat(back.claims()).isEmpty();
    }

    @Test
    void rejectsUnknownSchema() {
        assertThatThrownBy(() -> ReportJson.read("{\"schema\":99}")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("schema 99");
        assertThatThrownBy(() -> ReportJson.read("{\"schema\":" + ReportJson.SCHEMA + ",\"title\":\"t\"}"))
                .hasMessageContaining("lacks \"model\"");
    }

    @Test
    void nonFiniteCompositionScoresBecomeNull() {
        ReportData data = FakeReports.induction();
        double[][][][] k = data.composition().k();
        k[1][0][0][0] = Double.NaN;
        String json = ReportJson.write(data);
        ReportData back = ReportJson.read(json);
        assertThat(back.composition().k()[1][0][0][0]).isNaN();
        assertThat(json).doesNotContain("NaN").contains("null");
    }
}
