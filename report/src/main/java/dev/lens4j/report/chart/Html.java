package dev.lens4j.report.chart;

/** Escaping of text for HTML and SVG content and attribute values. */
public final class Html {

    private Html() {}

    /**
     * Escapes {@code & < > " '} so the text can go in element content or a quoted attribute value,
     * and shows control characters other than tab, newline and carriage return as their Unicode control
     * pictures ({@code U+2400} to {@code U+241F}, {@code U+2421} for DEL): XML (SVG) forbids them, and
     * a byte-fallback token such as Llama 2's or Gemma's {@code <0x00>} is one.
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
                case '\t', '\n', '\r' -> null;
                default -> c < 0x20 ? String.valueOf((char) (0x2400 + c)) : c == 0x7F ? "\u2421" : null;
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
