package dev.lens4j.app;

import dev.lens4j.report.Plural;
import dev.lens4j.tensor.Parallel;
import dev.lens4j.transformer.ParameterCount;
import dev.lens4j.transformer.train.CheckpointWriter;
import dev.lens4j.transformer.train.InductionTrainer;
import dev.lens4j.transformer.train.TrainingOptionException;
import dev.lens4j.transformer.train.TrainingOptions;
import dev.lens4j.transformer.train.TrainingResult;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code lens4j train}: trains an induction model from scratch and writes a checkpoint directory.
 * The defaults are the recipe of the shipped {@code induction-2l} model, so
 * {@code lens4j train --out DIR} regenerates it bit for bit.
 *
 * <p>Everything that can be wrong with the command line (an option value the trainer cannot take, an
 * {@code --out} that is a file or cannot be created) is found before training starts, not after minutes
 * of it. As the other commands do with their output folders, an existing folder is written into: the
 * checkpoint's files replace files of the same names, all at once (see
 * {@link dev.lens4j.tensor.io.StagedFolder}), so that a run stopped while writing leaves the previous
 * checkpoint or the new one, never a mixture; other files in the folder are kept.
 */
@Command(name = "train", mixinStandardHelpOptions = true,
        description = {"Train a small attention-only transformer on random sequences with a repeated block, "
                + "until an induction circuit forms, and write a checkpoint (config.json, model.safetensors, words.txt).",
                "The defaults regenerate lens4j's built-in induction-2l model bit for bit."})
final class TrainCommand implements Callable<Integer> {

    private static final TrainingOptions D = TrainingOptions.defaults();

    /** The option that sets each {@link TrainingOptions} component this command exposes. */
    static final Map<String, String> OPTION_OF = Map.ofEntries(
            Map.entry("seed", "--seed"), Map.entry("steps", "--steps"), Map.entry("batchSize", "--batch"),
            Map.entry("learningRate", "--lr"), Map.entry("finalLearningRate", "--final-lr"),
            Map.entry("warmupSteps", "--warmup"), Map.entry("nLayers", "--layers"), Map.entry("nHeads", "--heads"),
            Map.entry("dModel", "--d-model"), Map.entry("dHead", "--d-head"), Map.entry("dMlp", "--d-mlp"),
            Map.entry("nCtx", "--n-ctx"), Map.entry("normalization", "--norm"), Map.entry("minBlock", "--min-block"),
            Map.entry("maxBlock", "--max-block"), Map.entry("distinctTokens", "--distinct-tokens"),
            Map.entry("modelName", "--name"), Map.entry("style", "--style"));

    @Spec
    CommandSpec spec;

    @Option(names = "--out", required = true, paramLabel = "DIR",
            description = "checkpoint folder to write (created if needed; files of the same names are replaced, all at once)")
    Path out;

    @Option(names = "--seed", paramLabel = "N", description = "random seed for weights and data (default: ${DEFAULT-VALUE})")
    long seed = D.seed();

    @Option(names = "--steps", paramLabel = "N", description = "training steps (default: ${DEFAULT-VALUE})")
    int steps = D.steps();

    @Mixin
    ThreadsOption.ForTraining threads;

    @Option(names = "--batch", paramLabel = "N", description = "sequences per step (default: ${DEFAULT-VALUE})")
    int batch = D.batchSize();

    @Option(names = "--lr", paramLabel = "RATE", description = "peak AdamW learning rate (default: ${DEFAULT-VALUE})")
    float lr = D.learningRate();

    @Option(names = "--final-lr", paramLabel = "RATE", description = "learning rate at the last step, reached linearly (default: ${DEFAULT-VALUE})")
    float finalLr = D.finalLearningRate();

    @Option(names = "--warmup", paramLabel = "STEPS", description = "linear warm-up steps (default: ${DEFAULT-VALUE})")
    int warmup = D.warmupSteps();

    @Option(names = "--layers", paramLabel = "N", description = "transformer blocks (default: ${DEFAULT-VALUE})")
    int layers = D.nLayers();

    @Option(names = "--heads", paramLabel = "N", description = "heads per block (default: ${DEFAULT-VALUE})")
    int heads = D.nHeads();

    @Option(names = "--d-model", paramLabel = "N", description = "residual width (default: ${DEFAULT-VALUE})")
    int dModel = D.dModel();

    @Option(names = "--d-head", paramLabel = "N", description = "head width (default: ${DEFAULT-VALUE})")
    int dHead = D.dHead();

    @Option(names = "--d-mlp", paramLabel = "N", description = "MLP width, 0 for attention-only (default: ${DEFAULT-VALUE})")
    int dMlp = D.dMlp();

    @Option(names = "--n-ctx", paramLabel = "N", description = "sequence length (default: ${DEFAULT-VALUE})")
    int nCtx = D.nCtx();

    @Option(names = "--norm", paramLabel = "LN|RMS|none", description = "LN, RMS or none (default: LN, or RMS with --style llama)")
    String norm;

    @Option(names = "--style", paramLabel = "gpt2|llama", description = "block design: gpt2 (learned positions, GELU MLP, "
            + "biases, as TransformerLens's toy models) or llama (rotary positions, gated SiLU MLP, no biases) (default: ${DEFAULT-VALUE})")
    String style = D.style();

    @Option(names = "--min-block", paramLabel = "N", description = "shortest repeated block (default: ${DEFAULT-VALUE})")
    int minBlock = D.minBlock();

    @Option(names = "--max-block", paramLabel = "N", description = "longest repeated block (default: ${DEFAULT-VALUE})")
    int maxBlock = D.maxBlock();

    @Option(names = "--distinct-tokens", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "draw the tokens outside the repeated block without replacement (default: ${DEFAULT-VALUE})")
    boolean distinctTokens;

    @Option(names = "--name", paramLabel = "NAME", description = "model_name in config.json (default: ${DEFAULT-VALUE})")
    String name = D.modelName();

    @Option(names = "--stop-below", paramLabel = "LOSS", description = "stop as soon as the smoothed repeated-block loss is below this (a benchmark mode)")
    Double stopBelow;

    @Override
    public Integer call() throws Exception {
        PrintWriter stdout = spec.commandLine().getOut();
        PrintWriter stderr = spec.commandLine().getErr();
        // Everything is checked before training: a mistake found after minutes of it would waste them.
        threads.validate();
        if (stopBelow != null && !(Double.isFinite(stopBelow) && stopBelow > 0)) {
            throw new ParameterException(spec.commandLine(), "--stop-below must be a positive finite loss (a loss in nats is "
                    + "never below 0), got " + stopBelow);
        }
        InductionTrainer trainer;
        try {
            trainer = new InductionTrainer(new TrainingOptions(seed, steps, batch, lr, warmup, finalLr, D.weightDecay(),
                    D.beta1(), D.beta2(), D.adamEps(), D.gradClip(), layers, heads, dModel, dHead, dMlp, nCtx,
                    norm != null ? norm : TrainingOptions.LLAMA.equals(style) ? "RMS" : D.normalization(),
                    minBlock, maxBlock, distinctTokens, name, style));
        } catch (TrainingOptionException e) { // names the values at fault, which this command names by option
            throw new ParameterException(spec.commandLine(), "invalid training options: "
                    + e.message(n -> OPTION_OF.getOrDefault(n, n)), e);
        }
        OutputFolder.prepareWhole("--out", out, "the checkpoint");
        return threads.run(() -> train(trainer, stdout, stderr));
    }

    private int train(InductionTrainer trainer, PrintWriter stdout, PrintWriter stderr) throws Exception {
        TrainingOptions o = trainer.options();
        // the count of the checkpoint --out gets, as lens4j inspect and the reports give it for that checkpoint
        ParameterCount parameters = ParameterCount.of(trainer.weights());
        stdout.printf(Locale.ROOT, "training %s: %s style, %s, %s, d_model %d, %s, %s norm, %s, %s; %s of %s, seed %d, %s%n",
                name, o.style(), Plural.of(layers, "layer"), Plural.of(heads, "head"), dModel,
                dMlp == 0 ? "attention-only" : "d_mlp " + dMlp, o.normalization(), parameters, trained(trainer, parameters),
                Plural.of(steps, "step"), Plural.of(batch, "sequence"), seed, Plural.of(Parallel.threads(), "thread"));
        stdout.flush();
        java.io.Console console = System.console();
        ProgressBar bar = new ProgressBar(stderr, console != null && console.isTerminal());
        TrainingResult r = trainer.train(bar, stopBelow == null ? Double.NEGATIVE_INFINITY : stopBelow);
        bar.finish();
        stdout.printf(Locale.ROOT, "done: %s in %.1f s (%.1f steps/s); repeated-block loss %.3f, other tokens %.3f%n",
                Plural.of(r.steps(), "step"), r.seconds(), r.steps() / r.seconds(), r.smoothedRepeatedLoss(), r.smoothedOtherLoss());
        if (stopBelow != null) {
            stdout.println(r.stepsToTarget() < 0
                    ? String.format(Locale.ROOT, "repeated-block loss never fell below %s", stopBelow)
                    : String.format(Locale.ROOT, "repeated-block loss below %s at step %d after %.2f s", stopBelow, r.stepsToTarget(), r.secondsToTarget()));
        }
        trainer.writeCheckpoint(out);
        stdout.println("wrote " + out.toAbsolutePath().normalize() + " (model.safetensors sha256 "
                + sha256(out.resolve(CheckpointWriter.WEIGHTS_FILE)) + ")");
        stdout.flush();
        return 0;
    }

    /**
     * Which of the model's parameters training updates: all of them, or all but the biases of the llama
     * style, which the checkpoint holds as zeros ({@link InductionTrainer#trainedParameterCount()}).
     *
     * @param trainer the trainer
     * @param parameters the model's parameter count
     * @return {@code "all trained"} or e.g. {@code "53,568 of them trained (768 bias parameters stay zero)"}
     */
    static String trained(InductionTrainer trainer, ParameterCount parameters) {
        long frozen = parameters.count() - trainer.trainedParameterCount();
        return frozen == 0 ? "all trained" : String.format(Locale.ROOT, "%,d of them trained (%s stay zero)",
                trainer.trainedParameterCount(), Plural.of(frozen, "bias parameter"));
    }

    /**
     * The SHA-256 of a file, as {@code sha256sum} prints it.
     *
     * @param file the file
     * @return 64 lower-case hex digits
     * @throws Exception if the file cannot be read
     */
    static String sha256(Path file) throws Exception {
        MessageDigest md = MessageDigest.getInstance("SHA-256");
        try (InputStream in = Files.newInputStream(file)) {
            md.update(in.readAllBytes());
        }
        return HexFormat.of().formatHex(md.digest());
    }
}
