package dev.lens4j.docs;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code ./mvnw}, the second of README.md's two commands, on its first run: it fetches the pinned
 * Maven with the machine's {@code mvn} and unpacks it under {@code $HOME/.m2/wrapper}. The machine's
 * Maven here is a stand-in that, like a real one, keeps its repository under the account's home
 * (Java's {@code user.home} comes from the account, not from {@code $HOME}); so when {@code HOME}
 * names another folder, the wrapper must not look for the tarball in {@code $HOME/.m2/repository}.
 */
class MavenWrapperTest {

    static final String VERSION = "0.0.1-fake";

    record Run(int exit, String output) {}

    @Test
    void firstRunWithAHomeThatIsNotTheAccountsFetchesUnpacksAndRunsThePinnedMaven(@TempDir Path tmp) throws Exception {
        Path home = Files.createDirectories(tmp.resolve("home"));
        Path accountRepo = tmp.resolve("account-m2/repository");
        Path bin = fakeMachineMaven(tmp, accountRepo);

        Run first = wrapper(home, bin, "-v");
        assertThat(first.exit()).as(first.output()).isZero();
        assertThat(first.output()).contains("fetching Apache Maven " + VERSION).contains("pinned maven ran with: -v");
        Path dist = home.resolve(".m2/wrapper/dists/apache-maven-" + VERSION);
        assertThat(dist.resolve("bin/mvn")).isExecutable();
        try (Stream<Path> left = Files.list(home.resolve(".m2/wrapper"))) {
            assertThat(left.map(p -> p.getFileName().toString())).as("nothing but the unpacked Maven is left behind").containsExactly("dists");
        }
        assertThat(home.resolve(".m2/repository")).as("the machine's Maven never wrote under $HOME").doesNotExist();

        Run second = wrapper(home, bin, "verify");
        assertThat(second.exit()).as(second.output()).isZero();
        assertThat(second.output()).doesNotContain("fetching").contains("pinned maven ran with: verify");
        assertThat(Files.readAllLines(tmp.resolve("mvn-calls.log"))).as("the machine's Maven is asked once").hasSize(1);
    }

    @Test
    void aFailedFetchSaysSoAndLeavesNothingBehind(@TempDir Path tmp) throws Exception {
        Path home = Files.createDirectories(tmp.resolve("home"));
        Path bin = Files.createDirectories(tmp.resolve("bin"));
        script(bin.resolve("mvn"), "echo 'ERROR: could not resolve the artifact'", "exit 1");

        Run run = wrapper(home, bin, "-v");
        assertThat(run.exit()).isEqualTo(1);
        assertThat(run.output()).contains("ERROR: could not resolve the artifact")
                .contains("could not fetch org.apache.maven:apache-maven:" + VERSION);
        try (Stream<Path> left = Files.list(home.resolve(".m2/wrapper"))) {
            assertThat(left.map(p -> p.getFileName().toString())).containsExactly("dists");
        }
        try (Stream<Path> dists = Files.list(home.resolve(".m2/wrapper/dists"))) {
            assertThat(dists).isEmpty();
        }
    }

    /**
     * A folder with a stand-in {@code mvn}: it "resolves" a tarball of a pinned Maven (whose
     * {@code bin/mvn} prints its arguments) into the account's repository, and copies it on to a
     * {@code -DoutputDirectory=} when it is given one, as {@code dependency:copy} does.
     */
    static Path fakeMachineMaven(Path tmp, Path accountRepo) throws IOException, InterruptedException {
        Path src = tmp.resolve("dist-src/apache-maven-" + VERSION + "/bin");
        Files.createDirectories(src);
        script(src.resolve("mvn"), "echo \"pinned maven ran with: $*\"");
        Path tarball = tmp.resolve("apache-maven-" + VERSION + "-bin.tar.gz");
        Process tar = new ProcessBuilder("tar", "czf", tarball.toString(), "-C", tmp.resolve("dist-src").toString(), "apache-maven-" + VERSION)
                .inheritIO().start();
        assertThat(tar.waitFor()).isZero();
        Path inRepo = accountRepo.resolve("org/apache/maven/apache-maven/" + VERSION);
        Path bin = Files.createDirectories(tmp.resolve("bin"));
        script(bin.resolve("mvn"),
                "echo \"$*\" >> '" + tmp.resolve("mvn-calls.log") + "'",
                "mkdir -p '" + inRepo + "' && cp '" + tarball + "' '" + inRepo + "/'",
                "for a in \"$@\"; do case \"$a\" in -DoutputDirectory=*) cp '" + tarball + "' \"${a#-DoutputDirectory=}/\";; esac; done");
        return bin;
    }

    static void script(Path file, String... lines) throws IOException {
        Files.writeString(file, "#!/usr/bin/env bash\n" + String.join("\n", lines) + "\n", StandardCharsets.UTF_8);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    /** Runs the repository's {@code mvnw} with this HOME, the given folder first on PATH and this test's JDK. */
    static Run wrapper(Path home, Path bin, String... args) throws IOException, InterruptedException {
        Path mvnw = DocsCheck.docsDir().toAbsolutePath().normalize().getParent().resolve("mvnw");
        List<String> cmd = new java.util.ArrayList<>(List.of("bash", mvnw.toString()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        Map<String, String> env = pb.environment();
        env.remove("MAVEN_USER_HOME");
        env.remove("JAVA_HOME");
        env.put("HOME", home.toString());
        env.put("PATH", bin + ":" + env.getOrDefault("PATH", "/usr/bin:/bin"));
        env.put("LENS4J_JAVA_HOME", System.getProperty("java.home"));
        env.put("LENS4J_MAVEN_VERSION", VERSION);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("mvnw finished").isTrue();
        return new Run(p.exitValue(), out);
    }
}
