package dev.lens4j.transformer.train;

import dev.lens4j.transformer.TransformerConfig;
import dev.lens4j.transformer.tokenizer.BpeTrainer;
import dev.lens4j.transformer.tokenizer.HfTokenizer;
import dev.lens4j.transformer.tokenizer.TokenizerFileException;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The recipes of the lesson's models of English, {@code english-1l} and {@code english-2l}: a byte-level
 * BPE tokenizer trained on the corpus' training text, then {@link Trainer} on windows of that text
 * ({@link CorpusData}), with held-out losses measured on the held-out chapters.
 *
 * <pre>{@code
 * LessonRecipes.Prepared data = LessonRecipes.prepare(TextCorpus.web(), LessonRecipes.VOCAB_SIZE);
 * LessonRecipes.Run run = LessonRecipes.start(LessonRecipes.recipe("english-2l"), data);
 * run.trainer().train(TrainingListener.NONE, Double.NEGATIVE_INFINITY);
 * run.writeCheckpoint(Path.of("english-2l"));
 * }</pre>
 *
 * <p>Every file of the checkpoint is a function of the recipe and the corpus: the tokenizer's merges
 * break ties by id, the trainer is reproducible ({@link Trainer}).
 */
public final class LessonRecipes {

    /** The tokenizer's size: 256 bytes, 1,791 merged tokens and {@code <|endoftext|>}. */
    public static final int VOCAB_SIZE = 2048;

    /** The file name of the tokenizer in a checkpoint. */
    public static final String TOKENIZER_FILE = "tokenizer.json";

    /** Training steps of {@code english-1l}. */
    static final int STEPS = 2000;

    /**
     * Training steps of {@code english-2l}: its previous-token and induction heads form between steps 2,500 and 3,000
     * (see the model's README); the rest lower the held-out loss.
     */
    static final int STEPS_2L = 5000;

    /** Sequences per held-out batch. */
    static final int EVAL_BATCH = 32;

    /**
     * A recipe.
     *
     * @param name the model's name ({@code model_name})
     * @param options the architecture, optimizer, schedule and seed (the induction-data fields are unused)
     * @param vocabSize the tokenizer's size
     * @param repeatEvery every this many training sequences of a batch, one is a repeated passage
     *                    ({@link CorpusData}); 0 for plain text only
     * @param randomEvery every this many training sequences of a batch, one is instead random tokens with a
     *                    copied block ({@link InductionData} over the whole vocabulary, distinct tokens, mixed in
     *                    by {@link MixedData}); 0 for text only
     * @param unembedFromEmbed whether {@code W_U} starts as the transpose of {@code W_E}
     *                         ({@link Trainer#Trainer(TrainingOptions, TransformerConfig, TrainingData, boolean)})
     * @param description what the model is for, one sentence
     */
    public record Recipe(String name, TrainingOptions options, int vocabSize, int repeatEvery, int randomEvery,
                         boolean unembedFromEmbed, String description) {

        /**
         * The recipe's trainer on some data: its options, its model's config, its initialisation.
         *
         * @param data the batches
         * @return the trainer, before its first step
         */
        public Trainer trainer(TrainingData data) {
            return new Trainer(options, InductionTrainer.config(options, vocabSize), data, unembedFromEmbed);
        }
    }

    /**
     * The corpus, its tokenizer and the two token streams.
     *
     * @param corpus the corpus
     * @param tokenizerJson the tokenizer's {@code tokenizer.json}
     * @param tokenizer the tokenizer read from it
     * @param train the training text's tokens
     * @param heldOut the held-out text's tokens
     */
    public record Prepared(TextCorpus corpus, byte[] tokenizerJson, HfTokenizer tokenizer, int[] train, int[] heldOut) {

        /**
         * Returns the BOS token's id.
         *
         * @return {@code <|endoftext|>}'s id
         */
        public int bos() {
            return tokenizer.bosTokenId().orElseThrow();
        }
    }

    private LessonRecipes() {
    }

    /**
     * The names of the recipes.
     *
     * @return {@code english-1l}, {@code english-2l}
     */
    public static List<String> names() {
        return List.of("english-1l", "english-2l");
    }

    /**
     * A recipe by name.
     *
     * @param name {@code english-1l} (1 attention-only layer: the direct path and skip-trigrams) or
     *             {@code english-2l} (2 attention-only layers, trained with copied blocks for induction: previous-token
     *             and induction heads)
     * @return the recipe
     * @throws IllegalArgumentException for another name
     */
    public static Recipe recipe(String name) {
        // sized to train in minutes on two cores in the reproducible (scalar) mode: the unembedding
        // (d_model x 2,048 tokens) is most of the work of a step
        TrainingOptions base = TrainingOptions.defaults().withLearningRate(3e-3f, 100, 3e-4f).withBatchSize(8).withModelName(name);
        return switch (name) {
            case "english-1l" -> new Recipe(name, base.withArchitecture(1, 4, 64, 16, 0, 96, "LN").withSteps(STEPS).withSeed(1),
                    VOCAB_SIZE, 0, 0, false, "one attention-only layer: the direct path (bigrams) and skip-trigrams");
            // wider heads, 32 sequences a step (half of them random tokens with a copied block), a constant
            // learning rate and W_U starting as W_E's transpose: see english-2l's README for what did not work
            case "english-2l" -> new Recipe(name, base.withArchitecture(2, 4, 128, 32, 0, 96, "LN").withBatchSize(32)
                    .withLearningRate(3e-3f, 100, 3e-3f).withSteps(STEPS_2L).withSeed(1), VOCAB_SIZE, 1, 2, true,
                    "two attention-only layers trained on text with copied blocks and on random tokens with copied blocks: "
                            + "previous-token and induction heads");
            default -> throw new IllegalArgumentException("no recipe named " + name + "; there are " + names());
        };
    }

    /**
     * Trains the tokenizer on the corpus' training text and tokenizes both texts.
     *
     * @param corpus the corpus
     * @param vocabSize the tokenizer's size
     * @return the prepared data
     */
    public static Prepared prepare(TextCorpus corpus, int vocabSize) {
        String train = corpus.trainingText();
        byte[] json = BpeTrainer.train(train, vocabSize);
        HfTokenizer tok;
        try {
            tok = HfTokenizer.read(TOKENIZER_FILE, json, null, null);
        } catch (TokenizerFileException e) {
            throw new IllegalStateException("BpeTrainer wrote a tokenizer.json lens4j cannot read", e);
        }
        return new Prepared(corpus, json, tok, tok.encode(train), tok.encode(corpus.heldOutText()));
    }

    /**
     * A recipe's run: its trainer, on the prepared data.
     *
     * @param recipe the recipe
     * @param data the prepared data, of the recipe's vocabulary size
     * @return the run, before its first step
     * @throws IllegalArgumentException if the tokenizer's size is not the recipe's
     */
    public static Run start(Recipe recipe, Prepared data) {
        if (data.tokenizer().vocabSize() != recipe.vocabSize()) {
            throw new IllegalArgumentException("the recipe " + recipe.name() + " needs a tokenizer of " + recipe.vocabSize()
                    + " tokens, got " + data.tokenizer().vocabSize());
        }
        TrainingOptions o = recipe.options();
        o.requireFits(recipe.vocabSize());
        TrainingData source = new CorpusData(data.train(), data.bos(), o.nCtx(), recipe.repeatEvery());
        if (recipe.randomEvery() > 0) {
            int n = o.nCtx();
            source = new MixedData(source, new InductionData(recipe.vocabSize(), data.bos(), n, CorpusData.MIN_BLOCK, (n - 1) / 2, true),
                    recipe.randomEvery(), "random tokens with a copied block (InductionData, distinct tokens)");
        }
        return new Run(recipe, data, recipe.trainer(source));
    }

    /**
     * A recipe being trained.
     *
     * @param recipe the recipe
     * @param data the corpus, tokenizer and token streams
     * @param trainer the trainer
     */
    public record Run(Recipe recipe, Prepared data, Trainer trainer) {

        /**
         * The held-out sequences: the held-out text in consecutive windows of {@code n_ctx - 1} tokens, BOS first.
         *
         * @param maxSequences at most this many windows, from the start
         * @return the batches
         */
        public List<TrainingBatch> heldOut(int maxSequences) {
            int pos = recipe.options().nCtx();
            int tokens = Math.min(data.heldOut().length, maxSequences * (pos - 1));
            return CorpusData.windows(java.util.Arrays.copyOf(data.heldOut(), tokens), data.bos(), pos, EVAL_BATCH);
        }

        /**
         * The model's mean loss on every held-out window.
         *
         * @return the evaluation
         */
        public Trainer.Evaluation evaluateHeldOut() {
            return trainer.evaluate(heldOut(Integer.MAX_VALUE));
        }

        /**
         * Writes the checkpoint: config, weights, {@code tokenizer.json} and {@code training.json} (the
         * recipe, the corpus, the steps done and the held-out loss, measured now).
         *
         * @param dir the directory, created if needed; files of the same names are replaced, as a whole
         * @throws IOException if writing fails; {@code dir} is then as it was
         */
        public void writeCheckpoint(Path dir) throws IOException {
            Map<String, Object> training = new LinkedHashMap<>(recipe.options().toJsonMap());
            // the induction data's fields do not apply to a corpus
            training.remove("min_block");
            training.remove("max_block");
            training.remove("distinct_tokens");
            training.putAll(trainer.data().toJsonMap());
            training.put("corpus", data.corpus().name());
            training.put("corpus_documents", data.corpus().documents().size());
            training.put("held_out_every", TextCorpus.HELD_OUT_EVERY);
            training.put("tokenizer", "byte-level BPE trained on the training text by dev.lens4j.transformer.tokenizer.BpeTrainer");
            training.put("vocab_size", recipe.vocabSize());
            training.put("training_tokens", data.train().length);
            training.put("held_out_tokens", data.heldOut().length);
            training.put("steps_done", trainer.stepsDone());
            training.put("held_out_loss", evaluateHeldOut().loss());
            training.put("trainer", "dev.lens4j.transformer.train.Trainer");
            if (recipe.unembedFromEmbed()) {
                training.put("unembed_init", "the transpose of W_E");
            }
            trainer.writeCheckpoint(dir, Map.of(TOKENIZER_FILE, data.tokenizerJson()), training);
        }
    }
}
