package dev.lens4j.tensor.internal;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** Distances worked out by hand. */
class EditDistanceTest {

    @Test
    void insertionsDeletionsSubstitutionsAndSwapsOfNeighboursCountOneEach() {
        assertThat(EditDistance.of("kitten", "sitting")).isEqualTo(3); // k->s, e->i, +g
        assertThat(EditDistance.of("abc", "abc")).isZero();
        assertThat(EditDistance.of("", "abc")).isEqualTo(3);
        assertThat(EditDistance.of("abc", "")).isEqualTo(3);
        assertThat(EditDistance.of("promt", "prompt")).isEqualTo(1);
        assertThat(EditDistance.of("atteniton", "attention")).isEqualTo(1); // one swap, not two substitutions
        assertThat(EditDistance.of("ca", "abc")).isEqualTo(3); // optimal string alignment: no edit of a swapped pair
    }

    @Test
    void atMostGivesUpPastTheLimit() {
        assertThat(EditDistance.atMost("kitten", "sitting", 5)).isEqualTo(3);
        assertThat(EditDistance.atMost("abcdef", "uvwxyz", 2)).isEqualTo(3);
        assertThat(EditDistance.atMost("a", "abcdef", 2)).isEqualTo(3); // by the lengths alone
    }
}
