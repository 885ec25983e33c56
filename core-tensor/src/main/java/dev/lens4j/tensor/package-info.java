/**
 * The tensor core: {@link dev.lens4j.tensor.Tensor}, an n-dimensional float32 array over heap or
 * memory-mapped storage with zero-copy views and NumPy broadcasting; the functions a transformer needs
 * with TransformerLens's semantics ({@link dev.lens4j.tensor.Functional}: layer norm, {@code gelu_new},
 * cross-entropy); shape arithmetic ({@link dev.lens4j.tensor.Shapes}); and the one way lens4j runs work
 * on several cores ({@link dev.lens4j.tensor.Parallel}), whose results do not depend on the thread count.
 */
package dev.lens4j.tensor;
