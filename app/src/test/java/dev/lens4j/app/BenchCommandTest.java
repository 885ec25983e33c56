package dev.lens4j.app;

import dev.lens4j.tensor.Parallel;
import dev.lens4j.tensor.Tensor;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class BenchCommandTest {

    @Test
    void timesMatmulAndAForwardPass() {
        CommandRun run = CommandRun.of("bench", "--model", TestModels.induction().toString(), "--seconds", "0.01", "--sizes", "8,33");
        assertThat(run.status()).as(run.toString()).isZero();
        assertThat(run.out()).containsPattern("matmul\\s+8 x 8 x 8\\s+\\d+\\.\\d{3}\\s+\\d+\\.\\d\\s+GFLOP/s")
                .containsPattern("matmul\\s+33 x 33 x 33\\s")
                .containsPattern("induction-2l forward\\s+1 x 48 tokens\\s+\\d+\\.\\d{3}\\s+\\d+\\.\\d\\s+tokens/s")
                .contains("runWithCache").contains("tools/bench/run-jmh.sh");
    }

    @Test
    void threadsAreSetForTheTimingsAndRestoredAfterwards() {
        int before = Parallel.threads();
        int asked = before == 1 ? 2 : 1;
        CommandRun run = CommandRun.of("bench", "--model", TestModels.induction().toString(), "--seconds", "0.01", "--sizes", "8",
                "--threads", String.valueOf(asked));
        assertThat(run.status()).as(run.toString()).isZero();
        assertThat(run.out()).contains(asked == 1 ? ", 1 thread, " : ", " + asked + " threads, ");
        assertThat(Parallel.threads()).isEqualTo(before);

        CommandRun refused = CommandRun.of("bench", "--threads", "0");
        assertThat(refused.status()).as(refused.toString()).isEqualTo(2);
        assertThat(refused.err()).startsWith("lens4j: --threads must be at least 1, got 0");
        assertThat(refused.out()).isEmpty();
        assertThat(Parallel.threads()).isEqualTo(before);
    }

    @Test
    void aWrongProductIsNotTimed() {
        Tensor a = Tensor.randn(1, 5, 7);
        Tensor b = Tensor.randn(2, 7, 3);
        BenchCommand.checkMatmul(a, b, a.matmul(b));
        Tensor wrong = a.matmul(b).add(Tensor.full(1e-2f, 5, 3));
        assertThatThrownBy(() -> BenchCommand.checkMatmul(a, b, wrong)).hasMessageContaining("matmul 5 x 7 x 3 is wrong at");
    }
}
