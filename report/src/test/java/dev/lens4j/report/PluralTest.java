package dev.lens4j.report;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class PluralTest {

    @Test
    void singularOnlyForOne() {
        assertThat(Plural.of(1, "token")).isEqualTo("1 token");
        assertThat(Plural.of(0, "token")).isEqualTo("0 tokens");
        assertThat(Plural.of(2, "hook point")).isEqualTo("2 hook points");
        assertThat(Plural.of(-1, "step")).isEqualTo("-1 steps");
        assertThat(Plural.of(1_000_000, "thread")).isEqualTo("1000000 threads");
        assertThat(Plural.of(1, "query", "queries")).isEqualTo("1 query");
        assertThat(Plural.of(3, "query", "queries")).isEqualTo("3 queries");
    }
}
