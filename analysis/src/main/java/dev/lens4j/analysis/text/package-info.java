/**
 * Analyses of models of natural text, the first half of the lesson: the corpus' unigram and bigram
 * statistics ({@link dev.lens4j.analysis.text.NgramStatistics}), the direct path from embedding to
 * unembedding ({@link dev.lens4j.analysis.text.DirectPath}), the token-level QK and OV circuits of a
 * layer ({@link dev.lens4j.analysis.text.TokenCircuits}), the skip-trigrams of one-layer heads read
 * from them, where they fire in real text and the same-layer bug those heads cannot avoid
 * ({@link dev.lens4j.analysis.text.SkipTrigrams}), induction on natural text with the heads' fallbacks
 * where there is nothing to copy ({@link dev.lens4j.analysis.text.NaturalTextInduction}), and the lesson's
 * measurements on a model of the shipped corpus in one place ({@link dev.lens4j.analysis.text.EnglishLesson}).
 */
package dev.lens4j.analysis.text;
