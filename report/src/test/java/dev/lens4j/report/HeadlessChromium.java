package dev.lens4j.report;

import dev.lens4j.tensor.internal.Json;

import java.io.File;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

/**
 * A headless Chromium driven over the DevTools protocol with nothing but the JDK: the browser is
 * started with {@code --remote-debugging-port=0}, its port read from {@code DevToolsActivePort} in a
 * fresh profile folder, and one page target is attached through {@code java.net.http.WebSocket}
 * (flattened sessions). {@link #close()} kills the browser and all its child processes and deletes
 * the profile.
 */
final class HeadlessChromium implements AutoCloseable {

    private static final Duration TIMEOUT = Duration.ofSeconds(20);
    private static final List<String> NAMES = List.of("chromium", "chromium-browser", "google-chrome",
            "google-chrome-stable", "chrome", "headless_shell");

    private final Process process;
    private final Path profile;
    private final WebSocket socket;
    private final AtomicInteger nextId = new AtomicInteger(1);
    private final Map<Integer, CompletableFuture<Map<String, Object>>> pending = new ConcurrentHashMap<>();
    private final List<Map<String, Object>> events = new CopyOnWriteArrayList<>();
    private String session;

    /**
     * Finds a Chromium binary: the {@code lens4j.chromium} system property, the {@code CHROMIUM}
     * environment variable, then the usual names on the PATH.
     */
    static Optional<Path> find() {
        for (String explicit : new String[] {System.getProperty("lens4j.chromium"), System.getenv("CHROMIUM")}) {
            if (explicit != null && !explicit.isBlank() && Files.isExecutable(Path.of(explicit))) {
                return Optional.of(Path.of(explicit));
            }
        }
        String path = System.getenv("PATH");
        if (path == null) {
            return Optional.empty();
        }
        for (String name : NAMES) {
            for (String dir : path.split(File.pathSeparator)) {
                if (dir.isEmpty()) {
                    continue;
                }
                Path p = Path.of(dir, name);
                if (Files.isRegularFile(p) && Files.isExecutable(p)) {
                    return Optional.of(p);
                }
            }
        }
        return Optional.empty();
    }

    HeadlessChromium(Path binary, int width, int height) throws Exception {
        profile = Files.createTempDirectory("lens4j-chromium-");
        process = new ProcessBuilder(binary.toString(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                "--no-first-run", "--no-default-browser-check", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--disable-extensions", "--disable-default-apps",
                "--mute-audio", "--hide-scrollbars", "--window-size=" + width + "," + height,
                "--user-data-dir=" + profile, "--remote-debugging-port=0", "about:blank")
                .redirectErrorStream(true)
                .redirectOutput(profile.resolve("chromium.log").toFile())
                .start();
        WebSocket ws = null;
        try {
            ws = connect();
        } finally {
            if (ws == null) {
                close();
            }
        }
        socket = ws;
    }

    private WebSocket connect() throws Exception {
        Path portFile = profile.resolve("DevToolsActivePort");
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        List<String> lines = List.of();
        while (lines.size() < 2) {
            if (!process.isAlive()) {
                throw new IOException("chromium exited with " + process.exitValue() + ": " + log());
            }
            if (System.nanoTime() > deadline) {
                throw new IOException("chromium wrote no DevToolsActivePort within " + TIMEOUT + ": " + log());
            }
            if (Files.exists(portFile)) {
                lines = Files.readAllLines(portFile);
            }
            if (lines.size() < 2) {
                Thread.sleep(25);
            }
        }
        URI uri = URI.create("ws://127.0.0.1:" + lines.get(0).trim() + lines.get(1).trim());
        return HttpClient.newHttpClient().newWebSocketBuilder().connectTimeout(TIMEOUT)
                .buildAsync(uri, new Listener()).get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
    }

    private String log() {
        try {
            String s = Files.readString(profile.resolve("chromium.log"));
            return s.length() > 2000 ? s.substring(s.length() - 2000) : s;
        } catch (IOException e) {
            return "(no log)";
        }
    }

    /** Opens a page target and attaches to it; later commands go to that page. */
    void openPage() throws Exception {
        Map<String, Object> target = call("Target.createTarget", Map.of("url", "about:blank"));
        Map<String, Object> attached = call("Target.attachToTarget", Map.of("targetId", target.get("targetId"), "flatten", true));
        session = (String) attached.get("sessionId");
        call("Runtime.enable", Map.of());
        call("Page.enable", Map.of());
        call("Network.enable", Map.of());
    }

    /** Sends a command (to the attached page, once there is one) and waits for its result. */
    Map<String, Object> call(String method, Map<String, Object> params) throws Exception {
        int id = nextId.getAndIncrement();
        Map<String, Object> msg = new LinkedHashMap<>();
        msg.put("id", id);
        msg.put("method", method);
        msg.put("params", params);
        if (session != null) {
            msg.put("sessionId", session);
        }
        CompletableFuture<Map<String, Object>> f = new CompletableFuture<>();
        pending.put(id, f);
        socket.sendText(Json.write(msg), true).get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        Map<String, Object> reply = f.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        if (reply.get("error") != null) {
            throw new IOException(method + " failed: " + Json.write(reply.get("error")));
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> result = (Map<String, Object>) reply.getOrDefault("result", Map.of());
        return result;
    }

    /** Evaluates a JavaScript expression in the page and returns its value (JSON-compatible). */
    Object eval(String expression) throws Exception {
        Map<String, Object> r = call("Runtime.evaluate", Map.of("expression", expression, "returnByValue", true,
                "awaitPromise", true));
        if (r.get("exceptionDetails") != null) {
            throw new IOException("JavaScript failed: " + expression + "\n" + Json.write(r.get("exceptionDetails")));
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> value = (Map<String, Object>) r.get("result");
        return value.get("value");
    }

    /** Polls a JavaScript condition until it is true. */
    void waitFor(String condition) throws Exception {
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        while (!Boolean.TRUE.equals(eval(condition))) {
            if (System.nanoTime() > deadline) {
                throw new IOException("timed out waiting for " + condition);
            }
            Thread.sleep(20);
        }
    }

    /** Events received so far with the given method name. */
    List<Map<String, Object>> events(String method) {
        List<Map<String, Object>> out = new ArrayList<>();
        for (Map<String, Object> e : events) {
            if (method.equals(e.get("method"))) {
                out.add(e);
            }
        }
        return out;
    }

    @Override
    public void close() {
        if (socket != null) {
            socket.abort();
        }
        // Chromium starts zygote, renderer and utility processes: kill them all, then the browser.
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
        try {
            process.waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try (Stream<Path> files = Files.walk(profile)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // a leftover temporary profile is harmless
        }
    }

    private final class Listener implements WebSocket.Listener {
        private final StringBuilder buffer = new StringBuilder();

        @Override
        public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
            buffer.append(data);
            if (last) {
                Map<String, Object> msg = Json.parseObject(buffer.toString());
                buffer.setLength(0);
                if (msg.get("id") instanceof Number id) {
                    CompletableFuture<Map<String, Object>> f = pending.remove(id.intValue());
                    if (f != null) {
                        f.complete(msg);
                    }
                } else {
                    events.add(msg);
                }
            }
            ws.request(1);
            return null;
        }

        @Override
        public void onError(WebSocket ws, Throwable error) {
            pending.values().forEach(f -> f.completeExceptionally(error));
        }
    }
}
