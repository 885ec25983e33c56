package dev.lens4j.tensor.kernel;

import org.junit.jupiter.api.Test;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

/**
 * The kernels give the same bits whether the JIT has compiled them or not: the results in this JVM
 * after a warm-up long enough for C2 to compile the kernels are compared bit for bit with those of
 * a child JVM that runs {@link KernelFingerprint} in the interpreter ({@code -Xint}).
 *
 * <p>This is what makes a forward pass reproducible within one JVM. Before the Vector API kernels
 * computed {@code exp} and {@code tanh} from plain arithmetic and summed lanes in a fixed order,
 * {@code VectorOperators.EXP} ran lane by lane through {@code Math.exp} until C2 compiled the caller
 * and {@code reduceLanes(ADD)} summed in another order in the interpreter than in C2, and two
 * identical forward passes differed by up to 3e-6. Putting either back makes this test fail, naming
 * the kernel, size and index (tried for both). The scalar kernels are checked as well: they rely on
 * {@link Math#exp} and {@link Math#tanh} giving the same bits in the interpreter as in C2.
 */
class JitTierIndependenceTest {

    /**
     * Rounds of every kernel before the results are taken: enough invocations and loop iterations for
     * C2 (tier 4) to compile each kernel with a profile that covers every size, so that no later call
     * deoptimises (checked with {@code -XX:+PrintCompilation} on 2 busy cores: every kernel reached tier
     * 4 well before the end of its warm-up, and none was made not entrant afterwards). The small sizes
     * run every round and the large ones every {@value #LARGE_EVERY}th, because before C2 a Vector API
     * call costs about a thousand times what it costs after. Should C2 fall behind on a loaded machine,
     * the test compares C1 code with the interpreter instead: weaker, but it cannot fail spuriously.
     */
    private static final int WARMUP_ROUNDS = 100_000;
    private static final int LARGE_EVERY = 64;
    private static final String[] SETS = {"panama", "scalar"};

    @Test
    void warmKernelsGiveTheSameBitsAsTheInterpreter() throws Exception {
        Map<String, int[]> warm = new LinkedHashMap<>();
        Map<String, String> names = new LinkedHashMap<>();
        for (String set : SETS) {
            Kernels k = KernelFingerprint.kernels(set);
            names.put(set, k.name());
            KernelFingerprint.Case[] cases = KernelFingerprint.cases();
            for (int r = 0; r < WARMUP_ROUNDS; r++) {
                for (KernelFingerprint.Case c : cases) {
                    if (c.n < 100 || r % LARGE_EVERY == 0) {
                        c.run(k);
                    }
                }
            }
            KernelFingerprint.fingerprint(k, cases).forEach((key, bits) -> warm.put(set + "/" + key, bits));
        }

        List<String> lines = runInterpretedChild();
        Map<String, int[]> interpreted = new LinkedHashMap<>();
        for (String line : lines) {
            if (line.startsWith("kernels ")) {
                String[] f = line.split(" ", 3);
                assertThat(f[2]).as("kernels of the -Xint child for %s", f[1]).isEqualTo(names.get(f[1]));
            } else {
                Map.Entry<String, int[]> e = KernelFingerprint.parse(line);
                interpreted.put(e.getKey(), e.getValue());
            }
        }

        assertThat(interpreted.keySet()).as("results of the -Xint child").containsExactlyElementsOf(warm.keySet());
        for (Map.Entry<String, int[]> e : warm.entrySet()) {
            int[] w = e.getValue(), i = interpreted.get(e.getKey());
            assertThat(i.length).as("%s: number of results", e.getKey()).isEqualTo(w.length);
            for (int j = 0; j < w.length; j++) {
                if (w[j] != i[j]) {
                    String[] kernelAndSize = e.getKey().split(" ");
                    fail("kernel " + kernelAndSize[0] + ", size " + kernelAndSize[1] + ", index " + j + ": "
                            + Float.intBitsToFloat(w[j]) + " (0x" + Integer.toHexString(w[j]) + ") after C2 warm-up but "
                            + Float.intBitsToFloat(i[j]) + " (0x" + Integer.toHexString(i[j]) + ") in the interpreter");
                }
            }
        }
    }

    /** Runs {@link KernelFingerprint#main} in a JVM of this JDK with {@code -Xint}; returns its output lines. */
    private static List<String> runInterpretedChild() throws IOException, InterruptedException {
        String java = System.getProperty("java.home") + File.separator + "bin" + File.separator + "java";
        // Surefire runs tests from a manifest-only jar; it publishes the real class path separately.
        String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        List<String> cmd = new ArrayList<>(List.of(java, "-Xint", "-Xmx256m", "-XX:+UseSerialGC",
                "--add-modules", "jdk.incubator.vector", "-cp", cp, KernelFingerprint.class.getName()));
        cmd.addAll(List.of(SETS));
        Path err = Files.createTempFile("lens4j-xint-", ".stderr");
        try {
            Process p = new ProcessBuilder(cmd).redirectError(err.toFile()).start();
            p.getOutputStream().close();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                fail("the -Xint child did not finish in 60 s; stderr: " + Files.readString(err));
            }
            if (p.exitValue() != 0) {
                fail("the -Xint child exited with " + p.exitValue() + "; stderr: " + Files.readString(err));
            }
            return out.lines().toList();
        } finally {
            Files.deleteIfExists(err);
        }
    }
}
