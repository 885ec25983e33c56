package dev.lens4j.transformer.train;

import dev.lens4j.tensor.Tensor;
import dev.lens4j.transformer.ForwardOptions;
import dev.lens4j.transformer.ForwardResult;
import dev.lens4j.transformer.HookedTransformer;
import dev.lens4j.transformer.LogitMetric;
import dev.lens4j.transformer.TransformerConfig;
import dev.lens4j.transformer.TransformerWeights;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * lens4j's one trainer: trains a model of any architecture the engine runs on batches from any
 * {@link TrainingData} source, in pure Java. {@link InductionTrainer} is this trainer on
 * {@link InductionData}; the lesson's models of English ({@link LessonRecipes}) are this trainer on
 * {@link CorpusData}.
 *
 * <p>Each step draws a batch of {@link TrainingOptions#batchSize()} sequences, runs the engine's
 * forward and backward passes over it ({@link HookedTransformer#run} with a {@link LogitMetric}
 * backward and weight gradients: the same components, kernels and hook points as every analysis),
 * clips the global gradient norm and takes one {@link AdamW} step on the model's weights in place. The
 * loss is the mean next-token cross-entropy over the batch's targets, as in TransformerLens; each step
 * also reports it on the batch's {@link TrainingBatch#repeated() repeated} targets and on the others.
 *
 * <p>Runs are reproducible: the same options, config and data give the same weights bit for bit,
 * whatever the CPU, the number of threads ({@link dev.lens4j.tensor.Parallel}) or the SIMD kernels in
 * use: the passes are {@link ForwardOptions#reproducible() reproducible} ones, the initialisation and
 * the optimizer use {@link StrictMath}. Not thread-safe.
 */
public final class Trainer {

    /** Number of recent steps averaged for the smoothed losses and the speed. */
    public static final int SMOOTHING_WINDOW = 20;

    /**
     * The numbers of one step.
     *
     * @param step the step number, from 1
     * @param loss mean loss over all targets
     * @param repeatedLoss mean loss on the repeated targets (NaN when the batch has none)
     * @param otherLoss mean loss on the other targets (NaN when the batch has none)
     * @param gradNorm global gradient norm before clipping
     */
    public record StepResult(int step, double loss, double repeatedLoss, double otherLoss, double gradNorm) {}

    /**
     * The losses of a model on a set of sequences.
     *
     * @param loss mean next-token loss over every target
     * @param repeatedLoss mean over the repeated targets (NaN when there are none)
     * @param otherLoss mean over the other targets (NaN when there are none)
     * @param targets number of targets
     */
    public record Evaluation(double loss, double repeatedLoss, double otherLoss, long targets) {}

    private final TrainingOptions options;
    private final TransformerConfig config;
    /** The model being trained: its weights are the parameters, updated in place. */
    private final HookedTransformer model;
    private final Parameters parameters;
    private final AdamW optimizer;
    private final TrainingData data;
    private final SplittableRandom dataRng;
    private final double[] recentRepeated = new double[SMOOTHING_WINDOW];
    private final double[] recentOther = new double[SMOOTHING_WINDOW];
    private int step;

    /**
     * A trainer whose model is initialised from the options' seed ({@link Parameters#initial}); the
     * data is drawn from a generator split from the same seed.
     *
     * @param options the optimizer, schedule, batch size, seed and steps (the architecture fields are not
     *                used, but for the style's biases: a {@code llama} style keeps them at zero)
     * @param config the model to train
     * @param data the batches
     * @throws IllegalArgumentException if the config's context is shorter than the data's sequences
     */
    public Trainer(TrainingOptions options, TransformerConfig config, TrainingData data) {
        this(options, config, data, false);
    }

    /**
     * A trainer whose model is initialised from the options' seed, with {@code W_U} optionally starting
     * as the transpose of {@code W_E} ({@link Parameters#unembedFromEmbed}): the two stay separate
     * parameters and train apart. Over a large vocabulary this is what lets a copying head form in a few
     * thousand steps: with {@code W_U = W_E^T} an OV circuit near a multiple of the identity copies every
     * token at once, while from independent draws each token's row and column must be aligned by its
     * own rare occurrences.
     *
     * @param options the optimizer, schedule, batch size, seed and steps
     * @param config the model to train
     * @param data the batches
     * @param unembedFromEmbed start {@code W_U} as {@code W_E}'s transpose instead of its own draw
     * @throws IllegalArgumentException if the config's context is shorter than the data's sequences
     */
    public Trainer(TrainingOptions options, TransformerConfig config, TrainingData data, boolean unembedFromEmbed) {
        if (config.nCtx() < data.pos()) {
            throw new IllegalArgumentException("the config's n_ctx " + config.nCtx() + " is below the sequences' length " + data.pos());
        }
        this.options = options;
        this.config = config;
        this.data = data;
        SplittableRandom root = new SplittableRandom(options.seed());
        long initSeed = root.nextLong();
        this.dataRng = root.split();
        TransformerWeights.Builder w = TransformerWeights.builder(config);
        Map<String, Tensor> initial = Parameters.initial(TransformerWeights.shapes(config), config.dModel(), initSeed);
        if (unembedFromEmbed) {
            Parameters.unembedFromEmbed(initial);
        }
        initial.forEach(w::put);
        this.model = HookedTransformer.of(config, w.build(), null, null);
        // a Llama-style block has no biases: TransformerLens's layout holds them, as zeros that stay zero
        boolean biases = !options.style().equals(TrainingOptions.LLAMA);
        this.parameters = Parameters.of(model.weights(), name -> biases || !TransformerWeights.isOptionalBias(name));
        this.optimizer = new AdamW(parameters, options.beta1(), options.beta2(), options.adamEps(), options.weightDecay());
    }

    /**
     * Returns the options.
     *
     * @return the options
     */
    public TrainingOptions options() {
        return options;
    }

    /**
     * Returns the configuration of the model being trained.
     *
     * @return the configuration
     */
    public TransformerConfig config() {
        return config;
    }

    /**
     * Returns the data source.
     *
     * @return the data
     */
    public TrainingData data() {
        return data;
    }

    /**
     * Returns the number of steps taken so far.
     *
     * @return steps taken so far
     */
    public int stepsDone() {
        return step;
    }

    /**
     * Returns the number of parameters the optimizer updates: every weight of the model but those
     * shared with another (TransformerLens's layout keeps W_U apart from W_E, so both count) and, in the
     * {@code llama} style, the biases, which stay zero.
     *
     * @return the number of trained parameters
     */
    public long trainedParameterCount() {
        long n = 0;
        for (Parameters.Group g : parameters.groups()) {
            n += g.values().length;
        }
        return n;
    }

    /** Every parameter, the groups' arrays one after another (a copy), for tests in this package. */
    float[] params() {
        float[] out = new float[Math.toIntExact(trainedParameterCount())];
        int o = 0;
        for (Parameters.Group g : parameters.groups()) {
            System.arraycopy(g.values(), 0, out, o, g.values().length);
            o += g.values().length;
        }
        return out;
    }

    /**
     * Returns the model being trained (its weights are updated in place by every step).
     *
     * @return the live model
     */
    HookedTransformer model() {
        return model;
    }

    /**
     * Takes one training step (it may go beyond {@link TrainingOptions#steps()}).
     *
     * @return the step's numbers
     * @throws TrainingDivergedException naming the step if its loss or gradient norm is NaN or
     *     infinite; the parameters are then left as they were before it
     */
    public StepResult step() {
        TrainingBatch batch = data.next(dataRng, options.batchSize());
        int[][] tokens = batch.tokenRows(), targets = batch.targetRows();
        // one forward and backward pass of the engine over the batch: the gradient of the mean loss
        ForwardResult pass = model.run(tokens, ForwardOptions.builder().backward(LogitMetric.crossEntropy(targets))
                .weightGradients(true).reproducible(true).build());
        Map<String, Tensor> byName = pass.weightGradients();
        List<float[]> grads = new ArrayList<>();
        for (Parameters.Group g : parameters.groups()) {
            grads.add(byName.get(g.names().get(0)).heapStorage());
        }
        double norm = AdamW.clipGradNorm(grads, options.gradClip());
        Evaluation e = losses(pass.logits(), batch);
        double loss = e.loss();
        // Checked before the update, so that the parameters stay the last finite ones.
        int next = step + 1;
        if (!Double.isFinite(loss) || !Double.isFinite(norm)) {
            throw new TrainingDivergedException(next, "training diverged at step " + next + ": the "
                    + (!Double.isFinite(loss) ? "loss is " + loss : "gradient norm is " + norm)
                    + " (learning rate " + options.learningRateAt(next) + " at that step, gradient clipping "
                    + (options.gradClip() > 0 ? "to " + options.gradClip() : "off") + "); lower the learning rate");
        }
        step = next;
        optimizer.step(grads, options.learningRateAt(step));
        StepResult r = new StepResult(step, loss, e.repeatedLoss(), e.otherLoss(), norm);
        recentRepeated[(step - 1) % SMOOTHING_WINDOW] = r.repeatedLoss();
        recentOther[(step - 1) % SMOOTHING_WINDOW] = r.otherLoss();
        return r;
    }

    /**
     * The mean next-token losses of logits against a batch's targets: over all, the repeated and the
     * other targets (in double precision, position by position in a fixed order).
     */
    private static Evaluation losses(Tensor logits, TrainingBatch batch) {
        int B = batch.batch(), T = batch.pos();
        double sum = 0, rep = 0, other = 0;
        int nRep = 0, nOther = 0;
        for (int b = 0; b < B; b++) {
            for (int t = 0; t < T; t++) {
                int target = batch.targets()[b * T + t];
                if (target < 0) {
                    continue;
                }
                double l = LogitMetric.tokenLoss(logits, b, t, target);
                sum += l;
                if (batch.repeated()[b * T + t]) {
                    rep += l;
                    nRep++;
                } else {
                    other += l;
                    nOther++;
                }
            }
        }
        int count = nRep + nOther;
        return new Evaluation(count == 0 ? 0 : sum / count, nRep == 0 ? Double.NaN : rep / nRep,
                nOther == 0 ? Double.NaN : other / nOther, count);
    }

    /**
     * The current model's losses on held-out batches (a reproducible forward pass per batch, no
     * update): the mean over every target of every batch.
     *
     * @param batches the sequences, each of at most {@code n_ctx} positions
     * @return the mean losses over all their targets
     */
    public Evaluation evaluate(List<TrainingBatch> batches) {
        double sum = 0, rep = 0, other = 0;
        long n = 0, nRep = 0, nOther = 0;
        for (TrainingBatch batch : batches) {
            Tensor logits = model.run(batch.tokenRows(), ForwardOptions.builder().reproducible(true).build()).logits();
            Evaluation e = losses(logits, batch);
            long r = countRepeated(batch), o = e.targets() - r;
            sum += e.loss() * e.targets();
            rep += r == 0 ? 0 : e.repeatedLoss() * r;
            other += o == 0 ? 0 : e.otherLoss() * o;
            n += e.targets();
            nRep += r;
            nOther += o;
        }
        return new Evaluation(n == 0 ? 0 : sum / n, nRep == 0 ? Double.NaN : rep / nRep, nOther == 0 ? Double.NaN : other / nOther, n);
    }

    private static long countRepeated(TrainingBatch batch) {
        long r = 0;
        for (int i = 0; i < batch.targets().length; i++) {
            r += batch.targets()[i] >= 0 && batch.repeated()[i] ? 1 : 0;
        }
        return r;
    }

    /**
     * Trains until {@link TrainingOptions#steps()} steps are done or, when {@code stopBelow} is finite, until
     * the smoothed repeated-token loss (over {@link #SMOOTHING_WINDOW} full steps) falls below it.
     *
     * @param listener told about every step
     * @param stopBelow the repeated-token loss at which to stop early; {@code -inf} never stops early
     * @return the outcome
     * @throws TrainingDivergedException naming the step at which the loss became NaN or infinite
     */
    public TrainingResult train(TrainingListener listener, double stopBelow) {
        TimeLeft clock = new TimeLeft(step, options.steps(), SMOOTHING_WINDOW, System::nanoTime);
        int stepsToTarget = -1;
        double secondsToTarget = Double.NaN;
        double smoothRep = Double.NaN, smoothOther = Double.NaN;
        while (step < options.steps()) {
            StepResult r = step();
            clock.stepDone();
            int n = Math.min(step, SMOOTHING_WINDOW);
            smoothRep = mean(recentRepeated, n);
            smoothOther = mean(recentOther, n);
            double elapsed = clock.elapsedSeconds();
            listener.onStep(new TrainingProgress(step, options.steps(), r.loss(), r.repeatedLoss(), r.otherLoss(),
                    smoothRep, smoothOther, r.gradNorm(), elapsed, clock.stepsPerSecond(), clock.secondsLeft()));
            if (stepsToTarget < 0 && step >= SMOOTHING_WINDOW && smoothRep < stopBelow) {
                stepsToTarget = step;
                secondsToTarget = elapsed;
                break;
            }
        }
        return new TrainingResult(step, smoothRep, smoothOther, clock.elapsedSeconds(), stepsToTarget, secondsToTarget);
    }

    private static double mean(double[] xs, int n) {
        double s = 0;
        for (int i = 0; i < n; i++) {
            s += xs[i];
        }
        return s / n;
    }

    /**
     * Returns the current weights in TransformerLens layout (a copy).
     *
     * @return the current weights in TransformerLens layout (a copy)
     */
    public TransformerWeights weights() {
        TransformerWeights.Builder b = TransformerWeights.builder(config);
        model.weights().stateDict().forEach((n, t) -> b.put(n, t.copy()));
        return b.build();
    }

    /**
     * Writes the current model as a checkpoint directory that lens4j loads (see {@link CheckpointWriter}).
     *
     * @param dir the directory, created if needed; existing files of the same names are replaced, as a
     *            whole, and other files kept
     * @param tokenizerFiles the tokenizer's files by name ({@code words.txt}, or {@code tokenizer.json})
     * @param training the content of {@code training.json}
     * @throws IOException if writing fails; {@code dir} is then as it was
     */
    public void writeCheckpoint(Path dir, Map<String, byte[]> tokenizerFiles, Map<String, Object> training) throws IOException {
        CheckpointWriter.write(dir, config, weights(), tokenizerFiles, training);
    }
}
