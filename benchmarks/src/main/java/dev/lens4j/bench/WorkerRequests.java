package dev.lens4j.bench;

import java.util.HashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The requests of the long-lived benchmark workers ({@link GemmWorker}, {@link ForwardWorker}): one
 * flat JSON object per line, whose string, number and boolean fields are all a worker reads (the
 * Python coordinators write nothing nested).
 */
final class WorkerRequests {

    private static final Pattern FIELD = Pattern.compile("\"(\\w+)\"\\s*:\\s*(\"[^\"]*\"|[-0-9.eE+]+|true|false)");

    private WorkerRequests() {}

    /**
     * @param json one request line, e.g. {@code {"op": "forward", "batch": 1, "pos": 128}}
     * @return its fields, string values without their quotes
     */
    static Map<String, String> parse(String json) {
        Map<String, String> m = new HashMap<>();
        Matcher x = FIELD.matcher(json);
        while (x.find()) {
            String v = x.group(2);
            m.put(x.group(1), v.startsWith("\"") ? v.substring(1, v.length() - 1) : v);
        }
        return m;
    }
}
