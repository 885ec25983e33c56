package dev.lens4j.report;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A plain-text table for terminals: aligned columns, units in the headers, numbers right-aligned,
 * an optional title. Library code only builds the string; the caller prints it.
 *
 * <pre>{@code
 * ConsoleTable t = new ConsoleTable("Head ablation")
 *         .text("head")
 *         .number("loss change", "nats", 3);
 * t.row("L1H2", 2.3141);
 * t.row("L0H1", -0.05);
 * t.render();
 * // Head ablation
 * // head  loss change (nats)
 * // ----  ------------------
 * // L1H2              +2.314
 * // L0H1              -0.050
 * }</pre>
 *
 * <p>Right-aligned numbers with the same decimals line up by their decimal points; signed columns
 * also show {@code +} (for changes). NaN prints as {@code n/a}. Cells may also be strings, which a
 * number column right-aligns as given.
 */
public final class ConsoleTable {

    private record Column(String header, boolean number, int decimals, boolean signed) {}

    private final String title;
    private final List<Column> columns = new ArrayList<>();
    private final List<Object[]> rows = new ArrayList<>();

    /**
     * Creates the console table.
     *
     * @param title a title printed above the table, or null for none
     */
    public ConsoleTable(String title) {
        this.title = title;
    }

    /**
     * Adds a left-aligned text column.
     *
     * @param header the header
     * @return this table
     */
    public ConsoleTable text(String header) {
        columns.add(new Column(header, false, 0, false));
        return this;
    }

    /**
     * Adds a right-aligned number column.
     *
     * @param header the header
     * @param unit the unit shown in the header as {@code "header (unit)"}, or null for none
     * @param decimals decimals shown
     * @return this table
     */
    public ConsoleTable number(String header, String unit, int decimals) {
        columns.add(new Column(withUnit(header, unit), true, decimals, false));
        return this;
    }

    /**
     * Adds a right-aligned number column that always shows the sign, for changes and differences.
     *
     * @param header the header
     * @param unit the unit shown in the header as {@code "header (unit)"}, or null for none
     * @param decimals decimals shown
     * @return this table
     */
    public ConsoleTable signedNumber(String header, String unit, int decimals) {
        columns.add(new Column(withUnit(header, unit), true, decimals, true));
        return this;
    }

    private static String withUnit(String header, String unit) {
        return unit == null || unit.isEmpty() ? header : header + " (" + unit + ")";
    }

    /**
     * Adds a row.
     *
     * @param cells one cell per column: numbers for number columns (or preformatted strings), any object for text
     * @return this table
     * @throws IllegalArgumentException if the row has the wrong number of cells
     */
    public ConsoleTable row(Object... cells) {
        if (cells.length != columns.size()) {
            throw new IllegalArgumentException("table row has " + Plural.of(cells.length, "cell") + " but the table has "
                    + Plural.of(columns.size(), "column"));
        }
        rows.add(cells.clone());
        return this;
    }

    /**
     * Returns the number of rows added.
     *
     * @return the number of rows added
     */
    public int rowCount() {
        return rows.size();
    }

    /**
     * Renders the table: the title line, a header line, a rule of dashes under each header, then the
     * rows; columns are separated by two spaces and no line has trailing spaces.
     *
     * @return the table, every line ending in a newline
     */
    public String render() {
        int nc = columns.size();
        String[][] cells = new String[rows.size()][nc];
        int[] width = new int[nc];
        for (int c = 0; c < nc; c++) {
            Column col = columns.get(c);
            width[c] = col.header().length();
            for (int r = 0; r < rows.size(); r++) {
                cells[r][c] = format(rows.get(r)[c], col);
                width[c] = Math.max(width[c], cells[r][c].length());
            }
        }
        StringBuilder b = new StringBuilder();
        if (title != null && !title.isEmpty()) {
            b.append(title).append('\n');
        }
        String[] header = new String[nc];
        String[] rule = new String[nc];
        for (int c = 0; c < nc; c++) {
            header[c] = columns.get(c).header();
            rule[c] = "-".repeat(width[c]);
        }
        line(b, header, width);
        line(b, rule, width);
        for (String[] r : cells) {
            line(b, r, width);
        }
        return b.toString();
    }

    private void line(StringBuilder b, String[] cells, int[] width) {
        StringBuilder l = new StringBuilder();
        for (int c = 0; c < cells.length; c++) {
            if (c > 0) {
                l.append("  ");
            }
            String s = cells[c];
            int pad = width[c] - s.length();
            if (columns.get(c).number()) {
                l.append(" ".repeat(pad)).append(s);
            } else {
                l.append(s).append(" ".repeat(pad));
            }
        }
        int end = l.length();
        while (end > 0 && l.charAt(end - 1) == ' ') {
            end--;
        }
        b.append(l, 0, end).append('\n');
    }

    private static String format(Object v, Column col) {
        boolean signed = col.signed();
        if (v == null) {
            return "";
        }
        if (col.number() && v instanceof Number n) {
            if (n instanceof Integer || n instanceof Long) {
                return String.format(Locale.ROOT, signed ? "%+,d" : "%,d", n.longValue());
            }
            double d = n.doubleValue();
            if (Double.isNaN(d)) {
                return "n/a";
            }
            String s = String.format(Locale.ROOT, (signed ? "%+." : "%.") + col.decimals() + "f", d);
            // "-0.000" reads as a real negative; show the zero it is.
            return s.matches("[-+]0\\.?0*") ? (signed ? "+" : "") + s.substring(1) : s;
        }
        return String.valueOf(v);
    }
}
