package dev.lens4j.analysis.attribution;

import dev.lens4j.hooks.ActivationCache;
import dev.lens4j.hooks.Slice;
import dev.lens4j.tensor.Tensor;
import dev.lens4j.tensor.internal.Json;
import dev.lens4j.transformer.HookedTransformer;
import dev.lens4j.transformer.loading.Models;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@code logitAttrs} with position and batch slices against TransformerLens 2.18's
 * {@code cache.logit_attrs(..., pos_slice, batch_slice)} on the shipped induction-2l model (reference
 * made by tools/reference/make_tl_notebook_fixtures.py; see reference/induction-2l-tl/README.md).
 */
class LogitAttrsSlicesTest {

    private static HookedTransformer model;
    private static Map<String, Object> ref;
    private static ComponentStack heads;
    private static DirectLogitAttribution dla;

    @BeforeAll
    static void run() throws IOException {
        try (InputStream in = LogitAttrsSlicesTest.class.getResourceAsStream("/reference/induction-2l-tl/logit-attrs.json")) {
            ref = Json.parseObject(new String(in.readAllBytes(), StandardCharsets.UTF_8));
        }
        model = Models.fromPretrained("induction-2l");
        ActivationCache cache = model.runWithCache(ints2(ref.get("tokens"))).cache();
        ResidualStream stream = ResidualStream.of(model, cache);
        heads = stream.stackHeadResults(-1, false, false);
        dla = new DirectLogitAttribution(stream);
    }

    @AfterAll
    static void close() {
        model.close();
    }

    @SuppressWarnings("unchecked")
    private static int[][] ints2(Object o) {
        return ((List<Object>) o).stream().map(r -> ((List<Object>) r).stream().mapToInt(x -> ((Number) x).intValue()).toArray())
                .toArray(int[][]::new);
    }

    /** A TL token argument ([b][p], [b], [p] or a scalar) as lens4j's [selected batch][selected pos]. */
    @SuppressWarnings("unchecked")
    private static int[][] grid(Object tokens, Slice pos, Slice batch) {
        if (tokens == null) {
            return null;
        }
        if (tokens instanceof Number n) {
            return new int[][] {{n.intValue()}};
        }
        List<Object> l = (List<Object>) tokens;
        if (l.get(0) instanceof List) {
            return ints2(tokens);
        }
        int[] flat = l.stream().mapToInt(x -> ((Number) x).intValue()).toArray();
        if (pos.removesDimension()) {        // [batch]: one position per sequence
            int[][] g = new int[flat.length][];
            for (int i = 0; i < flat.length; i++) {
                g[i] = new int[] {flat[i]};
            }
            return g;
        }
        assertThat(batch.removesDimension()).isTrue();
        return new int[][] {flat};           // [pos] of one sequence
    }

    /** The fixture's description of a TL SliceInput: None, an int, a tuple (start, stop[, step]) or a list. */
    @SuppressWarnings("unchecked")
    private static Slice slice(Object o) {
        Map<String, Object> m = (Map<String, Object>) o;
        return switch ((String) m.get("mode")) {
            case "identity" -> Slice.all();
            case "int" -> Slice.index(((Number) m.get("index")).intValue());
            case "range" -> {
                int[] a = ((List<Object>) m.get("args")).stream().mapToInt(x -> ((Number) x).intValue()).toArray();
                yield a.length == 3 ? Slice.range(a[0], a[1], a[2]) : Slice.range(a[0], a[1]);
            }
            case "array" -> Slice.list(((List<Object>) m.get("indices")).stream().mapToInt(x -> ((Number) x).intValue()).toArray());
            default -> throw new IllegalArgumentException("slice " + m);
        };
    }

    @Test
    void slicedAttributionsMatchTransformerLens() {
        assertThat(heads.labels()).isEqualTo(ref.get("labels"));
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> cases = (List<Map<String, Object>>) ref.get("cases");
        assertThat(cases).hasSize(6);
        for (Map<String, Object> c : cases) {
            String name = (String) c.get("name");
            Slice pos = slice(c.get("pos_slice"));
            Slice batch = slice(c.get("batch_slice"));
            ComponentStack got = dla.logitAttrs(heads, grid(c.get("tokens"), pos, batch), grid(c.get("incorrect_tokens"), pos, batch), pos, batch);
            @SuppressWarnings("unchecked")
            Map<String, Object> out = (Map<String, Object>) c.get("output");
            int[] shape = ((List<Object>) out.get("shape")).stream().mapToInt(x -> ((Number) x).intValue()).toArray();
            @SuppressWarnings("unchecked")
            List<Object> data = (List<Object>) out.get("data");
            float[] want = new float[data.size()];
            for (int i = 0; i < want.length; i++) {
                want[i] = ((Number) data.get(i)).floatValue();
            }
            Tensor expected = Tensor.of(want, shape);
            assertThat(got.values().shape()).as(name + " " + pos + " " + batch).containsExactly(shape);
            assertThat(got.values().allClose(expected, 1e-4f, 1e-4f)).as(name + ": max difference " + got.values().maxAbsDiff(expected)).isTrue();
            assertThat(got.labels()).isEqualTo(heads.labels());
        }
    }

    @Test
    void slicedAttributionsAreEntriesOfTheFullGrid() {
        int[][] tokens = ints2(ref.get("tokens"));
        ComponentStack full = dla.logitAttrs(heads, tokens, null);            // [component, batch, pos]
        int[][] two = {{tokens[2][5], tokens[2][6]}, {tokens[0][5], tokens[0][6]}};
        ComponentStack part = dla.logitAttrs(heads, two, null, Slice.range(5, 7), Slice.list(2, 0));
        assertThat(part.values().shape()).containsExactly(8, 2, 2);
        for (int c = 0; c < 8; c++) {
            assertThat(part.values().get(c, 0, 1)).isEqualTo(full.values().get(c, 2, 6));
            assertThat(part.values().get(c, 1, 0)).isEqualTo(full.values().get(c, 0, 5));
        }
        // a single position and a single sequence remove both dimensions
        assertThat(dla.logitAttrs(heads, new int[][] {{7}}, null, Slice.index(-1), Slice.index(1)).values().shape()).containsExactly(8);
    }

    @Test
    void tokensOfTheWrongShapeAndSlicesOutsideTheRunAreNamed() {
        assertThatThrownBy(() -> dla.logitAttrs(heads, new int[][] {{1, 2}}, null, Slice.range(0, 3), Slice.index(0)))
                .hasMessageContaining("tokens row 0 has 2 entries, expected 3");
        assertThatThrownBy(() -> dla.logitAttrs(heads, new int[][] {{1}}, null, Slice.index(40), Slice.index(0)))
                .hasMessageContaining("Slice[40]").hasMessageContaining("length 19");
    }
}
