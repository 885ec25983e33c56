package dev.lens4j.app;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Types lines into the jshell that {@code lens4j shell} starts, as a person would: each line only
 * after jshell has shown its prompt. (Input that arrives before the first prompt is echoed by jshell's
 * line reader, part or all of it depending on timing; typed at the prompt it is not.)
 */
final class JshellSession {

    static final String PROMPT = "jshell> ";

    private JshellSession() {}

    /**
     * Runs the lines, then {@code /exit}, in a jshell started in {@code dir}.
     *
     * @return everything jshell printed (standard output and error)
     */
    static String run(Path dir, List<String> lines) throws Exception {
        List<String> cmd = ShellCommand.command(Path.of(System.getProperty("java.home")), System.getProperty("java.class.path"), List.of());
        Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
        StringBuilder out = new StringBuilder();
        Thread reader = Thread.ofVirtual().start(() -> {
            try (InputStream in = p.getInputStream()) {
                byte[] buf = new byte[8192];
                for (int n; (n = in.read(buf)) > 0; ) {
                    synchronized (out) {
                        out.append(new String(buf, 0, n, StandardCharsets.UTF_8));
                        out.notifyAll();
                    }
                }
            } catch (IOException ignored) {
                // the process ended
            }
        });
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(5);
        try (OutputStream in = p.getOutputStream()) {
            for (int i = 0; i <= lines.size(); i++) {
                synchronized (out) {
                    while (count(out, PROMPT) <= i && p.isAlive() && System.nanoTime() < deadline) {
                        out.wait(200);
                    }
                }
                assertThat(p.isAlive()).as("jshell is still running before line " + i + ":\n" + out).isTrue();
                assertThat(System.nanoTime() < deadline).as("jshell showed its prompt within 5 minutes:\n" + out).isTrue();
                in.write(((i < lines.size() ? lines.get(i) : "/exit") + "\n").getBytes(StandardCharsets.UTF_8));
                in.flush();
            }
        }
        boolean done = p.waitFor(60, TimeUnit.SECONDS);
        if (!done) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
        }
        reader.join(10_000);
        synchronized (out) {
            assertThat(done).as("jshell exited after /exit:\n" + out).isTrue();
            assertThat(p.exitValue()).as(out.toString()).isZero();
            return out.toString();
        }
    }

    private static int count(CharSequence s, String what) {
        int c = 0;
        for (int i = s.toString().indexOf(what); i >= 0; i = s.toString().indexOf(what, i + what.length())) {
            c++;
        }
        return c;
    }
}
