package dev.lens4j.tensor;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * {@link Tensor#einsum}: the common subset of {@code torch.einsum} and {@code einops.einsum}.
 *
 * <p>Two spellings: PyTorch's letters ({@code "bij,bjk->bik"}, any of a-z and A-Z, with an implicit
 * output when there is no {@code ->}: the letters that occur once, in alphabetical order) and einops's
 * space-separated names ({@code "batch pos d_model, d_model d_vocab -> batch pos d_vocab"}, which needs
 * the {@code ->}). An equation is read as names as soon as an operand or the output holds a space.
 *
 * <p>How it is computed: a dimension repeated within one operand becomes its diagonal; dimensions that
 * occur in only one operand and not in the output are summed there; then operands are combined left to
 * right, each pair as one batched {@link Tensor#matmul} over {@code [batch, kept-left, summed] x
 * [batch, summed, kept-right]}; finally the result is permuted into the output's order. No product of
 * all dimensions is ever materialised.
 *
 * <p>Not supported, each refused by name: the ellipsis {@code ...}, broadcasting of size-1
 * dimensions, a name repeated in the output, an output name no operand has, and parentheses
 * (einops's grouping).
 */
final class Einsum {

    private Einsum() {}

    /** One operand: its tensor and the name of each of its dimensions. */
    private record Term(Tensor t, List<String> names) {}

    static Tensor compute(String equation, Tensor... operands) {
        if (equation == null) {
            throw new IllegalArgumentException("einsum: the equation is null");
        }
        if (operands == null || operands.length == 0) {
            throw new IllegalArgumentException("einsum \"" + equation + "\": needs at least one operand");
        }
        if (equation.contains("...") || equation.contains("\u2026")) {
            throw new IllegalArgumentException("einsum \"" + equation + "\": the ellipsis '...' is not supported; name every dimension");
        }
        if (equation.contains("(") || equation.contains(")")) {
            throw new IllegalArgumentException("einsum \"" + equation + "\": parentheses (einops's grouped dimensions) are not supported; "
                    + "reshape the operands first");
        }
        int arrow = equation.indexOf("->");
        String lhs = arrow < 0 ? equation : equation.substring(0, arrow);
        String rhs = arrow < 0 ? null : equation.substring(arrow + 2);
        if (rhs != null && rhs.contains("->")) {
            throw new IllegalArgumentException("einsum \"" + equation + "\": more than one '->'");
        }
        String[] specs = lhs.split(",", -1);
        boolean named = rhs != null && rhs.strip().contains(" ");
        for (String s : specs) {
            named |= s.strip().contains(" ");
        }
        if (specs.length != operands.length) {
            throw new IllegalArgumentException("einsum \"" + equation + "\": the equation has " + specs.length + " operand"
                    + (specs.length == 1 ? "" : "s") + " but " + operands.length + " tensor" + (operands.length == 1 ? " was" : "s were") + " given");
        }
        List<Term> terms = new ArrayList<>();
        Map<String, Integer> sizes = new HashMap<>();
        Map<String, Integer> count = new TreeMap<>(); // sorted: the implicit output is alphabetical
        for (int i = 0; i < specs.length; i++) {
            List<String> names = parse(specs[i], named, equation, "operand " + i);
            Tensor t = operands[i];
            if (t == null) {
                throw new IllegalArgumentException("einsum \"" + equation + "\": operand " + i + " is null");
            }
            if (names.size() != t.rank()) {
                throw new IllegalArgumentException("einsum \"" + equation + "\": operand " + i + " \"" + specs[i].strip() + "\" names "
                        + names.size() + " dimensions but the tensor has shape " + Shapes.str(t.shape()));
            }
            for (int d = 0; d < names.size(); d++) {
                String n = names.get(d);
                Integer known = sizes.putIfAbsent(n, t.dim(d));
                if (known != null && known != t.dim(d)) {
                    throw new IllegalArgumentException("einsum \"" + equation + "\": dimension '" + n + "' has size " + known
                            + " in one place and " + t.dim(d) + " in operand " + i + " (shape " + Shapes.str(t.shape())
                            + "); einsum here does not broadcast");
                }
                count.merge(n, 1, Integer::sum);
            }
            terms.add(new Term(t, names));
        }
        List<String> output;
        if (rhs == null) {
            if (named) {
                throw new IllegalArgumentException("einsum \"" + equation + "\": an equation of named dimensions needs '->' and the output's names");
            }
            output = new ArrayList<>();
            count.forEach((n, c) -> {
                if (c == 1) {
                    output.add(n);
                }
            });
        } else {
            output = parse(rhs, named, equation, "the output");
            for (int i = 0; i < output.size(); i++) {
                String n = output.get(i);
                if (output.indexOf(n) != i) {
                    throw new IllegalArgumentException("einsum \"" + equation + "\": the output names '" + n + "' twice");
                }
                if (!sizes.containsKey(n)) {
                    throw new IllegalArgumentException("einsum \"" + equation + "\": the output's '" + n + "' is in no operand");
                }
            }
        }

        // Within each operand: take diagonals of repeated names, then sum names nobody else needs.
        for (int i = 0; i < terms.size(); i++) {
            terms.set(i, reduceAlone(terms.get(i), i, terms, output));
        }
        Term acc = terms.get(0);
        for (int i = 1; i < terms.size(); i++) {
            acc = contract(acc, terms.get(i), needed(terms.subList(i + 1, terms.size()), output));
        }
        // A single operand may still hold names that are not in the output (they were needed by no one).
        acc = sumOut(acc, output);
        int[] order = new int[output.size()];
        for (int d = 0; d < order.length; d++) {
            order[d] = acc.names().indexOf(output.get(d));
        }
        return acc.t().permute(order).contiguous();
    }

    private static List<String> parse(String spec, boolean named, String equation, String what) {
        String s = spec.strip();
        List<String> names = new ArrayList<>();
        if (named) {
            if (!s.isEmpty()) {
                for (String n : s.split("\\s+")) {
                    if (!n.matches("[A-Za-z_][A-Za-z0-9_]*")) {
                        throw new IllegalArgumentException("einsum \"" + equation + "\": " + what + " has the name '" + n
                                + "'; a dimension name is a letter or '_' followed by letters, digits or '_'");
                    }
                    names.add(n);
                }
            }
            return names;
        }
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))) {
                throw new IllegalArgumentException("einsum \"" + equation + "\": " + what + " \"" + s + "\" has '" + c
                        + "'; dimensions are single letters a-z, A-Z (or space-separated names)");
            }
            names.add(String.valueOf(c));
        }
        return names;
    }

    /** Names that terms after the current pair, or the output, still need. */
    private static List<String> needed(List<Term> later, List<String> output) {
        List<String> keep = new ArrayList<>(output);
        for (Term t : later) {
            keep.addAll(t.names());
        }
        return keep;
    }

    private static Term reduceAlone(Term term, int index, List<Term> terms, List<String> output) {
        Tensor t = term.t();
        List<String> names = new ArrayList<>(term.names());
        // repeated names within one operand: keep the diagonal ("ii->i")
        for (int d = 0; d < names.size(); d++) {
            int again = names.subList(d + 1, names.size()).indexOf(names.get(d));
            if (again >= 0) {
                int e = d + 1 + again;
                t = t.diagonal(0, d, e);                  // removes d and e, appends the diagonal last
                String n = names.get(d);
                names.remove(e);
                names.remove(d);
                names.add(n);
                d = -1;                                   // start over: indices moved
            }
        }
        List<String> others = new ArrayList<>(output);
        for (int j = 0; j < terms.size(); j++) {
            if (j != index) {
                others.addAll(terms.get(j).names());
            }
        }
        return sumOut(new Term(t, names), others);
    }

    /** Sums every dimension whose name is not in {@code keep}. */
    private static Term sumOut(Term term, List<String> keep) {
        Tensor t = term.t();
        List<String> names = new ArrayList<>(term.names());
        for (int d = names.size() - 1; d >= 0; d--) {
            if (!keep.contains(names.get(d))) {
                t = t.sum(d, false);
                names.remove(d);
            }
        }
        return new Term(t, names);
    }

    /** One pair as a batched matmul: {@code [batch, left, summed] x [batch, summed, right]}. */
    private static Term contract(Term a0, Term b0, List<String> keep) {
        // a name only one side has and no one needs is summed on that side first
        Term a = sumOut(a0, concat(keep, b0.names()));
        Term b = sumOut(b0, concat(keep, a.names()));
        List<String> batch = new ArrayList<>();
        List<String> summed = new ArrayList<>();
        List<String> left = new ArrayList<>();
        List<String> right = new ArrayList<>();
        for (String n : a.names()) {
            if (b.names().contains(n)) {
                (keep.contains(n) ? batch : summed).add(n);
            } else {
                left.add(n);
            }
        }
        for (String n : b.names()) {
            if (!a.names().contains(n)) {
                right.add(n);
            }
        }
        Map<String, Integer> size = new LinkedHashMap<>();
        for (Term t : List.of(a, b)) {
            for (int d = 0; d < t.names().size(); d++) {
                size.put(t.names().get(d), t.t().dim(d));
            }
        }
        Tensor x = arrange(a, concat(batch, left, summed));
        Tensor y = arrange(b, concat(batch, summed, right));
        int nb = product(batch, size);
        int m = product(left, size);
        int k = product(summed, size);
        int n = product(right, size);
        Tensor z = x.reshape(nb, m, k).matmul(y.reshape(nb, k, n));
        List<String> names = concat(batch, left, right);
        int[] shape = new int[names.size()];
        for (int d = 0; d < shape.length; d++) {
            shape[d] = size.get(names.get(d));
        }
        return new Term(z.reshape(shape), names);
    }

    private static Tensor arrange(Term t, List<String> order) {
        int[] perm = new int[order.size()];
        for (int d = 0; d < perm.length; d++) {
            perm[d] = t.names().indexOf(order.get(d));
        }
        return t.t().permute(perm);
    }

    @SafeVarargs
    private static List<String> concat(List<String>... parts) {
        List<String> out = new ArrayList<>();
        Arrays.stream(parts).forEach(out::addAll);
        return out;
    }

    private static int product(List<String> names, Map<String, Integer> size) {
        long p = 1;
        for (String n : names) {
            p *= size.get(n);
        }
        if (p > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("einsum: the dimensions " + names + " hold more than 2^31-1 elements together");
        }
        return (int) p;
    }
}
