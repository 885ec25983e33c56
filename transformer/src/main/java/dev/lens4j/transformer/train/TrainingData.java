package dev.lens4j.transformer.train;

import java.util.Map;
import java.util.SplittableRandom;

/**
 * Where a {@link Trainer} takes its batches from: {@link InductionData} (random tokens with a copied
 * block) or {@link CorpusData} (windows of a tokenized text). A source is a function of the random
 * generator it is handed, so that a run is reproducible.
 */
public interface TrainingData {

    /**
     * Returns the length of every sequence, BOS included.
     *
     * @return the sequence length
     */
    int pos();

    /**
     * Draws a batch.
     *
     * @param rng the random source, advanced
     * @param batch number of sequences
     * @return the batch, {@code [batch, pos()]}
     */
    TrainingBatch next(SplittableRandom rng, int batch);

    /**
     * Returns what the data is, as JSON-ready key-value pairs for {@code training.json}.
     *
     * @return the description (empty when the options already say everything)
     */
    Map<String, Object> toJsonMap();
}
