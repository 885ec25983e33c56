/**
 * Reading and writing tensors and their files: safetensors checkpoints, memory-mapped and validated
 * when opened ({@link dev.lens4j.tensor.io.SafetensorsFile}, {@link dev.lens4j.tensor.io.SafetensorsWriter}),
 * with their element types ({@link dev.lens4j.tensor.io.DType}, {@link dev.lens4j.tensor.io.Float16});
 * NumPy {@code .npy} files ({@link dev.lens4j.tensor.io.Npy}); and a strict JSON reader and writer
 * ({@link dev.lens4j.tensor.internal.Json}) for {@code config.json}, tokenizer files and checkpoint indexes.
 * A malformed file throws an exception that names the file and, where one is at fault, the tensor.
 */
package dev.lens4j.tensor.io;
