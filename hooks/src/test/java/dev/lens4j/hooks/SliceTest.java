package dev.lens4j.hooks;

import dev.lens4j.tensor.Tensor;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Slice against Python's slicing of {@code list(range(10))} (values computed with python3) and TransformerLens's modes. */
class SliceTest {

    @Test
    void rangesFollowPythonIncludingClippingAndNegativeBounds() {
        assertThat(Slice.range(2, 100).indices(10)).containsExactly(2, 3, 4, 5, 6, 7, 8, 9);   // r[2:100]
        assertThat(Slice.from(-3).indices(10)).containsExactly(7, 8, 9);                      // r[-3:]
        assertThat(Slice.range(5, 2).indices(10)).isEmpty();                                   // r[5:2]
        assertThat(Slice.range(1, 9, 3).indices(10)).containsExactly(1, 4, 7);                 // r[1:9:3]
        assertThat(Slice.range(-100, 3).indices(10)).containsExactly(0, 1, 2);                 // r[-100:3]
        assertThat(Slice.to(-7).indices(10)).containsExactly(0, 1, 2);                         // r[:-7]
        assertThat(Slice.range(7, -1, 2).indices(10)).containsExactly(7);                      // r[7:-1:2]
        assertThat(Slice.all().indices(4)).containsExactly(0, 1, 2, 3);
        assertThat(Slice.index(-1).indices(4)).containsExactly(3);
        assertThat(Slice.list(3, -4, 3).indices(4)).containsExactly(3, 0, 3);
    }

    @Test
    void applySelectsAlongOneDimensionAndOnlyAnIndexRemovesIt() {
        Tensor t = Tensor.arange(24).reshape(2, 3, 4);
        assertThat(Slice.all().apply(t, 1)).isSameAs(t);
        Tensor last = Slice.index(-1).apply(t, 1);                 // t[:, -1]
        assertThat(last.shape()).containsExactly(2, 4);
        assertThat(last.toArray()).containsExactly(8, 9, 10, 11, 20, 21, 22, 23);
        assertThat(last.sharesStorageWith(t)).isTrue();
        Tensor mid = Slice.range(1, 10).apply(t, -1);              // t[..., 1:10]
        assertThat(mid.shape()).containsExactly(2, 3, 3);
        assertThat(mid.get(1, 2, 0)).isEqualTo(21f);
        Tensor picked = Slice.list(2, 0).apply(t, 1);              // t[:, [2, 0]]
        assertThat(picked.shape()).containsExactly(2, 2, 4);
        assertThat(picked.get(0, 0, 0)).isEqualTo(8f);
        assertThat(picked.get(1, 1, 3)).isEqualTo(15f);
        assertThat(Slice.range(3, 1).apply(t, 2).shape()).containsExactly(2, 3, 0);
        assertThat(Slice.index(0).removesDimension()).isTrue();
        assertThat(Slice.from(-1).removesDimension()).isFalse();
        assertThat(Slice.from(-1).apply(t, 0).shape()).containsExactly(1, 3, 4);
    }

    @Test
    void indicesOutsideTheDimensionAreErrorsThatNameTheSlice() {
        Tensor t = Tensor.zeros(2, 3);
        assertThatThrownBy(() -> Slice.index(3).apply(t, 1)).hasMessageContaining("Slice[3]").hasMessageContaining("length 3");
        assertThatThrownBy(() -> Slice.list(0, -4).apply(t, 1)).hasMessageContaining("Slice[0, -4]").hasMessageContaining("-4");
        assertThatThrownBy(() -> Slice.range(0, 2, 0)).hasMessageContaining("step");
        assertThat(Slice.range(1, 5, 2)).isEqualTo(Slice.range(1, 5, 2)).hasToString("Slice[1:5:2]");
    }
}
