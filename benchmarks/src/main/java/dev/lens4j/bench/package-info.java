/**
 * JMH benchmarks of lens4j's hot paths: the scalar and Vector API kernels, GEMM, attention scores, the
 * forward pass, KV-cache decoding, a training step, composition scores and activation patching. Each
 * checks its result before it is timed; the measured numbers are in {@code docs/PERFORMANCE.md}. Not a
 * dependency of anything else.
 */
package dev.lens4j.bench;
