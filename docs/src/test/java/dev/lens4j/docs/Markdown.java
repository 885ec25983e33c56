package dev.lens4j.docs;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The checked parts of a Markdown page: fenced Java blocks under a snippet marker, and numbers
 * between value markers.
 *
 * <pre>
 * &lt;!-- snippet: load-model --&gt;
 * ```java
 * ...the tagged region of the examples...
 * ```
 * The loss falls to &lt;!--v:second-copy-loss--&gt;0.31&lt;!--/v--&gt; nats.
 * </pre>
 */
final class Markdown {

    static final Pattern SNIPPET = Pattern.compile("^<!--\\s*snippet:\\s*([A-Za-z0-9_.-]+)\\s*-->\\s*$");
    static final Pattern VALUE = Pattern.compile("<!--v:([A-Za-z0-9_.-]+)-->(.*?)<!--/v-->");

    /**
     * A fenced code block.
     *
     * @param snippet the snippet marker's name, or null when the block has none
     * @param language the fence's info string, e.g. {@code java}
     * @param fenceLine the 0-based index of the opening fence
     * @param closeLine the 0-based index of the closing fence
     * @param lines the block's content
     */
    record Block(String snippet, String language, int fenceLine, int closeLine, List<String> lines) {}

    /**
     * A marked value.
     *
     * @param name the value's name
     * @param text the text shown
     * @param line the 0-based line it is on
     */
    record Value(String name, String text, int line) {}

    private Markdown() {}

    /** Every fenced block of a page, with the snippet marker on the line before it if there is one. */
    static List<Block> blocks(List<String> lines) {
        List<Block> out = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            String l = lines.get(i);
            if (!l.startsWith("```")) {
                continue;
            }
            String lang = l.substring(3).strip();
            int close = i + 1;
            while (close < lines.size() && !lines.get(close).startsWith("```")) {
                close++;
            }
            if (close == lines.size()) {
                throw new IllegalArgumentException("line " + (i + 1) + ": code block is not closed");
            }
            String snippet = null;
            if (i > 0) {
                Matcher m = SNIPPET.matcher(lines.get(i - 1));
                if (m.matches()) {
                    snippet = m.group(1);
                }
            }
            out.add(new Block(snippet, lang, i, close, List.copyOf(lines.subList(i + 1, close))));
            i = close;
        }
        return out;
    }

    /** Every snippet marker that is not directly followed by a fenced block (a mistake). */
    static List<Integer> danglingMarkers(List<String> lines) {
        List<Integer> out = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            if (SNIPPET.matcher(lines.get(i)).matches() && (i + 1 >= lines.size() || !lines.get(i + 1).startsWith("```"))) {
                out.add(i);
            }
        }
        return out;
    }

    /** Every marked value of a page. */
    static List<Value> values(List<String> lines) {
        List<Value> out = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            Matcher m = VALUE.matcher(lines.get(i));
            while (m.find()) {
                out.add(new Value(m.group(1), m.group(2), i));
            }
        }
        return out;
    }

    /**
     * A unified-diff-like comparison of two texts, line by line (longest common subsequence).
     *
     * @return lines prefixed {@code "  "}, {@code "- "} (only in {@code before}) or {@code "+ "} (only in {@code after})
     */
    static List<String> diff(List<String> before, List<String> after) {
        int n = before.size(), m = after.size();
        int[][] lcs = new int[n + 1][m + 1];
        for (int i = n - 1; i >= 0; i--) {
            for (int j = m - 1; j >= 0; j--) {
                lcs[i][j] = before.get(i).equals(after.get(j)) ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
            }
        }
        List<String> out = new ArrayList<>();
        int i = 0, j = 0;
        while (i < n || j < m) {
            if (i < n && j < m && before.get(i).equals(after.get(j))) {
                out.add("  " + before.get(i++));
                j++;
            } else if (i < n && (j == m || lcs[i + 1][j] >= lcs[i][j + 1])) {
                out.add("- " + before.get(i++));
            } else {
                out.add("+ " + after.get(j++));
            }
        }
        return out;
    }
}
