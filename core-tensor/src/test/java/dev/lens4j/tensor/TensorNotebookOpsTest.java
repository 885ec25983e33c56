package dev.lens4j.tensor;

import dev.lens4j.tensor.internal.Json;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * topk, argsort, diagonal, einsum and the printing against real PyTorch 2.13 and einops: the values in
 * reference/tensor-ops/tensor-ops.json were made by tools/reference/make_tensor_ops_fixtures.py.
 */
class TensorNotebookOpsTest {

    private static final Map<String, Object> REF = load();

    private static Map<String, Object> load() {
        try (InputStream in = TensorNotebookOpsTest.class.getResourceAsStream("/reference/tensor-ops/tensor-ops.json")) {
            return Json.parseObject(new String(in.readAllBytes(), StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> cases(String op) {
        List<Map<String, Object>> cs = (List<Map<String, Object>>) REF.get(op);
        assertThat(cs).as(op + " cases").isNotEmpty();
        return cs;
    }

    private static float value(Object o) {
        if (o instanceof String s) {
            return switch (s) {
                case "nan" -> Float.NaN;
                case "inf" -> Float.POSITIVE_INFINITY;
                case "-inf" -> Float.NEGATIVE_INFINITY;
                case "-0.0" -> -0.0f;
                default -> throw new IllegalArgumentException(s);
            };
        }
        return ((Number) o).floatValue();
    }

    @SuppressWarnings("unchecked")
    private static Tensor tensor(Object encoded) {
        Map<String, Object> m = (Map<String, Object>) encoded;
        int[] shape = ((List<Object>) m.get("shape")).stream().mapToInt(o -> ((Number) o).intValue()).toArray();
        List<Object> data = (List<Object>) m.get("data");
        float[] f = new float[data.size()];
        for (int i = 0; i < f.length; i++) {
            f[i] = value(data.get(i));
        }
        return Tensor.of(f, shape);
    }

    private static int integer(Map<String, Object> c, String key) {
        return ((Number) c.get(key)).intValue();
    }

    /** Same shape and bit-identical values (NaN equal to NaN, -0.0 and 0.0 told apart only by the printing tests). */
    private static void assertSame(Tensor actual, Tensor expected, String what) {
        assertThat(actual.shape()).as(what + " shape").containsExactly(expected.shape());
        assertThat(actual.toArray()).as(what).containsExactly(expected.toArray());
    }

    @Test
    void topkMatchesTorch() {
        for (Map<String, Object> c : cases("topk")) {
            String name = (String) c.get("name");
            Tensor x = tensor(c.get("input"));
            Tensor.TopK got = x.topk(integer(c, "k"), integer(c, "dim"), (Boolean) c.get("largest"), true);
            assertSame(got.values(), tensor(c.get("values")), name + " values");
            if (c.containsKey("ties")) {
                // torch's order among equal values is unspecified; lens4j takes the lower index first
                assertThat(got.indexArray()).as(name + " indices").containsExactly(1, 2, 3, 0);
                assertThat(tensor(c.get("indices")).toArray()).as("torch's own indices of the ties").containsExactly(1, 3, 2, 0);
            } else {
                assertSame(got.indices(), tensor(c.get("indices")), name + " indices");
            }
        }
    }

    @Test
    void topkUnsortedKeepsTheSameEntriesInIndexOrder() {
        Tensor x = Tensor.of(new float[] {3, 9, 1, 7, 5, 8}, 2, 3);
        Tensor.TopK t = x.topk(2, 1, true, false);
        assertThat(t.indices().toArray()).containsExactly(0, 1, 0, 2);
        assertThat(t.values().toArray()).containsExactly(3, 9, 7, 8);
        assertThat(x.topk(1).indices().shape()).containsExactly(2, 1);
        assertThatThrownBy(() -> x.topk(4)).hasMessageContaining("k = 4").hasMessageContaining("[2, 3]");
    }

    @Test
    void argsortMatchesTorchStable() {
        for (Map<String, Object> c : cases("argsort")) {
            String name = (String) c.get("name");
            Tensor got = tensor(c.get("input")).argsort(integer(c, "dim"), (Boolean) c.get("descending"));
            assertSame(got, tensor(c.get("indices")), name);
        }
    }

    @Test
    void argsortOfAStridedViewSortsTheViewsValues() {
        Tensor x = Tensor.of(new float[] {5, 0, 4, 1, 3, 2}, 3, 2).transpose(0, 1);   // [[5, 4, 3], [0, 1, 2]]
        assertThat(x.argsort().toArray()).containsExactly(2, 1, 0, 0, 1, 2);
        assertThat(x.argsort(0, false).toArray()).containsExactly(1, 1, 1, 0, 0, 0);
    }

    @Test
    void diagonalMatchesTorchAndIsAView() {
        for (Map<String, Object> c : cases("diagonal")) {
            String name = (String) c.get("name");
            Tensor x = tensor(c.get("input"));
            if ((Boolean) c.get("transpose_last_two")) {
                x = x.transpose(-2, -1);
            }
            Tensor d = x.diagonal(integer(c, "offset"), integer(c, "dim1"), integer(c, "dim2"));
            assertSame(d, tensor(c.get("output")), name);
            assertThat(d.sharesStorageWith(x)).as(name + " is a view").isTrue();
        }
        Tensor m = Tensor.arange(9).reshape(3, 3);
        m.diagonal(1, 0, 1).set(-1f, 1);
        assertThat(m.get(1, 2)).as("a write to the diagonal reaches the matrix").isEqualTo(-1f);
        assertThatThrownBy(() -> m.diagonal(0, 1, -1)).hasMessageContaining("dim1 and dim2");
    }

    @Test
    void einsumMatchesTorchAndEinops() {
        for (Map<String, Object> c : cases("einsum")) {
            String name = (String) c.get("name");
            @SuppressWarnings("unchecked")
            List<Object> ops = (List<Object>) c.get("operands");
            Tensor[] operands = ops.stream().map(TensorNotebookOpsTest::tensor).toArray(Tensor[]::new);
            Tensor got = Tensor.einsum((String) c.get("equation"), operands);
            Tensor want = tensor(c.get("output"));
            assertThat(got.shape()).as(name + " shape").containsExactly(want.shape());
            // float32 sums in another order than torch's: a few units in the last place
            assertThat(got.allClose(want, 1e-5f, 1e-5f)).as(name + ": max difference " + got.maxAbsDiff(want)).isTrue();
        }
    }

    @Test
    void einsumAgreesWithMatmulAndPermute() {
        Tensor a = Tensor.randn(1, 2, 3, 5);
        Tensor b = Tensor.randn(2, 2, 5, 4);
        assertThat(Tensor.einsum("bij,bjk->bik", a, b).maxAbsDiff(a.matmul(b))).isZero();
        assertThat(Tensor.einsum("bij->jbi", a).toArray()).containsExactly(a.permute(2, 0, 1).toArray());
    }

    @Test
    void einsumRefusesWhatItDoesNotSupportByName() {
        Tensor m = Tensor.randn(3, 2, 2);
        assertThatThrownBy(() -> Tensor.einsum("...ij->...ji", m)).hasMessageContaining("ellipsis");
        assertThatThrownBy(() -> Tensor.einsum("(a b) c -> a b c", m)).hasMessageContaining("parentheses");
        assertThatThrownBy(() -> Tensor.einsum("ij,jk->ik", m)).hasMessageContaining("2 operands but 1 tensor was given");
        assertThatThrownBy(() -> Tensor.einsum("ijk->ij", m)).hasMessageContaining("names 3 dimensions").hasMessageContaining("[2, 2]");
        assertThatThrownBy(() -> Tensor.einsum("ij->ii", m)).hasMessageContaining("names 'i' twice");
        assertThatThrownBy(() -> Tensor.einsum("ij->ik", m)).hasMessageContaining("'k' is in no operand");
        assertThatThrownBy(() -> Tensor.einsum("ij,jk->ik", m, Tensor.randn(4, 3, 2)))
                .hasMessageContaining("dimension 'j' has size 2").hasMessageContaining("does not broadcast");
        assertThatThrownBy(() -> Tensor.einsum("i1->i", m)).hasMessageContaining("'1'");
        assertThatThrownBy(() -> Tensor.einsum("a b, b c", m, m)).hasMessageContaining("needs '->'");
    }

    private static Tensor series(Map<?, ?> s) {
        int n = ((Number) s.get("n")).intValue();
        double scale = ((Number) s.get("scale")).doubleValue();
        float[] f = new float[n];
        for (int i = 0; i < n; i++) {
            f[i] = (float) (((i * 7919L) % 1001 - 500) / 64.0 * scale); // exact: a power-of-two scale
        }
        return Tensor.of(f, n);
    }

    @Test
    void toStringPrintsLikeTorch() {
        for (Map<String, Object> c : cases("print")) {
            String name = (String) c.get("name");
            @SuppressWarnings("unchecked")
            int[] shape = ((List<Object>) c.get("shape")).stream().mapToInt(o -> ((Number) o).intValue()).toArray();
            Tensor t = c.containsKey("series") ? series((Map<?, ?>) c.get("series")).reshape(shape) : tensor(c.get("input"));
            if (shape.length == 0) {
                t = t.reshape();
            }
            assertThat(t.toString()).as(name).isEqualTo(c.get("expected"));
        }
    }

    @Test
    void toStringOfViewsAndMappedStorageReadsTheViewedValues() {
        Tensor x = Tensor.of(new float[] {1, 2, 3, 4, 5, 6}, 2, 3);
        assertThat(x.transpose(0, 1).toString()).isEqualTo("tensor([[1., 4.],\n        [2., 5.],\n        [3., 6.]], shape=[3, 2])");
        assertThat(x.select(1, 2).toString()).isEqualTo("tensor([3., 6.], shape=[2])");
        assertThat(Tensor.scalar(0.5f).toString()).isEqualTo("tensor(0.5000, shape=[])");
    }

    @Test
    void toStringOfAHugeTensorReadsOnlyTheEdges() {
        // [48, 50257] (GPT-2 logits of one sequence): printing must not walk 2.4 million values
        Tensor big = Tensor.zeros(1, 48, 50257);
        big.set(1.5f, 0, 47, 50256);
        String row = "[0.0000, 0.0000, 0.0000,  ..., 0.0000, 0.0000, 0.0000]";
        String sep = ",\n" + " ".repeat(9);
        // torch 2.13's repr of the same tensor, with the shape suffix on its own line (it does not fit on the last)
        String torch = "tensor([[" + String.join(sep, row, row, row, "...", row, row, row.replace("0.0000]", "1.5000]")) + "]]";
        assertThat(big.toString()).isEqualTo(torch + ",\n       shape=[1, 48, 50257])");
    }

    @Test
    void formatterRoundsTheExactValueHalfToEven() {
        // 0.03125 and 0.09375 are exact binary ties at four decimals: half to even, as Python rounds
        assertThat(TensorPrinter.Formatter.fixed(0.03125)).isEqualTo("0.0312");
        assertThat(TensorPrinter.Formatter.fixed(0.09375)).isEqualTo("0.0938");
        assertThat(TensorPrinter.Formatter.fixed(-0.00001)).isEqualTo("-0.0000");
        assertThat(TensorPrinter.Formatter.scientific(9.99995e-7)).isEqualTo("1.0000e-06");
        assertThat(TensorPrinter.Formatter.scientific(1e100)).isEqualTo("1.0000e+100");
        assertThat(TensorPrinter.Formatter.whole(-0.0)).isEqualTo("-0");
        List<Double> vs = new ArrayList<>(Arrays.asList(1.0, 2.0));
        assertThat(new TensorPrinter.Formatter(vs).format(2.0)).isEqualTo("2.");
    }
}
