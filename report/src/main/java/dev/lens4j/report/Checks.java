package dev.lens4j.report;

/** Argument checks shared by the report records; messages name the field and the shape at fault. */
final class Checks {

    private Checks() {}

    static void finite(String what, double v) {
        if (!Double.isFinite(v)) {
            throw new IllegalArgumentException(what + " must be finite, got " + v);
        }
    }

    static void finite(String what, double[] v) {
        for (int i = 0; i < v.length; i++) {
            if (!Double.isFinite(v[i])) {
                throw new IllegalArgumentException(what + "[" + i + "] must be finite, got " + v[i]);
            }
        }
    }

    /** Checks a {@code [rows, cols]} matrix (rows not null, all the same length). */
    static void matrix(String what, double[][] m, int rows, int cols) {
        if (m == null) {
            throw new IllegalArgumentException(what + " is missing; expected [" + rows + ", " + cols + "]");
        }
        if (m.length != rows) {
            throw new IllegalArgumentException(what + " has " + Plural.of(m.length, "row") + "; expected [" + rows + ", " + cols + "]");
        }
        for (int i = 0; i < rows; i++) {
            if (m[i] == null || m[i].length != cols) {
                throw new IllegalArgumentException(what + " row " + i + " has "
                        + (m[i] == null ? "no entries" : Plural.of(m[i].length, "entry", "entries")) + "; expected [" + rows + ", " + cols + "]");
            }
        }
    }

    static void notNull(String what, Object o) {
        if (o == null) {
            throw new IllegalArgumentException(what + " is missing");
        }
    }
}
