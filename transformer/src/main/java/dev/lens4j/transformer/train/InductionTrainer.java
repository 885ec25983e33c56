package dev.lens4j.transformer.train;

import dev.lens4j.tensor.Parallel;
import dev.lens4j.transformer.Activation;
import dev.lens4j.transformer.Normalization;
import dev.lens4j.transformer.TransformerConfig;
import dev.lens4j.transformer.TransformerWeights;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Trains a small transformer on {@link InductionData} until an induction circuit forms, in pure Java.
 *
 * <p>Each step draws a batch of {@link TrainingOptions#batchSize()} sequences, runs the forward and
 * backward passes of {@link TrainableTransformer} (on two halves of the batch in parallel),
 * clips the global gradient norm and takes one {@link AdamW} step. The loss is the mean next-token cross-entropy over all positions, as in
 * TransformerLens; progress reports split it into the predictable (repeated) tokens and the rest.
 *
 * <pre>{@code
 * InductionTrainer trainer = new InductionTrainer(TrainingOptions.defaults());
 * TrainingResult r = trainer.train(p -> System.out.println(p.step() + " " + p.smoothedRepeatedLoss()));
 * trainer.writeCheckpoint(Path.of("induction-2l"));   // config.json, model.safetensors, words.txt
 * }</pre>
 *
 * <p>Runs are reproducible: the same options and vocabulary give the same weights bit for bit, whatever
 * the number of threads ({@link dev.lens4j.tensor.Parallel}) or the SIMD kernels in use. Not thread-safe.
 */
public final class InductionTrainer {

    /** Number of recent steps averaged for the smoothed losses and the speed. */
    public static final int SMOOTHING_WINDOW = 20;

    /**
     * A batch is computed as this many equal shares (when the batch size divides), each forward and
     * backward on its own task, and their gradients added in share order. The number is fixed, not
     * the thread count, so that results do not depend on the threads; two shares keep two cores busy
     * with one fork and join per step instead of dozens of small parallel sections.
     */
    static final int SHARES = 2;

    /**
     * The numbers of one step.
     *
     * @param step the step number, from 1
     * @param loss mean loss over all positions
     * @param repeatedLoss mean loss on the predictable tokens of the copied blocks
     * @param otherLoss mean loss on the other positions
     * @param gradNorm global gradient norm before clipping
     */
    public record StepResult(int step, double loss, double repeatedLoss, double otherLoss, double gradNorm) {}

    private final TrainingOptions options;
    private final WordTokenizer tokenizer;
    private final TransformerConfig config;
    /** Parameters, shared by the shares. */
    private final float[] params;
    /** The gradient of the batch's mean loss: the shares' gradients added in share order. */
    private final float[] grads;
    /** The batch split into equal shares, computed in parallel (see {@link #SHARES}). */
    private final TrainableTransformer[] shares;
    private final AdamW optimizer;
    private final InductionData data;
    private final SplittableRandom dataRng;
    private final double[] recentRepeated = new double[SMOOTHING_WINDOW];
    private final double[] recentOther = new double[SMOOTHING_WINDOW];
    private final long[] recentNanos = new long[SMOOTHING_WINDOW + 1];
    private int step;

    /**
     * A trainer for {@link WordTokenizer#induction()}'s vocabulary.
     *
     * @param options the run's options
     */
    public InductionTrainer(TrainingOptions options) {
        this(options, WordTokenizer.induction());
    }

    /**
     * A trainer for a vocabulary of words; its model is initialised from the options' seed.
     *
     * @param options the run's options
     * @param tokenizer the vocabulary; its size is {@code d_vocab} and its BOS token starts every sequence
     * @throws TrainingOptionException if the vocabulary makes an array too large for the options
     */
    public InductionTrainer(TrainingOptions options, WordTokenizer tokenizer) {
        options.requireFits(tokenizer.vocabSize());
        this.options = options;
        this.tokenizer = tokenizer;
        this.config = config(options, tokenizer.vocabSize());
        SplittableRandom root = new SplittableRandom(options.seed());
        long initSeed = root.nextLong();
        this.dataRng = root.split();
        this.params = TrainableTransformer.initialParameters(config, initSeed);
        this.grads = new float[params.length];
        int n = options.batchSize() % SHARES == 0 ? SHARES : 1;
        this.shares = new TrainableTransformer[n];
        for (int k = 0; k < n; k++) {
            shares[k] = new TrainableTransformer(config, options.batchSize() / n, options.nCtx(), params, true);
        }
        this.optimizer = new AdamW(shares[0].layout, options.beta1(), options.beta2(), options.adamEps(), options.weightDecay());
        this.data = new InductionData(tokenizer.vocabSize(), tokenizer.bosTokenId().orElseThrow(), options.nCtx(),
                options.minBlock(), options.maxBlock(), options.distinctTokens());
    }

    /**
     * The model configuration a run with these options trains.
     *
     * @param o the options
     * @param vocabSize {@code d_vocab}
     * @return the config, with TransformerLens's field values (attention-only when {@code dMlp} is 0)
     */
    public static TransformerConfig config(TrainingOptions o, int vocabSize) {
        return TransformerConfig.builder().nLayers(o.nLayers()).dModel(o.dModel()).nHeads(o.nHeads()).dHead(o.dHead())
                .attnOnly(o.dMlp() == 0).dMlp(o.dMlp() == 0 ? null : o.dMlp()).nCtx(o.nCtx()).dVocab(vocabSize)
                .actFn(Activation.GELU_NEW).normalization(Normalization.fromTlName(o.normalization().equals("none") ? null : o.normalization()))
                .modelName(o.modelName()).build();
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
     * @return the configuration of the model being trained
     */
    public TransformerConfig config() {
        return config;
    }

    /**
     * Returns the vocabulary.
     *
     * @return the vocabulary
     */
    public WordTokenizer tokenizer() {
        return tokenizer;
    }

    /**
     * Returns the number of steps taken so far.
     *
     * @return steps taken so far
     */
    public int stepsDone() {
        return step;
    }

    /** The parameters being trained (live, {@link ParameterLayout} order), for tests in this package. */
    float[] params() {
        return params;
    }

    /**
     * Takes one training step (it may go beyond {@link TrainingOptions#steps()}).
     *
     * @return the step's numbers
     * @throws TrainingDivergedException naming the step if its loss or gradient norm is NaN or
     *     infinite; the parameters are then left as they were before it
     */
    public StepResult step() {
        InductionData.Batch batch = data.next(dataRng, options.batchSize());
        int[] tokens = batch.tokens(), targets = batch.targets();
        int count = 0;
        for (int t : targets) {
            if (t >= 0) {
                count++;
            }
        }
        float lossScale = count == 0 ? 0f : 1f / count;
        int per = tokens.length / shares.length;
        Parallel.forRange(shares.length, 1, (s, e) -> {
            for (int k = s; k < e; k++) {
                shares[k].forward(Arrays.copyOfRange(tokens, k * per, (k + 1) * per),
                        Arrays.copyOfRange(targets, k * per, (k + 1) * per));
                shares[k].backward(lossScale);
            }
        });
        System.arraycopy(shares[0].grads, 0, grads, 0, grads.length);
        for (int k = 1; k < shares.length; k++) {
            float[] g = shares[k].grads;
            for (int i = 0; i < grads.length; i++) {
                grads[i] += g[i];
            }
        }
        double norm = AdamW.clipGradNorm(grads, options.gradClip());
        double sum = 0, rep = 0, other = 0;
        int nRep = 0, nOther = 0;
        for (int i = 0; i < targets.length; i++) {
            if (targets[i] < 0) {
                continue;
            }
            double l = shares[i / per].losses[i % per];
            sum += l;
            if (batch.repeated()[i]) {
                rep += l;
                nRep++;
            } else {
                other += l;
                nOther++;
            }
        }
        double loss = count == 0 ? 0 : sum / count;
        // Checked before the update, so that the parameters stay the last finite ones.
        int next = step + 1;
        if (!Double.isFinite(loss) || !Double.isFinite(norm)) {
            throw new TrainingDivergedException(next, "training diverged at step " + next + ": the "
                    + (!Double.isFinite(loss) ? "loss is " + loss : "gradient norm is " + norm)
                    + " (learning rate " + options.learningRateAt(next) + " at that step, gradient clipping "
                    + (options.gradClip() > 0 ? "to " + options.gradClip() : "off") + "); lower the learning rate");
        }
        step = next;
        optimizer.step(params, grads, options.learningRateAt(step));
        StepResult r = new StepResult(step, loss, nRep == 0 ? Double.NaN : rep / nRep, nOther == 0 ? Double.NaN : other / nOther, norm);
        recentRepeated[(step - 1) % SMOOTHING_WINDOW] = r.repeatedLoss();
        recentOther[(step - 1) % SMOOTHING_WINDOW] = r.otherLoss();
        return r;
    }

    /**
     * Trains until {@link TrainingOptions#steps()} steps are done.
     *
     * @param listener told about every step
     * @return the outcome
     * @throws TrainingDivergedException naming the step at which the loss became NaN or infinite
     */
    public TrainingResult train(TrainingListener listener) {
        return train(listener, Double.NEGATIVE_INFINITY);
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
        long start = System.nanoTime();
        int firstStep = step;
        int stepsToTarget = -1;
        double secondsToTarget = Double.NaN;
        double smoothRep = Double.NaN, smoothOther = Double.NaN;
        recentNanos[0] = start;
        while (step < options.steps()) {
            StepResult r = step();
            int done = step - firstStep;
            long now = System.nanoTime();
            recentNanos[done % (SMOOTHING_WINDOW + 1)] = now;
            int n = Math.min(step, SMOOTHING_WINDOW);
            smoothRep = mean(recentRepeated, n);
            smoothOther = mean(recentOther, n);
            int span = Math.min(done, SMOOTHING_WINDOW);
            double spanSeconds = (now - recentNanos[(done - span) % (SMOOTHING_WINDOW + 1)]) * 1e-9;
            double speed = spanSeconds > 0 ? span / spanSeconds : Double.NaN;
            double elapsed = (now - start) * 1e-9;
            listener.onStep(new TrainingProgress(step, options.steps(), r.loss(), r.repeatedLoss(), r.otherLoss(),
                    smoothRep, smoothOther, r.gradNorm(), elapsed, speed, (options.steps() - step) / speed));
            if (stepsToTarget < 0 && step >= SMOOTHING_WINDOW && smoothRep < stopBelow) {
                stepsToTarget = step;
                secondsToTarget = elapsed;
                break;
            }
        }
        return new TrainingResult(step, smoothRep, smoothOther, (System.nanoTime() - start) * 1e-9, stepsToTarget, secondsToTarget);
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
        return shares[0].layout.toWeights(params);
    }

    /**
     * Writes the current model as a checkpoint directory that lens4j loads: {@code config.json},
     * {@code model.safetensors}, {@code words.txt} (see {@link CheckpointWriter}) and {@code training.json}
     * (the options and the number of steps taken). Every file is a function of the options only.
     *
     * @param dir the directory, created if needed; existing files of the same names are replaced, as a
     *            whole (see {@link CheckpointWriter}), and other files kept
     * @throws IOException if writing fails; {@code dir} is then as it was
     */
    public void writeCheckpoint(Path dir) throws IOException {
        Map<String, Object> training = new LinkedHashMap<>(options.toJsonMap());
        training.put("steps_done", step);
        training.put("trainer", "dev.lens4j.transformer.train.InductionTrainer");
        CheckpointWriter.write(dir, config, weights(), tokenizer, training);
    }
}
