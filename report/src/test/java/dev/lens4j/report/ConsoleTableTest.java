package dev.lens4j.report;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ConsoleTableTest {

    @Test
    void alignsTextLeftAndNumbersRight() {
        String s = new ConsoleTable("Head ablation")
                .text("head")
                .signedNumber("loss change", "nats", 3)
                .row("L1H2", 2.3141)
                .row("L0H1", -0.05)
                .row("L10H11", 0.0)
                .render();
        assertThat(s).isEqualTo("""
                Head ablation
                head    loss change (nats)
                ------  ------------------
                L1H2                +2.314
                L0H1                -0.050
                L10H11              +0.000
                """);
    }

    @Test
    void plainNumbersLineUpWithNegatives() {
        String s = new ConsoleTable(null).text("h").number("score", null, 2).row("a", -0.19).row("b", 0.93).row("c", -0.0001).render();
        assertThat(s).isEqualTo("""
                h  score
                -  -----
                a  -0.19
                b   0.93
                c   0.00
                """);
    }

    @Test
    void wideCellsWidenColumns() {
        String s = new ConsoleTable(null)
                .text("name")
                .number("n", null, 1)
                .number("count", null, 0)
                .row("a", 12345.678, 7)
                .row("bb", Double.NaN, 1234567L)
                .row("ccc", "-", 0)
                .render();
        assertThat(s).isEqualTo("""
                name        n      count
                ----  -------  ---------
                a     12345.7          7
                bb        n/a  1,234,567
                ccc         -          0
                """);
    }

    @Test
    void noTrailingSpaces() {
        String s = new ConsoleTable("t").text("long header").text("x").row("a", "").render();
        for (String line : s.split("\n")) {
            assertThat(line).doesNotEndWith(" ");
        }
        assertThat(s).isEqualTo("t\nlong header  x\n-----------  -\na\n");
    }

    @Test
    void rowsMustFitTheColumns() {
        ConsoleTable t = new ConsoleTable(null).text("a").text("b");
        assertThatThrownBy(() -> t.row("only one")).hasMessageContaining("1 cell but the table has 2 columns");
    }
}
