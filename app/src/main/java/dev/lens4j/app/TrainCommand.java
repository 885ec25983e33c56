package dev.lens4j.app;

import dev.lens4j.tensor.Parallel;
import dev.lens4j.transformer.train.CheckpointWriter;
import dev.lens4j.transformer.train.InductionTrainer;
import dev.lens4j.transformer.train.TrainingOptions;
import dev.lens4j.transformer.train.TrainingResult;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.concurrent.Callable;

/**
 * {@code lens4j train}: trains an induction model from scratch and writes a checkpoint directory.
 * The defaults are the recipe of the shipped {@code induction-2l} model, so
 * {@code lens4j train --out DIR} regenerates it bit for bit.
 */
@Command(name = "train", mixinStandardHelpOptions = true,
        description = {"Train a small attention-only transformer on random sequences with a repeated block, "
                + "until an induction circuit forms, and write a checkpoint (config.json, model.safetensors, words.txt).",
                "The defaults regenerate lens4j's built-in induction-2l model bit for bit."})
final class TrainCommand implements Callable<Integer> {

    private static final TrainingOptions D = TrainingOptions.defaults();

    @Option(names = "--out", required = true, description = "checkpoint directory to write")
    Path out;

    @Option(names = "--seed", description = "random seed for weights and data (default: ${DEFAULT-VALUE})")
    long seed = D.seed();

    @Option(names = "--steps", description = "training steps (default: ${DEFAULT-VALUE})")
    int steps = D.steps();

    @Option(names = "--threads", description = "threads; results do not depend on it (default: all cores)")
    Integer threads;

    @Option(names = "--batch", description = "sequences per step (default: ${DEFAULT-VALUE})")
    int batch = D.batchSize();

    @Option(names = "--lr", description = "peak AdamW learning rate (default: ${DEFAULT-VALUE})")
    float lr = D.learningRate();

    @Option(names = "--final-lr", description = "learning rate at the last step, reached linearly (default: ${DEFAULT-VALUE})")
    float finalLr = D.finalLearningRate();

    @Option(names = "--warmup", description = "linear warm-up steps (default: ${DEFAULT-VALUE})")
    int warmup = D.warmupSteps();

    @Option(names = "--layers", description = "transformer blocks (default: ${DEFAULT-VALUE})")
    int layers = D.nLayers();

    @Option(names = "--heads", description = "heads per block (default: ${DEFAULT-VALUE})")
    int heads = D.nHeads();

    @Option(names = "--d-model", description = "residual width (default: ${DEFAULT-VALUE})")
    int dModel = D.dModel();

    @Option(names = "--d-head", description = "head width (default: ${DEFAULT-VALUE})")
    int dHead = D.dHead();

    @Option(names = "--d-mlp", description = "MLP width, 0 for attention-only (default: ${DEFAULT-VALUE})")
    int dMlp = D.dMlp();

    @Option(names = "--n-ctx", description = "sequence length (default: ${DEFAULT-VALUE})")
    int nCtx = D.nCtx();

    @Option(names = "--norm", description = "LN or none (default: ${DEFAULT-VALUE})")
    String norm = D.normalization();

    @Option(names = "--min-block", description = "shortest repeated block (default: ${DEFAULT-VALUE})")
    int minBlock = D.minBlock();

    @Option(names = "--max-block", description = "longest repeated block (default: ${DEFAULT-VALUE})")
    int maxBlock = D.maxBlock();

    @Option(names = "--distinct-tokens", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "draw the tokens outside the repeated block without replacement (default: ${DEFAULT-VALUE})")
    boolean distinctTokens;

    @Option(names = "--name", description = "model_name in config.json (default: ${DEFAULT-VALUE})")
    String name = D.modelName();

    @Option(names = "--stop-below", description = "stop as soon as the smoothed repeated-block loss is below this (a benchmark mode)")
    Double stopBelow;

    @Override
    public Integer call() throws Exception {
        if (threads != null) {
            Parallel.setThreads(threads);
        }
        TrainingOptions o = new TrainingOptions(seed, steps, batch, lr, warmup, finalLr, D.weightDecay(), D.beta1(), D.beta2(),
                D.adamEps(), D.gradClip(), layers, heads, dModel, dHead, dMlp, nCtx, norm, minBlock, maxBlock, distinctTokens, name);
        InductionTrainer trainer = new InductionTrainer(o);
        System.out.printf("training %s: %d layers, %d heads, d_model %d, %s, %,d parameters; %d steps of %d sequences, seed %d, %d threads%n",
                name, layers, heads, dModel, dMlp == 0 ? "attention-only" : "d_mlp " + dMlp, trainer.config().parameterCount(),
                steps, batch, seed, Parallel.threads());
        ProgressBar bar = new ProgressBar(System.err, System.console() != null && System.console().isTerminal());
        TrainingResult r = trainer.train(bar, stopBelow == null ? Double.NEGATIVE_INFINITY : stopBelow);
        bar.finish();
        System.out.printf("done: %d steps in %.1f s (%.1f steps/s); repeated-block loss %.3f, other tokens %.3f%n",
                r.steps(), r.seconds(), r.steps() / r.seconds(), r.smoothedRepeatedLoss(), r.smoothedOtherLoss());
        if (stopBelow != null) {
            System.out.println(r.stepsToTarget() < 0
                    ? String.format("repeated-block loss never fell below %s", stopBelow)
                    : String.format("repeated-block loss below %s at step %d after %.2f s", stopBelow, r.stepsToTarget(), r.secondsToTarget()));
        }
        trainer.writeCheckpoint(out);
        System.out.println("wrote " + out.toAbsolutePath() + " (model.safetensors sha256 "
                + sha256(out.resolve(CheckpointWriter.WEIGHTS_FILE)) + ")");
        return 0;
    }

    static String sha256(Path file) throws Exception {
        MessageDigest md = MessageDigest.getInstance("SHA-256");
        try (InputStream in = Files.newInputStream(file)) {
            md.update(in.readAllBytes());
        }
        return HexFormat.of().formatHex(md.digest());
    }
}
