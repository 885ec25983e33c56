/**
 * lens4j's own helpers that its modules share but users should not depend on: the strict JSON reader
 * and writer ({@link dev.lens4j.tensor.internal.Json}) behind {@code config.json}, tokenizer files,
 * checkpoint indexes and reports, and the edit distance behind the error messages' close names
 * ({@link dev.lens4j.tensor.internal.EditDistance}). The module exports this package only to lens4j's own modules; on the
 * class path it is visible, but it is not API and may change in any release.
 */
package dev.lens4j.tensor.internal;
