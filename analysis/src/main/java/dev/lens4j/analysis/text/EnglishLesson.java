package dev.lens4j.analysis.text;

import dev.lens4j.analysis.attribution.ComponentStack;
import dev.lens4j.analysis.attribution.DirectLogitAttribution;
import dev.lens4j.analysis.attribution.ResidualStream;
import dev.lens4j.tensor.Tensor;
import dev.lens4j.transformer.ForwardResult;
import dev.lens4j.transformer.HookedTransformer;
import dev.lens4j.transformer.train.CorpusData;
import dev.lens4j.transformer.train.TextCorpus;
import dev.lens4j.transformer.train.TrainingBatch;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The measurements of the lesson's first half on a model of the shipped corpus, in one place: what
 * {@code lens4j lesson} prints and the docs quote. The corpus is tokenized with the model's tokenizer;
 * the n-gram statistics are counted on the training text, every loss is measured on held-out windows
 * ({@link CorpusData#windows}: BOS and {@code n_ctx - 1} consecutive tokens).
 *
 * <pre>{@code
 * EnglishLesson lesson = EnglishLesson.of(TextCorpus.web(), model);
 * double bigram = lesson.stats().bigramLoss(lesson.heldOut(), lesson.bos());
 * double[] dla = lesson.directLogitShares(model, 64);   // embed, pos_embed, attention
 * }</pre>
 */
public final class EnglishLesson {

    /** Windows per forward pass. */
    private static final int CHUNK = 32;

    private final TextCorpus corpus;
    private final int bos;
    private final int[] trainTokens;
    private final int[] heldOutTokens;
    private final NgramStatistics stats;
    private final int[][] heldOut;

    private EnglishLesson(TextCorpus corpus, int bos, int[] trainTokens, int[] heldOutTokens, NgramStatistics stats, int[][] heldOut) {
        this.corpus = corpus;
        this.bos = bos;
        this.trainTokens = trainTokens;
        this.heldOutTokens = heldOutTokens;
        this.stats = stats;
        this.heldOut = heldOut;
    }

    /**
     * Tokenizes the corpus with a model's tokenizer and counts its statistics.
     *
     * @param corpus the corpus
     * @param model a model of it, with a tokenizer that has a BOS token
     * @return the lesson's data
     * @throws IllegalArgumentException if the model has no tokenizer or no BOS token
     */
    public static EnglishLesson of(TextCorpus corpus, HookedTransformer model) {
        if (!model.hasTokenizer() || model.tokenizer().bosTokenId().isEmpty()) {
            throw new IllegalArgumentException("the lesson needs a model with a tokenizer that has a BOS token");
        }
        int bos = model.tokenizer().bosTokenId().getAsInt();
        int[] train = model.tokenizer().encode(corpus.trainingText());
        int[] held = model.tokenizer().encode(corpus.heldOutText());
        List<int[]> rows = new ArrayList<>();
        for (TrainingBatch b : CorpusData.windows(held, bos, model.config().nCtx(), CHUNK)) {
            rows.addAll(List.of(b.tokenRows()));
        }
        return new EnglishLesson(corpus, bos, train, held, NgramStatistics.of(train, model.config().dVocab()),
                rows.toArray(int[][]::new));
    }

    /**
     * Reads the shipped corpus and tokenizes it with a model's tokenizer.
     *
     * @param model a model of it
     * @return the lesson's data
     * @throws IOException if the corpus cannot be read
     */
    public static EnglishLesson ofShippedCorpus(HookedTransformer model) throws IOException {
        return of(TextCorpus.web(), model);
    }

    /**
     * Returns the corpus.
     *
     * @return the corpus
     */
    public TextCorpus corpus() {
        return corpus;
    }

    /**
     * Returns the BOS token.
     *
     * @return its id
     */
    public int bos() {
        return bos;
    }

    /**
     * Returns the training text's tokens.
     *
     * @return {@code [n]} (not a copy)
     */
    public int[] trainTokens() {
        return trainTokens;
    }

    /**
     * Returns the held-out text's tokens.
     *
     * @return {@code [n]} (not a copy)
     */
    public int[] heldOutTokens() {
        return heldOutTokens;
    }

    /**
     * Returns the training text's unigram and bigram statistics.
     *
     * @return the statistics
     */
    public NgramStatistics stats() {
        return stats;
    }

    /**
     * Returns every held-out window.
     *
     * @return {@code [windows][n_ctx]}, BOS first (not a copy)
     */
    public int[][] heldOut() {
        return heldOut;
    }

    /**
     * The first held-out windows.
     *
     * @param n how many
     * @return {@code [min(n, windows)][n_ctx]}
     */
    public int[][] heldOut(int n) {
        return Arrays.copyOf(heldOut, Math.min(n, heldOut.length));
    }

    /**
     * A model's mean loss on held-out windows.
     *
     * @param model the model
     * @param rows the windows
     * @return nats per token, over every target
     */
    public static double loss(HookedTransformer model, int[][] rows) {
        double sum = 0;
        for (int from = 0; from < rows.length; from += CHUNK) {
            int[][] chunk = Arrays.copyOfRange(rows, from, Math.min(rows.length, from + CHUNK));
            sum += (double) model.loss(chunk) * chunk.length;
        }
        return sum / rows.length;
    }

    /**
     * How much the embedding, the positional embedding and the attention output each raise the correct
     * next token's logit, by direct logit attribution (TransformerLens's {@code logit_attrs} on
     * {@code decompose_resid}): the mean over every target of the first {@code windows} held-out windows.
     * On processed weights (centred unembedding) the three add up to the correct logit minus the mean logit.
     *
     * @param model a one-layer model
     * @param windows how many held-out windows
     * @return {@code [embed, pos_embed, attention]}
     * @throws IllegalArgumentException for a model of more than one layer
     */
    public double[] directLogitShares(HookedTransformer model, int windows) {
        if (model.config().nLayers() != 1 || !model.config().attnOnly()) {
            throw new IllegalArgumentException("the direct path's share is measured on a one-layer attention-only model, got "
                    + model.config().nLayers() + " layers");
        }
        int[][] rows = heldOut(windows);
        ForwardResult run = model.runWithCache(rows);
        ResidualStream stream = ResidualStream.of(model, run.cache());
        ComponentStack stack = stream.decomposeResid(-1, false, ResidualStream.Mode.ALL, false, true);
        int[][] next = new int[rows.length][];
        for (int b = 0; b < rows.length; b++) {
            next[b] = new int[rows[b].length];
            for (int t = 0; t < rows[b].length; t++) {
                next[b][t] = t + 1 < rows[b].length ? rows[b][t + 1] : rows[b][t]; // the last position has no target: dropped below
            }
        }
        ComponentStack attrs = new DirectLogitAttribution(stream).logitAttrs(stack, next, null); // [component, batch, pos]
        String[] labels = {"embed", "pos_embed", "0_attn_out"};
        double[] out = new double[labels.length];
        for (int c = 0; c < labels.length; c++) {
            out[c] = attrs.get(labels[c]).slice(1, 0, rows[0].length - 1).contiguous().mean();
        }
        return out;
    }

    /**
     * The mean scales of layer 0's input norm and of the final norm on held-out windows: what
     * {@link TokenCircuits} divides the embeddings by.
     *
     * @param model the model
     * @param windows how many held-out windows
     * @return {@code [ln1 scale, final scale]}, 1 where the model has no such norm
     */
    public float[] normScales(HookedTransformer model, int windows) {
        ForwardResult run = model.runWithCache(heldOut(windows), n -> n.endsWith("hook_scale"));
        String ln1 = "blocks.0.ln1.hook_scale", fin = "ln_final.hook_scale";
        return new float[] {run.cache().contains(ln1) ? run.cache().get(ln1).mean() : 1f,
                run.cache().contains(fin) ? run.cache().get(fin).mean() : 1f};
    }

    /**
     * The loss on held-out passages shown twice: BOS, {@code (n_ctx - 1) / 2} consecutive held-out tokens,
     * the same tokens again. The second copy can be predicted by looking back, which an induction circuit
     * does; the first only from the text's statistics.
     *
     * @param model the model
     * @param passages how many passages, spread evenly over the held-out text
     * @return {@code [loss on the first copy, loss on the second]}, each over the copy's second to last tokens
     */
    public double[] repeatedPassageLosses(HookedTransformer model, int passages) {
        int half = (model.config().nCtx() - 1) / 2;
        int[][] rows = new int[passages][1 + 2 * half];
        for (int b = 0; b < passages; b++) {
            int start = (int) ((long) b * (heldOutTokens.length - half) / passages);
            rows[b][0] = bos;
            System.arraycopy(heldOutTokens, start, rows[b], 1, half);
            System.arraycopy(heldOutTokens, start, rows[b], 1 + half, half);
        }
        double first = 0, second = 0;
        for (int from = 0; from < passages; from += CHUNK) {
            int[][] chunk = Arrays.copyOfRange(rows, from, Math.min(passages, from + CHUNK));
            Tensor loss = model.perTokenLoss(chunk); // [batch, pos - 1]: column t predicts token t + 1
            for (int b = 0; b < chunk.length; b++) {
                for (int t = 1; t < half; t++) {
                    first += loss.get(b, t);
                }
                for (int t = half + 1; t < 2 * half; t++) {
                    second += loss.get(b, t);
                }
            }
        }
        return new double[] {first / (passages * (half - 1)), second / (passages * (half - 1))};
    }

    /**
     * The skip-trigrams of a one-layer model's heads and where they fire in all the held-out text.
     *
     * @param circuits the token circuits of its layer, scaled by {@link #normScales}
     * @param triples the top triples of every head, head by head, best first
     * @param firings where they fire: attention of at least {@code minAttention} on the source
     * @param bugs the firings that are same-layer bug instances ({@link SkipTrigrams#bugInstances}), largest head logit first
     */
    public record SkipTrigramScan(TokenCircuits circuits, List<SkipTrigrams.Triple> triples, List<SkipTrigrams.Firing> firings,
                                  List<SkipTrigrams.Firing> bugs) {}

    /**
     * Reads the top skip-trigrams of each head of a one-layer model from its token circuits (candidates:
     * the {@code common} most frequent tokens) and finds where they fire in every held-out window,
     * {@link #CHUNK} windows per run with cache. Firing sequence indices are indices into {@link #heldOut()}.
     *
     * @param model the one-layer model
     * @param common how many of the most frequent tokens are candidates
     * @param perHead how many triples per head
     * @param minAttention the least attention on the source for a firing
     * @param minHeadLogit the least logit the head adds to the boosted token for a bug instance
     * @return the scan
     */
    public SkipTrigramScan skipTrigrams(HookedTransformer model, int common, int perHead, float minAttention, float minHeadLogit) {
        float[] scales = normScales(model, 64);
        TokenCircuits circuits = new TokenCircuits(model.config(), model.weights(), 0, scales[0], scales[1]);
        int[] candidates = stats.mostFrequent(common, bos);
        List<SkipTrigrams.Triple> triples = new ArrayList<>();
        for (int h = 0; h < model.config().nHeads(); h++) {
            triples.addAll(SkipTrigrams.top(circuits, h, candidates, perHead));
        }
        List<SkipTrigrams.Firing> firings = new ArrayList<>();
        for (int from = 0; from < heldOut.length; from += CHUNK) {
            int[][] chunk = Arrays.copyOfRange(heldOut, from, Math.min(heldOut.length, from + CHUNK));
            for (SkipTrigrams.Firing f : SkipTrigrams.firings(model, chunk, triples, minAttention)) {
                firings.add(new SkipTrigrams.Firing(f.head(), f.sequence() + from, f.destPos(), f.sourcePos(), f.attention(),
                        f.headLogit(), f.out(), f.next(), f.predicted()));
            }
        }
        return new SkipTrigramScan(circuits, List.copyOf(triples), List.copyOf(firings), SkipTrigrams.bugInstances(firings, minHeadLogit));
    }
}
