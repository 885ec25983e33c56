package dev.lens4j.tensor.io;

import java.util.Arrays;

/**
 * Where one tensor of a safetensors file lives and how to read it.
 *
 * @param name the tensor's name in the header
 * @param dtype its element type
 * @param shape its shape, row-major (C order); {@code []} is a scalar
 * @param fileOffset byte offset of its first element from the start of the file (header included)
 * @param byteLength its size in bytes, {@code numel * dtype bits / 8}
 */
public record TensorInfo(String name, DType dtype, int[] shape, long fileOffset, long byteLength) {

    /**
     * Copies {@code shape}, so later changes to the caller's array do not leak in.
     *
     * @param name the tensor's name in the header
     * @param dtype its element type
     * @param shape its shape
     * @param fileOffset byte offset of its first element from the start of the file
     * @param byteLength its size in bytes
     */
    public TensorInfo {
        shape = shape.clone();
    }

    /**
     * The shape.
     *
     * @return a copy of the shape
     */
    @Override
    public int[] shape() {
        return shape.clone();
    }

    /**
     * The number of elements.
     *
     * @return the number of elements (1 for a scalar, 0 when a dimension is 0)
     */
    public long numel() {
        long n = 1;
        for (int d : shape) {
            n *= d;
        }
        return n;
    }

    /**
     * The number of dimensions.
     *
     * @return the number of dimensions
     */
    public int rank() {
        return shape.length;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TensorInfo t && name.equals(t.name) && dtype == t.dtype && Arrays.equals(shape, t.shape)
                && fileOffset == t.fileOffset && byteLength == t.byteLength;
    }

    @Override
    public int hashCode() {
        return ((name.hashCode() * 31 + dtype.hashCode()) * 31 + Arrays.hashCode(shape)) * 31 + Long.hashCode(fileOffset);
    }

    @Override
    public String toString() {
        return name + " " + dtype + Arrays.toString(shape) + " @" + fileOffset + "+" + byteLength;
    }
}
