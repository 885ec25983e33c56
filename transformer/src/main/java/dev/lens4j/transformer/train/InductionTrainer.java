package dev.lens4j.transformer.train;

import dev.lens4j.transformer.Activation;
import dev.lens4j.transformer.ForwardOptions;
import dev.lens4j.transformer.HookedTransformer;
import dev.lens4j.transformer.LogitMetric;
import dev.lens4j.transformer.Normalization;
import dev.lens4j.transformer.PositionalEmbedding;
import dev.lens4j.transformer.TransformerConfig;
import dev.lens4j.transformer.TransformerWeights;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Trains a small transformer on {@link InductionData} until an induction circuit forms, in pure Java:
 * lens4j's {@link Trainer} with the data, vocabulary and architecture of {@link TrainingOptions}.
 *
 * <p>Each step draws a batch of {@link TrainingOptions#batchSize()} sequences, runs the engine's
 * forward and backward passes over it ({@link HookedTransformer#run} with a {@link LogitMetric}
 * backward and weight gradients: the same components, kernels and hook points as every analysis),
 * clips the global gradient norm and takes one {@link AdamW} step on the model's weights in place. The loss is the mean next-token cross-entropy over all positions, as in
 * TransformerLens; progress reports split it into the predictable (repeated) tokens and the rest.
 *
 * <pre>{@code
 * InductionTrainer trainer = new InductionTrainer(TrainingOptions.defaults());
 * TrainingResult r = trainer.train(p -> System.out.println(p.step() + " " + p.smoothedRepeatedLoss()));
 * trainer.writeCheckpoint(Path.of("induction-2l"));   // config.json, model.safetensors, words.txt
 * }</pre>
 *
 * <p>Runs are reproducible: the same options and vocabulary give the same weights bit for bit, whatever
 * the CPU, the number of threads ({@link dev.lens4j.tensor.Parallel}) or the SIMD kernels in use: the
 * passes are {@link ForwardOptions#reproducible() reproducible} ones, the initialisation and the optimizer
 * use {@link StrictMath}. Not thread-safe.
 */
public final class InductionTrainer {

    /** Number of recent steps averaged for the smoothed losses and the speed. */
    public static final int SMOOTHING_WINDOW = Trainer.SMOOTHING_WINDOW;

    private final WordTokenizer tokenizer;
    private final Trainer trainer;

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
        this(options, tokenizer, config(options, tokenizer.vocabSize()));
    }

    /**
     * A trainer for a model of any architecture the engine runs (a Llama-style block with RMSNorm,
     * rotary positions and a gated MLP, say) on the options' data and optimizer; its model is
     * initialised from the options' seed ({@link Parameters#initial}).
     *
     * @param options the run's options (their architecture fields are not used, but for the style's biases:
     *                a {@code llama} style keeps them at zero; {@code nCtx} is the data's length)
     * @param tokenizer the vocabulary; its size must be the config's {@code d_vocab}
     * @param config the model to train
     * @throws TrainingOptionException if the vocabulary makes an array too large for the options
     * @throws IllegalArgumentException if the config's vocabulary or context does not fit the data
     */
    public InductionTrainer(TrainingOptions options, WordTokenizer tokenizer, TransformerConfig config) {
        options.requireFits(tokenizer.vocabSize());
        if (config.dVocab() != tokenizer.vocabSize() || config.dVocabOut() != tokenizer.vocabSize()) {
            throw new IllegalArgumentException("the config's d_vocab " + config.dVocab() + " is not the vocabulary's size "
                    + tokenizer.vocabSize());
        }
        if (config.nCtx() < options.nCtx()) {
            throw new IllegalArgumentException("the config's n_ctx " + config.nCtx() + " is below the sequences' length " + options.nCtx());
        }
        this.tokenizer = tokenizer;
        this.trainer = new Trainer(options, config, new InductionData(tokenizer.vocabSize(), tokenizer.bosTokenId().orElseThrow(),
                options.nCtx(), options.minBlock(), options.maxBlock(), options.distinctTokens()));
    }

    /**
     * The model configuration a run with these options trains.
     *
     * @param o the options
     * @param vocabSize {@code d_vocab}
     * @return the config, with TransformerLens's field values (attention-only when {@code dMlp} is 0): for
     *     the {@code gpt2} style learned positions and {@code gelu_new}, for {@code llama} rotary
     *     positions over the whole head (base 10,000) and a gated {@code silu} MLP
     */
    public static TransformerConfig config(TrainingOptions o, int vocabSize) {
        boolean llama = o.style().equals(TrainingOptions.LLAMA);
        Normalization norm = Normalization.fromTlName(o.normalization().equals("none") ? null : o.normalization());
        TransformerConfig.Builder b = TransformerConfig.builder().nLayers(o.nLayers()).dModel(o.dModel()).nHeads(o.nHeads())
                .dHead(o.dHead()).attnOnly(o.dMlp() == 0).dMlp(o.dMlp() == 0 ? null : o.dMlp()).nCtx(o.nCtx()).dVocab(vocabSize)
                .normalization(norm).modelName(o.modelName());
        if (llama) {
            b.actFn(Activation.SILU).gatedMlp(o.dMlp() > 0).positionalEmbedding(PositionalEmbedding.ROTARY).rotaryDim(o.dHead())
                    .finalRms(norm == Normalization.RMS);
        } else {
            b.actFn(Activation.GELU_NEW);
        }
        return b.build();
    }

    /**
     * Returns the options.
     *
     * @return the options
     */
    public TrainingOptions options() {
        return trainer.options();
    }

    /**
     * Returns the configuration of the model being trained.
     *
     * @return the configuration of the model being trained
     */
    public TransformerConfig config() {
        return trainer.config();
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
        return trainer.stepsDone();
    }

    /**
     * Returns the number of parameters the optimizer updates: every weight of the model but those
     * shared with another (TransformerLens's layout keeps W_U apart from W_E, so both count) and, in the
     * {@code llama} style, the biases, which stay zero.
     *
     * @return the number of trained parameters
     */
    public long trainedParameterCount() {
        return trainer.trainedParameterCount();
    }

    /** Every parameter, the groups' arrays one after another (a copy), for tests in this package. */
    float[] params() {
        return trainer.params();
    }

    /**
     * Returns the model being trained (its weights are updated in place by every step).
     *
     * @return the live model
     */
    HookedTransformer model() {
        return trainer.model();
    }

    /**
     * Returns the trainer this one runs: the general trainer on {@link InductionData}.
     *
     * @return the trainer
     */
    public Trainer trainer() {
        return trainer;
    }

    /**
     * Takes one training step (it may go beyond {@link TrainingOptions#steps()}).
     *
     * @return the step's numbers; the repeated tokens are the predictable tokens of the copied blocks
     * @throws TrainingDivergedException naming the step if its loss or gradient norm is NaN or
     *     infinite; the parameters are then left as they were before it
     */
    public Trainer.StepResult step() {
        return trainer.step();
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
        return trainer.train(listener, stopBelow);
    }

    /**
     * Returns the current weights in TransformerLens layout (a copy).
     *
     * @return the current weights in TransformerLens layout (a copy)
     */
    public TransformerWeights weights() {
        return trainer.weights();
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
        Map<String, Object> training = new LinkedHashMap<>(options().toJsonMap());
        training.put("steps_done", stepsDone());
        training.put("trainer", "dev.lens4j.transformer.train.InductionTrainer");
        trainer.writeCheckpoint(dir, CheckpointWriter.files(tokenizer), training);
    }
}
