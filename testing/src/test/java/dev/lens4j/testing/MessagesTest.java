package dev.lens4j.testing;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class MessagesTest {

    @Test
    void numbersHaveThreeSignificantDigits() {
        assertThat(Messages.num(0.5)).isEqualTo("0.500");
        assertThat(Messages.num(2.314)).isEqualTo("2.31");
        assertThat(Messages.num(4.02)).isEqualTo("4.02");
        assertThat(Messages.num(0.03214)).isEqualTo("0.0321");
        assertThat(Messages.num(12.345)).isEqualTo("12.3");
        assertThat(Messages.num(999.4)).isEqualTo("999");
        assertThat(Messages.num(1234.5)).isEqualTo("1235");
        assertThat(Messages.num(0)).isEqualTo("0.00");
        assertThat(Messages.num(-1.2)).isEqualTo("-1.20");
        assertThat(Messages.num(2.47e-5)).isEqualTo("2.47e-05");
        assertThat(Messages.num(Double.NaN)).isEqualTo("NaN");
    }

    @Test
    void signedNumbers() {
        assertThat(Messages.signed(0.312)).isEqualTo("+0.312");
        assertThat(Messages.signed(0)).isEqualTo("+0.00");
        assertThat(Messages.signed(-1.2)).isEqualTo("-1.20");
    }

    @Test
    void ordinals() {
        assertThat(Messages.ordinal(1)).isEqualTo("1st");
        assertThat(Messages.ordinal(2)).isEqualTo("2nd");
        assertThat(Messages.ordinal(3)).isEqualTo("3rd");
        assertThat(Messages.ordinal(4)).isEqualTo("4th");
        assertThat(Messages.ordinal(11)).isEqualTo("11th");
        assertThat(Messages.ordinal(12)).isEqualTo("12th");
        assertThat(Messages.ordinal(13)).isEqualTo("13th");
        assertThat(Messages.ordinal(21)).isEqualTo("21st");
        assertThat(Messages.ordinal(102)).isEqualTo("102nd");
        assertThat(Messages.ordinal(113)).isEqualTo("113th");
    }

    @Test
    void headsAndBounds() {
        assertThat(new Head(1, 2).label()).isEqualTo("L1H2");
        assertThat(Head.parse("L11H10")).isEqualTo(new Head(11, 10));
        assertThat(LensAssertions.atLeast(1).toString()).isEqualTo("at least 1.00");
        assertThat(LensAssertions.atMost(0.1).toString()).isEqualTo("at most 0.100");
        assertThat(LensAssertions.between(0.5, 2).toString()).isEqualTo("between 0.500 and 2.00");
        assertThat(LensAssertions.atLeast(1).accepts(1)).isTrue();
        assertThat(LensAssertions.atLeast(1).accepts(0.999)).isFalse();
        assertThat(LensAssertions.atMost(1).accepts(Double.NaN)).isFalse();
        assertThat(LensAssertions.between(0.5, 2).accepts(2)).isTrue();
    }
}
