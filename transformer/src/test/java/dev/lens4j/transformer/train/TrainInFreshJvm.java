package dev.lens4j.transformer.train;

import dev.lens4j.tensor.matmul.Gemm;

import java.nio.file.Path;

/**
 * Trains every one of {@link DeterminismTest#CASES} into {@code <out>/<case>} in a JVM of its own, so
 * that {@link DeterminismTest} can start it with other kernels ({@code -Dlens4j.kernels=scalar}) and
 * compare the checkpoints with its own.
 */
final class TrainInFreshJvm {

    private TrainInFreshJvm() {}

    /**
     * Runs the training.
     *
     * @param args the output folder
     * @throws Exception when training or writing fails (the exit code is then non-zero)
     */
    public static void main(String[] args) throws Exception {
        if (args.length != 1) {
            throw new IllegalArgumentException("usage: TrainInFreshJvm <out>, got " + args.length + " arguments");
        }
        System.out.println("gemm kernel: " + Gemm.kernelName());
        for (String name : DeterminismTest.CASES) {
            DeterminismTest.train(DeterminismTest.options(name), Path.of(args[0]).resolve(name));
        }
    }
}
