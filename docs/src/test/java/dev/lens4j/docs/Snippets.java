package dev.lens4j.docs;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The tagged regions of Java sources and Maven POMs, Asciidoctor style: the lines between
 * {@code // tag::name[]} and {@code // end::name[]} (in XML {@code <!-- tag::name[] -->} and
 * {@code <!-- end::name[] -->}). Regions may nest or overlap; marker lines are never part of a
 * region; a region's common indentation is removed.
 *
 * <p>A Java region that has no import lines of its own carries the imports of its file that it uses
 * (by simple name, outside comments and string literals), so that the docs can show them above the
 * code: a reader who copies a snippet then knows where each type and static method comes from.
 */
final class Snippets {

    private static final Pattern TAG = Pattern.compile("^\\s*(?://|<!--)\\s*tag::([A-Za-z0-9_.-]+)\\[]\\s*(?:-->)?\\s*$");
    private static final Pattern END = Pattern.compile("^\\s*(?://|<!--)\\s*end::([A-Za-z0-9_.-]+)\\[]\\s*(?:-->)?\\s*$");
    private static final Pattern IMPORT = Pattern.compile("^import\\s+(static\\s+)?([\\w.]+?)(\\.\\*)?\\s*;\\s*$");
    private static final Pattern IDENTIFIER = Pattern.compile("[A-Za-z_$][A-Za-z0-9_$]*");

    /**
     * A tagged region.
     *
     * @param name the tag
     * @param source the file it is in
     * @param line the 1-based line of its first code line
     * @param lines its lines, dedented
     * @param imports the import lines of its file that it uses, in the file's order, a blank line
     *     where the file has one between two of them (empty for a region with imports of its own,
     *     and for anything but Java)
     */
    record Snippet(String name, Path source, int line, List<String> lines, List<String> imports) {
        Snippet {
            lines = List.copyOf(lines);
            imports = List.copyOf(imports);
        }

        Snippet(String name, Path source, int line, List<String> lines) {
            this(name, source, line, lines, List.of());
        }

        String text() {
            return String.join("\n", lines);
        }

        /** What the docs show: the imports, a blank line, then the region. */
        List<String> shown() {
            if (imports.isEmpty()) {
                return lines;
            }
            List<String> out = new ArrayList<>(imports);
            out.add("");
            out.addAll(lines);
            return out;
        }
    }

    private Snippets() {}

    /**
     * Every tagged region of the {@code .java} files and {@code pom.xml}s under some folders (not
     * under a {@code target} folder), by tag.
     *
     * @throws IllegalArgumentException for a tag used twice, an end without a start or a start without an end
     */
    static Map<String, Snippet> extract(Path... roots) {
        Map<String, Snippet> out = new LinkedHashMap<>();
        List<Path> files = new ArrayList<>();
        for (Path root : roots) {
            try (Stream<Path> s = Files.walk(root)) {
                s.filter(p -> p.toString().endsWith(".java") || p.getFileName().toString().equals("pom.xml"))
                        .filter(p -> !root.relativize(p).toString().matches("(.*/)?target/.*"))
                        .sorted().forEach(files::add);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot list " + root, e);
            }
        }
        for (Path f : files) {
            List<String> lines;
            try {
                lines = Files.readAllLines(f);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read " + f, e);
            }
            for (Snippet s : extract(f, lines)) {
                Snippet earlier = out.putIfAbsent(s.name(), s);
                if (earlier != null) {
                    throw new IllegalArgumentException("tag '" + s.name() + "' is used twice: " + earlier.source() + ":" + earlier.line()
                            + " and " + s.source() + ":" + s.line());
                }
            }
        }
        return out;
    }

    /** The tagged regions of one file's lines. */
    static List<Snippet> extract(Path file, List<String> lines) {
        boolean java = file.toString().endsWith(".java");
        record Open(String name, int start) {}
        Map<String, Open> open = new LinkedHashMap<>();
        Deque<String> order = new ArrayDeque<>();
        List<Snippet> out = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            Matcher t = TAG.matcher(lines.get(i));
            Matcher e = END.matcher(lines.get(i));
            if (t.matches()) {
                if (open.putIfAbsent(t.group(1), new Open(t.group(1), i + 1)) != null) {
                    throw new IllegalArgumentException(file + ":" + (i + 1) + ": tag '" + t.group(1) + "' opened again before its end");
                }
                order.push(t.group(1));
            } else if (e.matches()) {
                Open o = open.remove(e.group(1));
                if (o == null) {
                    throw new IllegalArgumentException(file + ":" + (i + 1) + ": end::" + e.group(1) + "[] has no tag::" + e.group(1) + "[]");
                }
                order.remove(e.group(1));
                List<String> body = new ArrayList<>();
                for (int j = o.start(); j < i; j++) {
                    String l = lines.get(j);
                    if (!TAG.matcher(l).matches() && !END.matcher(l).matches()) {
                        body.add(l);
                    }
                }
                List<String> region = dedent(body);
                out.add(new Snippet(o.name(), file, o.start() + 1, region, java ? importsUsed(lines, region) : List.of()));
            }
        }
        if (!open.isEmpty()) {
            Open o = open.values().iterator().next();
            throw new IllegalArgumentException(file + ":" + o.start() + ": tag::" + o.name() + "[] has no end::" + o.name() + "[]");
        }
        return out;
    }

    /**
     * The import lines of a Java file that a region uses: an import of {@code a.b.C} (or a static
     * import of {@code a.b.C.m}) when {@code C} (or {@code m}) is an identifier of the region's code,
     * comments and string literals aside; on-demand imports ({@code .*}) always. None when the region
     * has import lines of its own.
     */
    static List<String> importsUsed(List<String> file, List<String> region) {
        if (region.stream().anyMatch(l -> IMPORT.matcher(l.strip()).matches())) {
            return List.of();
        }
        java.util.Set<String> used = new java.util.HashSet<>();
        Matcher id = IDENTIFIER.matcher(code(region));
        while (id.find()) {
            used.add(id.group());
        }
        List<String> out = new ArrayList<>();
        int last = -1; // the file line of the last import kept
        for (int i = 0; i < file.size(); i++) {
            Matcher m = IMPORT.matcher(file.get(i));
            if (!m.matches()) {
                continue;
            }
            String name = m.group(2).substring(m.group(2).lastIndexOf('.') + 1);
            if (m.group(3) == null && !used.contains(name)) {
                continue;
            }
            if (last >= 0 && file.subList(last + 1, i).stream().anyMatch(String::isBlank)) {
                out.add("");   // the file separates these two groups of imports
            }
            out.add(file.get(i).strip());
            last = i;
        }
        return out;
    }

    /** Java source text with comments, string, text-block and character literals blanked out. */
    static String code(List<String> lines) {
        String src = String.join("\n", lines);
        StringBuilder out = new StringBuilder(src.length());
        int i = 0;
        while (i < src.length()) {
            char c = src.charAt(i);
            if (src.startsWith("//", i)) {
                while (i < src.length() && src.charAt(i) != '\n') {
                    i++;
                }
            } else if (src.startsWith("/*", i)) {
                int end = src.indexOf("*/", i + 2);
                i = end < 0 ? src.length() : end + 2;
                out.append(' ');
            } else if (src.startsWith("\"\"\"", i)) {
                int end = src.indexOf("\"\"\"", i + 3);
                i = end < 0 ? src.length() : end + 3;
                out.append(' ');
            } else if (c == '"' || c == '\'') {
                i++;
                while (i < src.length() && src.charAt(i) != c && src.charAt(i) != '\n') {
                    i += src.charAt(i) == '\\' ? 2 : 1;
                }
                i++;
                out.append(' ');
            } else {
                out.append(c);
                i++;
            }
        }
        return out.toString();
    }

    /** Removes the indentation all non-blank lines share, and trailing blanks. */
    static List<String> dedent(List<String> lines) {
        int common = Integer.MAX_VALUE;
        for (String l : lines) {
            if (!l.isBlank()) {
                int n = 0;
                while (n < l.length() && l.charAt(n) == ' ') {
                    n++;
                }
                common = Math.min(common, n);
            }
        }
        List<String> out = new ArrayList<>();
        for (String l : lines) {
            out.add(l.isBlank() ? "" : l.substring(common).stripTrailing());
        }
        while (!out.isEmpty() && out.getLast().isEmpty()) {
            out.removeLast();
        }
        while (!out.isEmpty() && out.getFirst().isEmpty()) {
            out.removeFirst();
        }
        return out;
    }
}
