/**
 * Tokenizers with TransformerLens's conveniences ({@link dev.lens4j.transformer.tokenizer.Tokenizer}:
 * {@code to_tokens}, {@code to_str_tokens}, {@code to_single_token}, {@code to_string}): GPT-2's byte-level
 * BPE, token for token as OpenAI's {@code encoder.py} and Hugging Face's {@code GPT2Tokenizer}
 * ({@link dev.lens4j.transformer.tokenizer.Gpt2Tokenizer}), read from {@code vocab.json} and
 * {@code merges.txt} or {@code tokenizer.json}; an unusable file throws a
 * {@link dev.lens4j.transformer.tokenizer.TokenizerFileException} that names it.
 */
package dev.lens4j.transformer.tokenizer;
