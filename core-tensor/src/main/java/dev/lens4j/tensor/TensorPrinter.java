package dev.lens4j.tensor;

import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.List;

/**
 * {@link Tensor#toString()}: PyTorch's printing of a float tensor ({@code torch/_tensor_str.py} with
 * the default print options: precision 4, threshold 1000, 3 edge items, line width 80), followed by a
 * {@code shape=[...]} suffix placed as PyTorch places its own suffixes.
 *
 * <p>As in PyTorch: one number format for the whole tensor, chosen from its non-zero finite values
 * (whole numbers as {@code 1.}, otherwise 4 decimals, or scientific notation when the largest is over
 * 1000 times the smallest, above 1e8 or below 1e-4), right-aligned to one width; a tensor of more than
 * 1000 elements shows the first and last 3 entries of each dimension around {@code ...}; rows wrap at
 * 80 characters. Numbers are rounded from their exact binary value, half to even, as Python does.
 */
final class TensorPrinter {

    private static final int PRECISION = 4;
    private static final int THRESHOLD = 1000;
    private static final int EDGE_ITEMS = 3;
    private static final int LINE_WIDTH = 80;
    private static final String PREFIX = "tensor(";

    private TensorPrinter() {}

    static String print(Tensor t) {
        int indent = PREFIX.length();
        String body;
        if (t.size() == 0) {
            body = "[]";
        } else {
            boolean summarize = t.size() > THRESHOLD;
            List<Double> shown = new ArrayList<>();
            collect(t, summarize, shown);
            Formatter f = new Formatter(shown);
            body = render(t, indent, summarize, f);
        }
        return addSuffix(PREFIX + body, "shape=" + Shapes.str(t.shape()), indent);
    }

    /** The values that will be printed (all of them, or the edge items when summarising): PyTorch's get_summarized_data. */
    private static void collect(Tensor t, boolean summarize, List<Double> out) {
        if (t.rank() == 0) {
            out.add((double) t.item());
            return;
        }
        int n = t.dim(0);
        for (int i : shownIndices(n, summarize)) {
            if (t.rank() == 1) {
                out.add((double) t.get(i));
            } else {
                collect(t.select(0, i), summarize, out);
            }
        }
    }

    /** The indices of one dimension that are printed; {@code -1} marks the {@code ...}. */
    private static int[] shownIndices(int n, boolean summarize) {
        if (summarize && n > 2 * EDGE_ITEMS) {
            int[] idx = new int[2 * EDGE_ITEMS + 1];
            for (int i = 0; i < EDGE_ITEMS; i++) {
                idx[i] = i;
                idx[EDGE_ITEMS + 1 + i] = n - EDGE_ITEMS + i;
            }
            idx[EDGE_ITEMS] = -1;
            return idx;
        }
        int[] idx = new int[n];
        for (int i = 0; i < n; i++) {
            idx[i] = i;
        }
        return idx;
    }

    private static String render(Tensor t, int indent, boolean summarize, Formatter f) {
        int rank = t.rank();
        if (rank == 0) {
            return f.format(t.item());
        }
        if (rank == 1) {
            return vector(t, indent, summarize, f);
        }
        List<String> slices = new ArrayList<>();
        for (int i : shownIndices(t.dim(0), summarize)) {
            slices.add(i < 0 ? "..." : render(t.select(0, i), indent + 1, summarize, f));
        }
        String sep = "," + "\n".repeat(rank - 1) + " ".repeat(indent + 1);
        return "[" + String.join(sep, slices) + "]";
    }

    private static String vector(Tensor t, int indent, boolean summarize, Formatter f) {
        int elementLength = f.width() + 2;
        int perLine = Math.max(1, (LINE_WIDTH - indent) / elementLength);
        List<String> data = new ArrayList<>();
        for (int i : shownIndices(t.dim(0), summarize)) {
            data.add(i < 0 ? " ..." : f.format(t.get(i)));
        }
        StringBuilder b = new StringBuilder("[");
        for (int i = 0; i < data.size(); i++) {
            if (i > 0) {
                b.append(i % perLine == 0 ? ",\n" + " ".repeat(indent + 1) : ", ");
            }
            b.append(data.get(i));
        }
        return b.append(']').toString();
    }

    /** PyTorch's _add_suffixes for one suffix: on the last line if it fits in the line width, else on a new line. */
    private static String addSuffix(String s, String suffix, int indent) {
        int lastLineLength = s.length() - s.lastIndexOf('\n') + 1;
        if (lastLineLength + suffix.length() + 2 > LINE_WIDTH) {
            return s + ",\n" + " ".repeat(indent) + suffix + ")";
        }
        return s + ", " + suffix + ")";
    }

    /** PyTorch's _Formatter for floating-point tensors. */
    static final class Formatter {
        private boolean intMode = true;
        private boolean sciMode;
        private int maxWidth = 1;

        Formatter(List<Double> values) {
            double min = Double.POSITIVE_INFINITY;
            double max = 0;
            boolean any = false;
            for (double v : values) {
                if (Double.isFinite(v) && v != 0) {
                    any = true;
                    min = Math.min(min, Math.abs(v));
                    max = Math.max(max, Math.abs(v));
                    if (v != Math.ceil(v)) {
                        intMode = false;
                    }
                }
            }
            if (!any) {
                return; // nothing but zeros, NaN and infinities: whole-number format, width 1
            }
            sciMode = max / min > 1000.0 || max > 1.0e8 || min < 1.0e-4;
            for (double v : values) {
                if (Double.isFinite(v) && v != 0) {
                    int w = sciMode ? scientific(v).length() : intMode ? whole(v).length() + 1 : fixed(v).length();
                    maxWidth = Math.max(maxWidth, w);
                }
            }
        }

        int width() {
            return maxWidth;
        }

        String format(double v) {
            String s;
            if (sciMode) {
                s = scientific(v);
            } else if (intMode) {
                s = whole(v) + (Double.isFinite(v) ? "." : "");
            } else {
                s = fixed(v);
            }
            return " ".repeat(Math.max(0, maxWidth - s.length())) + s;
        }

        /** Python's {@code f"{v:.0f}"}. */
        static String whole(double v) {
            return special(v) != null ? special(v) : signed(v, new BigDecimal(v).setScale(0, RoundingMode.HALF_EVEN).toPlainString());
        }

        /** Python's {@code "{:.4f}".format(v)}: the exact value rounded half to even. */
        static String fixed(double v) {
            return special(v) != null ? special(v) : signed(v, new BigDecimal(v).setScale(PRECISION, RoundingMode.HALF_EVEN).toPlainString());
        }

        /** Python's {@code "{:.4e}".format(v)}: {@code d.dddde+XX}, the exponent with a sign and at least two digits. */
        static String scientific(double v) {
            if (special(v) != null) {
                return special(v);
            }
            String digits;
            int exponent;
            if (v == 0) {
                digits = "0".repeat(PRECISION + 1);
                exponent = 0;
            } else {
                BigDecimal r = new BigDecimal(Math.abs(v)).round(new MathContext(PRECISION + 1, RoundingMode.HALF_EVEN));
                digits = r.unscaledValue().toString();
                exponent = digits.length() - 1 - r.scale();
                digits = (digits + "0".repeat(PRECISION + 1)).substring(0, PRECISION + 1); // 1E+1 has one digit
            }
            String e = Integer.toString(Math.abs(exponent));
            String mantissa = digits.charAt(0) + "." + digits.substring(1);
            return (isNegative(v) ? "-" : "") + mantissa + "e" + (exponent < 0 ? "-" : "+") + (e.length() < 2 ? "0" + e : e);
        }

        private static String special(double v) {
            if (Double.isNaN(v)) {
                return "nan";
            }
            if (Double.isInfinite(v)) {
                return v > 0 ? "inf" : "-inf";
            }
            return null;
        }

        /** Python keeps the sign of a negative number that rounds to zero, and of -0.0. */
        private static String signed(double v, String rounded) {
            return isNegative(v) && !rounded.startsWith("-") ? "-" + rounded : rounded;
        }

        private static boolean isNegative(double v) {
            return v < 0 || (v == 0 && 1 / v < 0);
        }
    }
}
