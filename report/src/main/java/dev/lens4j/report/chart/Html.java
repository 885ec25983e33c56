package dev.lens4j.report.chart;

/** Escaping of text for HTML and SVG content and attribute values. */
public final class Html {

    private Html() {}

    /**
     * Escapes {@code & < > " '} so the text can go in element content or a quoted attribute value.
     *
     * @param text the text (null gives "")
     * @return the escaped text
     */
    public static String escape(String text) {
        if (text == null) {
            return "";
        }
        StringBuilder b = null;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            String r = switch (c) {
                case '&' -> "&amp;";
                case '<' -> "&lt;";
                case '>' -> "&gt;";
                case '"' -> "&quot;";
                case '\'' -> "&#39;";
                default -> null;
            };
            if (r != null && b == null) {
                b = new StringBuilder(text.length() + 16).append(text, 0, i);
            }
            if (b != null) {
                if (r != null) {
                    b.append(r);
                } else {
                    b.append(c);
                }
            }
        }
        return b == null ? text : b.toString();
    }

    /**
     * How a token string is shown: newlines and tabs become visible symbols, so that a token of
     * whitespace still has a width.
     *
     * @param token a token string
     * @return its display form
     */
    public static String showToken(String token) {
        return token.replace("\n", "\u21b5").replace("\t", "\u21e5").replace("\r", "");
    }
}
