/**
 * Analyses of models of natural text, the first half of the lesson: the corpus' unigram and bigram
 * statistics ({@link dev.lens4j.analysis.text.NgramStatistics}), the direct path from embedding to
 * unembedding ({@link dev.lens4j.analysis.text.DirectPath}), the skip-trigrams of one-layer heads
 * read from their full QK and OV circuits ({@link dev.lens4j.analysis.text.SkipTrigrams}), and the
 * same-layer bug those heads cannot avoid ({@link dev.lens4j.analysis.text.SameLayerBug}).
 */
package dev.lens4j.analysis.text;
