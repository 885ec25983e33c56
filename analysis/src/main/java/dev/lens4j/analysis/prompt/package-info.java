/**
 * Quick checks of what a model predicts for a prompt, as TransformerLens users run them in a notebook:
 * {@link dev.lens4j.analysis.prompt.TestPrompt}, TransformerLens's {@code utils.test_prompt} (the rank,
 * logit and probability of each answer token and the top tokens at each answer position), as a value
 * and as TransformerLens's print-out.
 */
package dev.lens4j.analysis.prompt;
