/**
 * Single-precision matrix multiplication: {@link dev.lens4j.tensor.matmul.Gemm}, a packed, blocked,
 * multi-threaded GEMM over strided views ({@link dev.lens4j.tensor.matmul.MatrixOperand}) of heap or
 * memory-mapped data, around a register-tile micro-kernel ({@link dev.lens4j.tensor.matmul.GemmMicroKernel})
 * that is plain Java or the Vector API one, chosen as the other kernels are.
 */
package dev.lens4j.tensor.matmul;
