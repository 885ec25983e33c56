package dev.lens4j.tensor;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A bad {@code lens4j.threads} or {@code lens4j.spinMicros} is refused by name at every use of {@link Parallel},
 * as an {@link IllegalArgumentException}, not once as an {@link ExceptionInInitializerError} and then as a
 * {@link NoClassDefFoundError} (the properties are read once per JVM, so each case runs in a fresh one).
 */
class ParallelPropertiesTest {

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "-Dlens4j.threads=0      | java.lang.IllegalArgumentException: system property lens4j.threads must be a positive integer, got '0'",
        "-Dlens4j.threads=two    | java.lang.IllegalArgumentException: system property lens4j.threads must be a positive integer, got 'two'",
        "-Dlens4j.spinMicros=-1  | java.lang.IllegalArgumentException: system property lens4j.spinMicros must be a non-negative integer, got '-1'",
        "-Dlens4j.threads=2      | ok 2 4"})
    void everyUseSaysWhichPropertyIsBad(String property, String expected) throws IOException, InterruptedException {
        List<String> cmd = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), property, "-cp",
                System.getProperty("java.class.path"), ParallelPropertyProbe.class.getName());
        Process child = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(child.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(out.lines().filter(l -> !l.startsWith("WARNING")).toList()).as(out).containsExactly(expected, expected);
    }
}
