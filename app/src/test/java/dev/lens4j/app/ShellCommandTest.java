package dev.lens4j.app;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code lens4j shell}: the jshell command line, and a real jshell session driven through its standard input. */
class ShellCommandTest {

    @Test
    void printsTheJshellCommandWithLens4jOnTheClassPathAndTheVectorModule() throws IOException {
        CommandRun run = CommandRun.of("shell", "--print-command", "-q");
        assertThat(run.status()).as(run.toString()).isZero();
        List<String> cmd = List.of(run.out().split("\0"));
        assertThat(Path.of(cmd.get(0))).as("this JDK's jshell").isEqualTo(Path.of(System.getProperty("java.home"), "bin", "jshell"));
        assertThat(cmd).containsSequence("--class-path", System.getProperty("java.class.path"))
                .containsSequence("--add-modules", "jdk.incubator.vector")
                .contains("-R--add-modules=jdk.incubator.vector", "-R--enable-native-access=ALL-UNNAMED")
                .containsSequence("--startup", "DEFAULT");
        assertThat(cmd.get(cmd.size() - 1)).as("jshell's own arguments come last").isEqualTo("-q");
        Path startup = Path.of(cmd.get(cmd.indexOf("DEFAULT") + 2));
        assertThat(Files.readString(startup)).contains("import dev.lens4j.tensor.*;", "import dev.lens4j.report.view.*;",
                "import dev.lens4j.analysis.prompt.*;");
        assertThat(ShellCommand.startupFile()).as("the same file next time").isEqualTo(startup);
    }

    /**
     * The notebook story end to end: jshell starts with the start-up imports, evaluates a tensor expression
     * and prints it as PyTorch would, loads the shipped model from the class path, runs test_prompt, saves a
     * view, and runs the Vector API kernels.
     */
    @Test
    void jshellEvaluatesLens4jSnippets(@TempDir Path dir) throws Exception {
        List<String> session = List.of(
                "var t = Tensor.arange(6).reshape(2, 3)",
                "t.topk(2).indices()",
                "var model = Models.fromPretrained(\"induction-2l\")",
                "System.out.print(TestPrompt.run(model, \"apple river stone cloud apple river\", \"stone\", TestPrompt.Options.defaults().withTopK(3)))",
                "Imshow.of(t).save(Path.of(\"t.png\"))",
                "System.out.println(\"kernels: \" + dev.lens4j.tensor.kernel.KernelProvider.kernels().getClass().getSimpleName())");
        String out = JshellSession.run(dir, session);
        Path png = dir.resolve("t.png");
        assertThat(out).as(out).contains("lens4j shell: try")
                .contains("t ==> tensor([[0., 1., 2.],\n        [3., 4., 5.]], shape=[2, 3])")
                .contains("tensor([[2., 1.],\n        [2., 1.]], shape=[2, 2])")
                .contains("Rank: 0        Logit:  5.85 Prob: 77.61% Token: | stone|")
                .contains("kernels: PanamaKernels")
                .doesNotContain("|  Error:");
        assertThat(png).isRegularFile();
    }
}
