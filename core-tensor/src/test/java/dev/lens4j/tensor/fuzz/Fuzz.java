package dev.lens4j.tensor.fuzz;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.fail;

/**
 * A small, seeded, bounded fuzzer for lens4j's file readers: each case builds one input from its own
 * random generator (so any case can be rerun alone), runs the reader, and classifies the outcome. A
 * case fails when the reader throws anything but the exceptions it documents, or a documented one
 * whose message does not name the file.
 *
 * <p>System properties: {@code lens4j.fuzz.cases} scales every target's case count (a factor, default
 * 1; CI runs the defaults), {@code lens4j.fuzz.seed} changes the seed (default fixed, so a failure
 * reproduces), {@code lens4j.fuzz.case} runs one case number only, {@code lens4j.fuzz.verbose} lists
 * how many cases ended each way. A failing case's input is written under {@code target/fuzz-failures/}.
 *
 * <p>Mutations are structure-aware where the format has structure (a JSON value replaced, a key
 * removed, a number nudged, offsets of two tensors swapped) and byte-level everywhere (bits flipped,
 * bytes inserted, deleted or duplicated, the file cut), so that cases get past the first checks and
 * reach the deep ones; each target asserts how many distinct outcomes its cases reached.
 */
public final class Fuzz {

    /** The default seed: fixed, so that a failure found in CI reproduces on any machine. */
    public static final long DEFAULT_SEED = 0x1e05_4a11L;

    private Fuzz() {}

    /** One case: builds its input from {@code r}, runs the reader, and returns how it ended. */
    @FunctionalInterface
    public interface Case {
        /**
         * @param r this case's generator
         * @param input receives the bytes of the case's main input, for the failure report
         * @return the outcome's kind, for the statistics (e.g. "ok" or the first words of the message)
         * @throws Throwable when the outcome is not an allowed one
         */
        String run(SplittableRandom r, Input input) throws Throwable;
    }

    /** Where a case records its input and what it did to it, for the failure report. */
    public static final class Input {
        byte[] bytes;
        final List<String> steps = new ArrayList<>();

        /**
         * @param b the case's input as it was given to the reader
         */
        public void bytes(byte[] b) {
            bytes = b;
        }

        /**
         * @param step a mutation applied, in words
         */
        public void step(String step) {
            steps.add(step);
        }
    }

    /**
     * The case count of a target.
     *
     * @param defaultCases the count CI runs
     * @return {@code defaultCases} times {@code lens4j.fuzz.cases} (default 1)
     */
    public static int cases(int defaultCases) {
        double factor = Double.parseDouble(System.getProperty("lens4j.fuzz.cases", "1"));
        return (int) Math.max(1, Math.round(defaultCases * factor));
    }

    /**
     * Runs a target's cases and fails with the first few failing ones (their case numbers, steps and traces).
     *
     * @param target the target's name, for reports and file names
     * @param cases how many cases
     * @param body one case
     * @return how many cases ended each way ({@code "ok"} for the cases that were read)
     */
    public static Map<String, Integer> run(String target, int cases, Case body) {
        long seed = Long.getLong("lens4j.fuzz.seed", DEFAULT_SEED);
        Integer only = Integer.getInteger("lens4j.fuzz.case");
        java.lang.management.ThreadMXBean cpu = java.lang.management.ManagementFactory.getThreadMXBean();
        long wall0 = System.nanoTime();
        long cpu0 = cpu.getCurrentThreadCpuTime();
        Map<String, Integer> outcomes = new TreeMap<>();
        List<String> failures = new ArrayList<>();
        int failed = 0;
        for (int i = 0; i < cases; i++) {
            if (only != null && i != only) {
                continue;
            }
            SplittableRandom r = new SplittableRandom(seed ^ (0x9E37_79B9_7F4A_7C15L * (i + 1)) ^ target.hashCode());
            Input input = new Input();
            try {
                outcomes.merge(body.run(r, input), 1, Integer::sum);
            } catch (Throwable t) {
                failed++;
                if (failures.size() < 5) {
                    failures.add(report(target, i, seed, input, t));
                }
            }
        }
        // The numbers for choosing case counts (docs: the fuzz tests' share of the suite), and what the cases reached.
        System.out.printf(java.util.Locale.ROOT, "fuzz %s: %d cases in %.1f s (%.1f s CPU of this thread), %d distinct "
                        + "outcomes, %d ok%n", target, only == null ? cases : 1, (System.nanoTime() - wall0) * 1e-9,
                (cpu.getCurrentThreadCpuTime() - cpu0) * 1e-9, outcomes.size(), outcomes.getOrDefault("ok", 0));
        if (Boolean.getBoolean("lens4j.fuzz.verbose")) {
            outcomes.forEach((k, v) -> System.out.printf(java.util.Locale.ROOT, "  %6d  %s%n", v, k));
        }
        if (failed > 0) {
            fail(failed + " of " + cases + " " + target + " cases ended in an undocumented way or a message without the "
                    + "file's name; the first:\n\n" + String.join("\n\n", failures));
        }
        return outcomes;
    }

    private static String report(String target, int i, long seed, Input input, Throwable t) {
        String saved = "";
        if (input.bytes != null) {
            try {
                Path dir = Files.createDirectories(Path.of("target", "fuzz-failures"));
                saved = " (input saved as " + Files.write(dir.resolve(target + "-" + i + ".bin"), input.bytes).toAbsolutePath() + ")";
            } catch (IOException e) {
                saved = " (input not saved: " + e.getMessage() + ")";
            }
        }
        StringWriter trace = new StringWriter();
        t.printStackTrace(new PrintWriter(trace));
        String[] lines = trace.toString().split("\n");
        return "case " + i + " (rerun: -Dlens4j.fuzz.case=" + i + " -Dlens4j.fuzz.seed=" + seed + ")" + saved
                + "\n  steps: " + input.steps + "\n  " + String.join("\n  ", java.util.Arrays.copyOf(lines, Math.min(lines.length, 12)));
    }

    /**
     * The kind of an outcome for the statistics: the message with the file's name, quoted names and
     * numbers taken out, cut to a few words.
     *
     * @param file the file's name as the message gives it
     * @param e the exception
     * @return e.g. {@code "SafetensorsFormatException: tensor "": data_offsets [] run past"}
     */
    public static String kind(String file, Throwable e) {
        String m = String.valueOf(e.getMessage()).replace(file, "").replaceAll("\"[^\"]*\"", "\"\"")
                .replaceAll("-?\\d+", "#").replaceAll("^[:\\s]+", "");
        for (String before = null; !m.equals(before); ) {
            before = m;
            m = m.replaceAll("\\[[^\\[\\]]*]", "[]").replaceAll("\\{[^{}]*}", "{}"); // values shown in the message
        }
        String[] words = m.split("\\s+");
        return e.getClass().getSimpleName() + ": " + String.join(" ", java.util.Arrays.copyOf(words, Math.min(words.length, 6)));
    }

    // ------------------------------------------------------------------ byte-level mutations

    /**
     * Applies 1 to 4 byte-level mutations: bits flipped, a byte set to a boundary value, bytes inserted,
     * deleted or duplicated, the end cut off.
     *
     * @param in the bytes (not changed)
     * @param r the generator
     * @param input receives the steps
     * @return the mutated bytes
     */
    public static byte[] mutateBytes(byte[] in, SplittableRandom r, Input input) {
        return mutateBytes(in, 0, in.length, r, input);
    }

    /**
     * Applies 1 to 4 byte-level mutations inside {@code [from, to)} of the bytes (cuts may shorten the whole).
     *
     * @param in the bytes (not changed)
     * @param from first byte that may change
     * @param to one past the last byte that may change
     * @param r the generator
     * @param input receives the steps
     * @return the mutated bytes
     */
    public static byte[] mutateBytes(byte[] in, int from, int to, SplittableRandom r, Input input) {
        byte[] b = in.clone();
        int n = 1 + r.nextInt(4);
        for (int k = 0; k < n; k++) {
            int span = Math.max(1, Math.min(to, b.length) - from);
            int at = Math.min(b.length, from + r.nextInt(span));
            switch (r.nextInt(6)) {
                case 0 -> {
                    if (at < b.length) {
                        int bit = r.nextInt(8);
                        b[at] ^= (byte) (1 << bit);
                        input.step("flip bit " + bit + " of byte " + at);
                    }
                }
                case 1 -> {
                    if (at < b.length) {
                        byte v = (byte) new int[] {0, 0xff, 0x7f, 0x80, '"', '{', ']', ',', '\\', 0xc3}[r.nextInt(10)];
                        b[at] = v;
                        input.step("set byte " + at + " to " + (v & 0xff));
                    }
                }
                case 2 -> {
                    int len = 1 + r.nextInt(8);
                    byte[] ins = new byte[len];
                    r.nextBytes(ins);
                    b = splice(b, at, 0, ins);
                    input.step("insert " + len + " random bytes at " + at);
                }
                case 3 -> {
                    int len = Math.min(b.length - at, 1 + r.nextInt(8));
                    b = splice(b, at, len, new byte[0]);
                    input.step("delete " + len + " bytes at " + at);
                }
                case 4 -> {
                    int len = Math.min(b.length - at, 1 + r.nextInt(16));
                    byte[] dup = java.util.Arrays.copyOfRange(b, at, at + len);
                    b = splice(b, at, 0, dup);
                    input.step("duplicate " + len + " bytes at " + at);
                }
                default -> {
                    b = java.util.Arrays.copyOf(b, at);
                    input.step("cut at " + at);
                }
            }
        }
        return b;
    }

    private static byte[] splice(byte[] b, int at, int remove, byte[] insert) {
        byte[] out = new byte[b.length - remove + insert.length];
        System.arraycopy(b, 0, out, 0, at);
        System.arraycopy(insert, 0, out, at, insert.length);
        System.arraycopy(b, at + remove, out, at + insert.length, b.length - at - remove);
        return out;
    }

    // ------------------------------------------------------------------ JSON values

    /**
     * A JSON value chosen for the edges readers get wrong: boundary integers, huge and tiny floats,
     * empty and odd strings, wrong types, nesting.
     *
     * @param r the generator
     * @return a value as {@link dev.lens4j.tensor.internal.Json} parses them (Long, Double, String, Boolean, null, List, Map)
     */
    public static Object jsonValue(SplittableRandom r) {
        return jsonValue(r, 0);
    }

    private static Object jsonValue(SplittableRandom r, int depth) {
        return switch (r.nextInt(depth > 2 ? 5 : 7)) {
            case 0 -> interestingLong(r);
            case 1 -> new double[] {0.5, -0.0, 1e-5, 1e300, -1e300, 1e-320, 3.4e38, 2.5, 1e-50}[r.nextInt(9)];
            case 2 -> new String[] {"", "a", "F32", "LN", "gpt2", "gelu_new", "\u0000", "../x", "é", "2",
                    "model.safetensors", "none", "\uffff"}[r.nextInt(13)];
            case 3 -> r.nextBoolean();
            case 4 -> null;
            case 5 -> {
                List<Object> l = new ArrayList<>();
                int n = r.nextInt(4);
                for (int k = 0; k < n; k++) {
                    l.add(jsonValue(r, depth + 1));
                }
                yield l;
            }
            default -> {
                Map<String, Object> m = new LinkedHashMap<>();
                int n = r.nextInt(3);
                for (int k = 0; k < n; k++) {
                    m.put("k" + k, jsonValue(r, depth + 1));
                }
                yield m;
            }
        };
    }

    /**
     * An integer near a boundary: 0, 1, -1, small, 2^31 - 1, 2^31, 2^32, 2^53, Long.MAX_VALUE, Long.MIN_VALUE.
     *
     * @param r the generator
     * @return the integer
     */
    public static long interestingLong(SplittableRandom r) {
        return switch (r.nextInt(10)) {
            case 0 -> 0;
            case 1 -> 1;
            case 2 -> -1;
            case 3 -> r.nextInt(100);
            case 4 -> Integer.MAX_VALUE;
            case 5 -> 1L << 31;
            case 6 -> 1L << 32;
            case 7 -> 1L << 53;
            case 8 -> Long.MAX_VALUE;
            default -> Long.MIN_VALUE;
        };
    }

    /**
     * A number near {@code v}: one off, doubled, halved, zero, negated, or a boundary.
     *
     * @param v the number
     * @param r the generator
     * @return the nudged number
     */
    public static long nudge(long v, SplittableRandom r) {
        return switch (r.nextInt(7)) {
            case 0 -> v + 1;
            case 1 -> v - 1;
            case 2 -> v * 2;
            case 3 -> v / 2;
            case 4 -> 0;
            case 5 -> -v;
            default -> interestingLong(r);
        };
    }

    /**
     * Picks one of the values.
     *
     * @param r the generator
     * @param values the values
     * @param <T> their type
     * @return one of them
     */
    @SafeVarargs
    public static <T> T pick(SplittableRandom r, T... values) {
        return values[r.nextInt(values.length)];
    }

    /**
     * Picks one of the list's elements.
     *
     * @param r the generator
     * @param values the values, not empty
     * @param <T> their type
     * @return one of them
     */
    public static <T> T pick(SplittableRandom r, List<T> values) {
        return values.get(r.nextInt(values.size()));
    }
}
