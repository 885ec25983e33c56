package dev.lens4j.tensor;

import dev.lens4j.tensor.internal.StorageWatch;
import dev.lens4j.tensor.io.Float16;
import dev.lens4j.tensor.kernel.KernelProvider;
import dev.lens4j.tensor.kernel.Kernels;
import dev.lens4j.tensor.matmul.Gemm;
import dev.lens4j.tensor.matmul.MatrixOperand;
import dev.lens4j.tensor.matmul.StorageType;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.function.IntUnaryOperator;

/**
 * An n-dimensional float32 array: a shape, strides and an offset over storage that is either a heap
 * {@code float[]} or a little-endian {@link MemorySegment} of float32 or, read-only, of bfloat16 or
 * half precision ({@link #wrap(StorageType, MemorySegment, int...)}: elements widen to float32 where
 * they are read, and {@link #asMatrix()} hands the 16-bit storage to GEMM as it is) (for example a memory-mapped
 * checkpoint).
 *
 * <p>Views share storage and copy nothing: {@link #reshape}, {@link #permute}, {@link #transpose},
 * {@link #slice}, {@link #select}, {@link #unsqueeze}, {@link #squeeze}, {@link #broadcastTo}.
 * Operations ({@link #add}, {@link #sum(int, boolean)}, {@link #matmul}, ...) return new contiguous
 * heap tensors and follow NumPy broadcasting. Writes ({@link #set}) go through to the storage, so
 * they are visible in every view of it; segment-backed tensors from read-only mappings refuse writes.
 *
 * <pre>{@code
 * Tensor x = Tensor.of(new float[] {1, 2, 3, 4, 5, 6}, 2, 3);   // [[1, 2, 3], [4, 5, 6]]
 * Tensor y = x.transpose(0, 1);                                // [3, 2], a view
 * Tensor s = x.sum(-1, false);                                 // [2]: [6, 15]
 * Tensor z = x.matmul(y);                                      // [2, 2]: [[14, 32], [32, 77]]
 * }</pre>
 *
 * <p>Shapes are limited to 2^31-1 elements per tensor. Tensors are not thread-safe for concurrent
 * writes; concurrent reads are fine.
 */
public final class Tensor {

    private static final ValueLayout.OfFloat F32_LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort S16_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final float[] array;          // heap storage, or null
    private final MemorySegment segment;  // off-heap storage (little-endian, of segmentType), or null
    private final StorageType segmentType; // F32 for heap storage; the segment's element type otherwise
    private final long offset;            // element index of the first element
    private final int[] shape;
    private final int[] strides;          // in elements; 0 for broadcast dimensions
    private final int size;

    private Tensor(float[] array, MemorySegment segment, long offset, int[] shape, int[] strides) {
        this(array, segment, StorageType.F32, offset, shape, strides);
    }

    private Tensor(float[] array, MemorySegment segment, StorageType segmentType, long offset, int[] shape, int[] strides) {
        this.array = array;
        this.segment = segment;
        this.segmentType = segmentType;
        this.offset = offset;
        this.shape = shape;
        this.strides = strides;
        this.size = Shapes.numel(shape);
    }

    // ------------------------------------------------------------------ creation

    /**
     * Wraps a heap array without copying.
     *
     * @param data the elements in row-major order; used as storage, not copied
     * @param shape the shape; its element count must equal {@code data.length}
     * @return the tensor
     * @throws IllegalArgumentException when the sizes differ
     */
    public static Tensor of(float[] data, int... shape) {
        int n = Shapes.numel(shape);
        if (n != data.length) {
            throw new IllegalArgumentException("shape " + Shapes.str(shape) + " needs " + n
                    + " elements but the array has " + data.length);
        }
        return new Tensor(data, null, 0, shape.clone(), Shapes.contiguousStrides(shape));
    }

    /**
     * Wraps little-endian float32 data in a memory segment without copying (for memory-mapped
     * weights). The segment must stay alive (its arena open) while the tensor is used.
     *
     * @param segment float32 little-endian data, exactly {@code 4 * numel(shape)} bytes
     * @param shape the shape
     * @return the tensor
     */
    public static Tensor wrap(MemorySegment segment, int... shape) {
        long n = Shapes.numel(shape);
        if (segment.byteSize() != n * 4) {
            throw new IllegalArgumentException("shape " + Shapes.str(shape) + " needs " + (n * 4)
                    + " bytes of float32 but the segment has " + segment.byteSize());
        }
        return new Tensor(null, segment, 0, shape.clone(), Shapes.contiguousStrides(shape));
    }

    /**
     * Wraps little-endian data of any {@link StorageType} in a memory segment without copying, e.g. a
     * bfloat16 tensor of a memory-mapped safetensors file: elements widen exactly to float32 where
     * they are read ({@link #get}, {@link #copy}, every operation), and {@link #asMatrix()} gives GEMM
     * the 16-bit storage itself, so a 16-bit weight costs 2 bytes per element. A 16-bit tensor is
     * read-only (writes throw); the segment must stay alive (its arena open) while the tensor is used.
     *
     * @param type how the elements are stored
     * @param segment the data, exactly {@code type.bytes() * numel(shape)} bytes
     * @param shape the shape
     * @return the tensor
     * @throws IllegalArgumentException when the sizes differ
     */
    public static Tensor wrap(StorageType type, MemorySegment segment, int... shape) {
        long n = Shapes.numel(shape);
        if (segment.byteSize() != n * type.bytes()) {
            throw new IllegalArgumentException("shape " + Shapes.str(shape) + " needs " + (n * type.bytes())
                    + " bytes of " + type + " but the segment has " + segment.byteSize());
        }
        return new Tensor(null, segment, type, 0, shape.clone(), Shapes.contiguousStrides(shape));
    }

    /**
     * How the elements are stored: {@link StorageType#F32} for heap tensors and float32 segments, the
     * 16-bit type of a tensor made by {@link #wrap(StorageType, MemorySegment, int...)}.
     *
     * @return the storage's element type
     */
    public StorageType storageType() {
        return segmentType;
    }

    /**
     * A new tensor of zeros.
     *
     * @param shape the shape
     * @return a tensor of zeros
     */
    public static Tensor zeros(int... shape) {
        return new Tensor(new float[Shapes.numel(shape)], null, 0, shape.clone(), Shapes.contiguousStrides(shape));
    }

    /**
     * A new tensor of ones.
     *
     * @param shape the shape
     * @return a tensor of ones
     */
    public static Tensor ones(int... shape) {
        return full(1f, shape);
    }

    /**
     * A new tensor filled with one value.
     *
     * @param value the fill value
     * @param shape the shape
     * @return a tensor with every element equal to {@code value}
     */
    public static Tensor full(float value, int... shape) {
        float[] d = new float[Shapes.numel(shape)];
        Arrays.fill(d, value);
        return of(d, shape);
    }

    /**
     * A rank-0 tensor (shape {@code []}) holding one value.
     *
     * @param value the value
     * @return a rank-0 tensor
     */
    public static Tensor scalar(float value) {
        return of(new float[] {value});
    }

    /**
     * The integers {@code 0 .. n-1}, like {@code torch.arange(n)}.
     *
     * @param n the length
     * @return {@code [0, 1, ..., n-1]} as a rank-1 tensor
     */
    public static Tensor arange(int n) {
        if (n < 0) {
            throw new IllegalArgumentException("arange: the length must not be negative, got " + n);
        }
        float[] d = new float[n];
        for (int i = 0; i < n; i++) {
            d[i] = i;
        }
        return of(d, n);
    }

    /**
     * The identity matrix.
     *
     * @param n the size
     * @return the {@code [n, n]} identity matrix
     */
    public static Tensor eye(int n) {
        if (n < 0 || (long) n * n > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("eye: the size must be between 0 and 46340, got " + n);
        }
        float[] d = new float[n * n];
        for (int i = 0; i < n; i++) {
            d[i * n + i] = 1f;
        }
        return of(d, n, n);
    }

    /**
     * Standard normal samples, reproducible for a seed.
     *
     * @param seed the seed
     * @param shape the shape
     * @return the tensor
     */
    public static Tensor randn(long seed, int... shape) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] d = new float[Shapes.numel(shape)];
        for (int i = 0; i < d.length; i++) {
            // Box-Muller; nextDouble is in [0, 1), so use 1 - u to avoid log(0).
            double u = 1.0 - r.nextDouble();
            double v = r.nextDouble();
            d[i] = (float) (Math.sqrt(-2.0 * Math.log(u)) * Math.cos(2 * Math.PI * v));
        }
        return of(d, shape);
    }

    /**
     * Uniform samples in {@code [0, 1)}, reproducible for a seed.
     *
     * @param seed the seed
     * @param shape the shape
     * @return the tensor
     */
    public static Tensor rand(long seed, int... shape) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] d = new float[Shapes.numel(shape)];
        for (int i = 0; i < d.length; i++) {
            d[i] = (float) r.nextDouble();
        }
        return of(d, shape);
    }

    // ------------------------------------------------------------------ shape and storage

    /**
     * The shape.
     *
     * @return a copy of the shape
     */
    public int[] shape() {
        return shape.clone();
    }

    /**
     * The size of one dimension.
     *
     * @param axis an axis, negative counts from the end
     * @return the size of that dimension
     * @throws IllegalArgumentException naming the shape when the axis is out of range
     */
    public int dim(int axis) {
        return shape[Shapes.axis(axis, shape)];
    }

    /**
     * The rank.
     *
     * @return the number of dimensions
     */
    public int rank() {
        return shape.length;
    }

    /**
     * The number of elements, the product of the shape.
     *
     * @return the number of elements
     */
    public int size() {
        return size;
    }

    /**
     * The strides: how many elements of the storage apart consecutive indices along each dimension are.
     *
     * @return a copy of the strides, in elements
     */
    public int[] strides() {
        return strides.clone();
    }

    /**
     * Whether the elements lie in row-major order with no gaps, so that kernels can read them as one range.
     *
     * @return true when the elements lie in row-major order with no gaps
     */
    public boolean isContiguous() {
        int expected = 1;
        for (int i = shape.length - 1; i >= 0; i--) {
            if (shape[i] != 1 && strides[i] != expected) {
                return false;
            }
            expected *= shape[i];
        }
        return true;
    }

    /**
     * Whether the storage is a heap {@code float[]} (rather than a memory segment).
     *
     * @return true when the storage is a heap array
     */
    public boolean isHeap() {
        return array != null;
    }

    /**
     * The heap array behind a contiguous heap tensor, for kernels that work on arrays; element
     * {@code i} (row-major) is at {@code heapArray()[heapOffset() + i]}. Writes are visible through
     * every view of the storage.
     *
     * @return the array
     * @throws IllegalStateException when the tensor is not a contiguous heap tensor (call {@link #contiguous()} first)
     */
    public float[] heapArray() {
        requireHeapContiguous();
        StorageWatch.escaped(array);   // the caller may write it at any time: a model's packed copy of it is stale for good
        return array;
    }

    private void requireHeapContiguous() {
        if (array == null) {
            throw new IllegalStateException("tensor " + Shapes.str(shape) + " is stored in a memory segment, not a heap"
                    + " array; call contiguous() for a heap copy");
        }
        if (!isContiguous()) {
            throw new IllegalStateException("tensor " + Shapes.str(shape) + " with strides " + Arrays.toString(strides)
                    + " is not contiguous (contiguous strides would be " + Arrays.toString(Shapes.contiguousStrides(shape))
                    + "); call contiguous() first");
        }
    }

    /**
     * The index of this tensor's first element in {@link #heapArray()}.
     *
     * @return the index of the first element in {@link #heapArray()}
     * @throws IllegalStateException when the tensor is not a contiguous heap tensor, as {@link #heapArray()}
     */
    public int heapOffset() {
        requireHeapContiguous();
        return (int) offset;
    }

    /**
     * Whether this tensor and another are views of the same storage.
     *
     * @param other another tensor
     * @return true when the two tensors share the same storage object
     */
    public boolean sharesStorageWith(Tensor other) {
        return (array != null && array == other.array) || (segment != null && segment == other.segment);
    }

    /**
     * The heap array this tensor is a view of, contiguous or not (for code that keeps arrays parallel
     * to a model's weights, such as an optimizer's moments); element {@code (i, j, ...)} is at
     * {@code offset + i * strides[0] + j * strides[1] + ...}.
     *
     * @return the array, or null when the tensor is off-heap
     */
    public float[] heapStorage() {
        StorageWatch.escaped(array);
        return array;
    }

    /**
     * The same view (offset, shape and strides) over a new array of zeros as long as this tensor's heap
     * storage: for example the gradient of a weight that is a strided view of a larger array, kept in an
     * array parallel to the weight's. {@code parallel} maps this tensor's storage array to that array, so
     * views of one storage get views of one parallel array.
     *
     * @param parallel gives the parallel array for a storage array (called with this tensor's storage)
     * @return a tensor laid out as this one over the parallel array
     * @throws IllegalArgumentException if this tensor is not on the heap or the parallel array's length differs
     */
    public Tensor sameViewOver(java.util.function.UnaryOperator<float[]> parallel) {
        if (array == null) {
            throw new IllegalArgumentException("sameViewOver needs a heap tensor; this one is off-heap, shape " + Shapes.str(shape));
        }
        StorageWatch.escaped(array);   // the function sees the array itself
        return sameViewOf(parallel.apply(array));
    }

    /**
     * The same view (offset, shape and strides) over another heap array of the same length: for
     * example the gradient of a weight that is a strided view of a larger array, kept in an array
     * parallel to the weight's.
     *
     * @param other an array as long as this tensor's heap array
     * @return a tensor over {@code other}, laid out as this one
     * @throws IllegalArgumentException if this tensor is not on the heap or the lengths differ
     */
    public Tensor sameViewOf(float[] other) {
        if (array == null) {
            throw new IllegalArgumentException("sameViewOf needs a heap tensor; this one is off-heap, shape " + Shapes.str(shape));
        }
        if (other == null || other.length != array.length) {
            throw new IllegalArgumentException("sameViewOf needs an array of " + array.length + " floats, got "
                    + (other == null ? "null" : other.length));
        }
        return new Tensor(other, null, offset, shape, strides);
    }

    private float load(long idx) {
        if (array != null) {
            return array[(int) idx];
        }
        return segmentType == StorageType.F32 ? segment.getAtIndex(F32_LE, idx) : segmentType.widen(segment.getAtIndex(S16_LE, idx));
    }

    private void store(long idx, float v) {
        if (array != null) {
            array[(int) idx] = v;
        } else {
            segment.setAtIndex(F32_LE, idx, v);
        }
    }

    private long index(int... idx) {
        if (idx.length != shape.length) {
            throw new IllegalArgumentException("index " + Arrays.toString(idx) + " has " + idx.length
                    + " coordinates but the tensor has shape " + Shapes.str(shape));
        }
        long p = offset;
        for (int i = 0; i < idx.length; i++) {
            int c = idx[i] < 0 ? idx[i] + shape[i] : idx[i];
            if (c < 0 || c >= shape[i]) {
                throw new IllegalArgumentException("index " + Arrays.toString(idx) + " is out of range for shape " + Shapes.str(shape));
            }
            p += (long) c * strides[i];
        }
        return p;
    }

    /**
     * Reads one element.
     *
     * @param idx one coordinate per dimension (negative counts from the end)
     * @return the element
     */
    public float get(int... idx) {
        return load(index(idx));
    }

    /**
     * Writes one element (visible in every view of the storage).
     *
     * @param value the value
     * @param idx one coordinate per dimension
     * @throws IllegalArgumentException naming the index and shape when the index is out of range or
     *         the storage is a read-only memory segment
     */
    public void set(float value, int... idx) {
        long p = index(idx);
        requireWritable("write element " + Arrays.toString(idx) + " of");
        store(p, value);
        StorageWatch.written(array);
    }

    /** Throws unless the storage accepts writes; {@code action} completes "cannot ... tensor [shape]". */
    private void requireWritable(String action) {
        if (segment != null && segment.isReadOnly()) {
            throw new IllegalArgumentException("cannot " + action + " tensor " + Shapes.str(shape)
                    + ": its storage is a read-only memory segment (a read-only mapping); copy() it first");
        }
        if (segmentType != StorageType.F32) {
            throw new IllegalArgumentException("cannot " + action + " tensor " + Shapes.str(shape)
                    + ": its storage is " + segmentType + ", read-only in place; copy() it first (a float32 copy)");
        }
    }

    /**
     * The value of a one-element tensor, of any rank.
     *
     * @return the only element of a one-element tensor
     */
    public float item() {
        if (size != 1) {
            throw new IllegalArgumentException("item() needs exactly one element, tensor has shape " + Shapes.str(shape));
        }
        return load(offset);
    }

    // ------------------------------------------------------------------ views

    private Tensor view(long off, int[] newShape, int[] newStrides) {
        return new Tensor(array, segment, segmentType, off, newShape, newStrides);
    }

    /**
     * A tensor of a new shape with the same elements in row-major order; a view when the strides
     * allow it, otherwise a contiguous copy. One dimension may be {@code -1} (inferred).
     *
     * @param newShape the new shape
     * @return the reshaped tensor
     */
    public Tensor reshape(int... newShape) {
        int[] ns = inferShape(newShape);
        int[] st = viewStrides(ns);
        if (st != null) {
            return view(offset, ns, st);
        }
        return contiguousCopy().reshape(ns);
    }

    /**
     * Like {@link #reshape} but never copies.
     *
     * @param newShape the new shape
     * @return the view
     * @throws IllegalArgumentException when the strides do not allow a view
     */
    public Tensor view(int... newShape) {
        int[] ns = inferShape(newShape);
        int[] st = viewStrides(ns);
        if (st == null) {
            throw new IllegalArgumentException("cannot view a tensor of shape " + Shapes.str(shape) + " and strides "
                    + Arrays.toString(strides) + " as " + Shapes.str(ns) + " without a copy; use reshape()");
        }
        return view(offset, ns, st);
    }

    private int[] inferShape(int[] newShape) {
        int[] ns = newShape.clone();
        int infer = -1;
        long known = 1;
        for (int i = 0; i < ns.length; i++) {
            if (ns[i] == -1) {
                if (infer >= 0) {
                    throw new IllegalArgumentException("cannot reshape " + Shapes.str(shape) + " to " + Shapes.str(newShape)
                            + ": only one dimension may be -1");
                }
                infer = i;
            } else if (ns[i] < 0) {
                throw new IllegalArgumentException("cannot reshape " + Shapes.str(shape) + " to " + Shapes.str(newShape)
                        + ": dimension " + i + " is negative");
            } else {
                known *= ns[i];
            }
        }
        if (infer >= 0) {
            if (known == 0 || size % known != 0) {
                throw new IllegalArgumentException("cannot reshape " + Shapes.str(shape) + " (" + size + " elements) to " + Shapes.str(newShape));
            }
            ns[infer] = (int) (size / known);
        } else if (known != size) {
            throw new IllegalArgumentException("cannot reshape " + Shapes.str(shape) + " (" + size + " elements) to "
                    + Shapes.str(newShape) + " (" + known + " elements)");
        }
        return ns;
    }

    /** Strides for viewing this tensor as {@code ns}, or null when a copy is needed (PyTorch's algorithm). */
    private int[] viewStrides(int[] ns) {
        if (size == 0) {
            return Shapes.contiguousStrides(ns);
        }
        int[] newStrides = new int[ns.length];
        int viewD = ns.length - 1;
        long chunkBase = strides.length == 0 ? 1 : strides[strides.length - 1];
        long tensorNumel = 1;
        long viewNumel = 1;
        for (int d = shape.length - 1; d >= 0; d--) {
            tensorNumel *= shape[d];
            if (d == 0 || (shape[d - 1] != 1 && strides[d - 1] != tensorNumel * chunkBase)) {
                while (viewD >= 0 && (viewNumel < tensorNumel || ns[viewD] == 1)) {
                    newStrides[viewD] = (int) (viewNumel * chunkBase);
                    viewNumel *= ns[viewD];
                    viewD--;
                }
                if (viewNumel != tensorNumel) {
                    return null;
                }
                if (d > 0) {
                    chunkBase = strides[d - 1];
                    tensorNumel = 1;
                    viewNumel = 1;
                }
            }
        }
        if (viewD != -1) {
            // only size-1 dimensions can remain
            while (viewD >= 0) {
                if (ns[viewD] != 1) {
                    return null;
                }
                newStrides[viewD] = 1;
                viewD--;
            }
        }
        return newStrides;
    }

    /**
     * Reorders dimensions (a view).
     *
     * @param order a permutation of {@code 0..rank-1}: dimension {@code i} of the result is
     *              dimension {@code order[i]} of this tensor
     * @return the view
     */
    public Tensor permute(int... order) {
        if (order.length != shape.length) {
            throw new IllegalArgumentException("permute " + Arrays.toString(order) + " does not match rank " + shape.length
                    + " of shape " + Shapes.str(shape));
        }
        boolean[] seen = new boolean[order.length];
        int[] ns = new int[order.length];
        int[] st = new int[order.length];
        for (int i = 0; i < order.length; i++) {
            int a = Shapes.axis(order[i], shape);
            if (seen[a]) {
                throw new IllegalArgumentException("permute " + Arrays.toString(order) + " of shape " + Shapes.str(shape)
                        + " repeats axis " + a);
            }
            seen[a] = true;
            ns[i] = shape[a];
            st[i] = strides[a];
        }
        return view(offset, ns, st);
    }

    /**
     * Swaps two dimensions (a view).
     *
     * @param a first axis
     * @param b second axis
     * @return the view
     */
    public Tensor transpose(int a, int b) {
        int[] order = new int[shape.length];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        int x = Shapes.axis(a, shape);
        int y = Shapes.axis(b, shape);
        order[x] = y;
        order[y] = x;
        return permute(order);
    }

    /**
     * Swaps the last two dimensions (a view), like PyTorch's {@code mT}.
     *
     * @return the last two dimensions swapped (a view), like PyTorch's {@code mT}
     */
    public Tensor mT() {
        if (shape.length < 2) {
            throw new IllegalArgumentException("mT() needs at least 2 dimensions, shape is " + Shapes.str(shape));
        }
        return transpose(-2, -1);
    }

    /**
     * Elements {@code start} (inclusive) to {@code end} (exclusive) along one axis (a view).
     * Negative bounds count from the end, as in Python.
     *
     * @param axis the axis
     * @param start first index
     * @param end one past the last index
     * @return the view
     */
    public Tensor slice(int axis, int start, int end) {
        return slice(axis, start, end, 1);
    }

    /**
     * Every {@code step}-th element from {@code start} to {@code end} along one axis (a view).
     *
     * @param axis the axis
     * @param start first index
     * @param end one past the last index
     * @param step the step, at least 1
     * @return the view
     */
    public Tensor slice(int axis, int start, int end, int step) {
        int a = Shapes.axis(axis, shape);
        int n = shape[a];
        int s = start < 0 ? start + n : start;
        int e = end < 0 ? end + n : end;
        if (step < 1) {
            throw new IllegalArgumentException("slice [" + start + ":" + end + ":" + step + "] on axis " + axis
                    + " of shape " + Shapes.str(shape) + ": the step must be at least 1, got " + step);
        }
        if (s < 0 || e > n || s > e) {
            throw new IllegalArgumentException("slice [" + start + ":" + end + ":" + step + "] is out of range for axis " + axis
                    + " of shape " + Shapes.str(shape));
        }
        int[] ns = shape.clone();
        int[] st = strides.clone();
        ns[a] = (e - s + step - 1) / step;
        st[a] = strides[a] * step;
        return view(offset + (long) s * strides[a], ns, st);
    }

    /**
     * One index along an axis, removing that axis (a view): {@code x.select(0, 2)} is {@code x[2]}.
     *
     * @param axis the axis
     * @param index the index, negative counts from the end
     * @return the view
     */
    public Tensor select(int axis, int index) {
        int a = Shapes.axis(axis, shape);
        int i = index < 0 ? index + shape[a] : index;
        if (i < 0 || i >= shape[a]) {
            throw new IllegalArgumentException("index " + index + " is out of range for axis " + axis + " of shape " + Shapes.str(shape));
        }
        int[] ns = new int[shape.length - 1];
        int[] st = new int[shape.length - 1];
        for (int d = 0, k = 0; d < shape.length; d++) {
            if (d != a) {
                ns[k] = shape[d];
                st[k++] = strides[d];
            }
        }
        return view(offset + (long) i * strides[a], ns, st);
    }

    /**
     * Gathers the given indices along an axis into a new contiguous tensor.
     *
     * @param axis the axis
     * @param indices indices along that axis (negative counts from the end; repeats allowed)
     * @return the copy, with {@code indices.length} entries along {@code axis}
     */
    public Tensor indexSelect(int axis, int... indices) {
        int a = Shapes.axis(axis, shape);
        Tensor[] parts = new Tensor[indices.length];
        for (int k = 0; k < indices.length; k++) {
            parts[k] = select(a, indices[k]).unsqueeze(a);
        }
        if (indices.length == 0) {
            int[] ns = shape.clone();
            ns[a] = 0;
            return zeros(ns);
        }
        return concat(a, parts);
    }

    /**
     * Inserts a dimension of size 1 (a view).
     *
     * @param axis where the new dimension goes, in {@code [-(rank+1), rank]}
     * @return the view
     */
    public Tensor unsqueeze(int axis) {
        int a = Shapes.axis(axis, shape.length + 1, shape);
        int[] ns = new int[shape.length + 1];
        int[] st = new int[shape.length + 1];
        for (int d = 0, k = 0; d < ns.length; d++) {
            if (d == a) {
                ns[d] = 1;
                st[d] = a < shape.length ? strides[a] * shape[a] : 1;
            } else {
                ns[d] = shape[k];
                st[d] = strides[k++];
            }
        }
        return view(offset, ns, st);
    }

    /**
     * Removes a dimension of size 1 (a view).
     *
     * @param axis the axis, which must have size 1
     * @return the view
     */
    public Tensor squeeze(int axis) {
        int a = Shapes.axis(axis, shape);
        if (shape[a] != 1) {
            throw new IllegalArgumentException("cannot squeeze axis " + axis + " of size " + shape[a] + " in shape " + Shapes.str(shape));
        }
        return select(a, 0);
    }

    /**
     * Broadcasts to a larger shape by NumPy rules (a view with stride 0 along repeated dimensions).
     *
     * @param target the target shape
     * @return the view
     */
    public Tensor broadcastTo(int... target) {
        if (target.length < shape.length) {
            throw new IllegalArgumentException("cannot broadcast shape " + Shapes.str(shape) + " to " + Shapes.str(target));
        }
        int[] st = new int[target.length];
        int lead = target.length - shape.length;
        for (int d = 0; d < target.length; d++) {
            if (d < lead) {
                st[d] = 0;
            } else {
                int s = shape[d - lead];
                if (s == target[d]) {
                    st[d] = strides[d - lead];
                } else if (s == 1) {
                    st[d] = 0;
                } else {
                    throw new IllegalArgumentException("cannot broadcast shape " + Shapes.str(shape) + " to " + Shapes.str(target));
                }
            }
        }
        return view(offset, target.clone(), st);
    }

    // ------------------------------------------------------------------ copies

    /**
     * This tensor as a contiguous heap tensor, copying only when it is not one.
     *
     * @return this tensor if it is a contiguous heap tensor, otherwise a contiguous heap copy
     */
    public Tensor contiguous() {
        return array != null && isContiguous() ? this : contiguousCopy();
    }

    /**
     * A contiguous heap copy.
     *
     * @return a new contiguous heap tensor with the same elements (always a copy)
     */
    public Tensor copy() {
        return contiguousCopy();
    }

    private Tensor contiguousCopy() {
        float[] out = new float[size];
        copyInto(out, 0);
        return of(out, shape);
    }

    /**
     * The elements in row-major order.
     *
     * @return the elements in row-major order, as a new array
     */
    public float[] toArray() {
        float[] out = new float[size];
        copyInto(out, 0);
        return out;
    }

    /** Copies {@code count} consecutive elements of the segment from element index {@code from}, widened to float32. */
    private void widenRun(long from, float[] out, int outOff, int count) {
        switch (segmentType) {
            case F32 -> MemorySegment.copy(segment, F32_LE, from * 4, out, outOff, count);
            case BF16 -> Float16.bf16ToF32(segment, from * 2, out, outOff, count);
            case F16 -> Float16.f16ToF32(segment, from * 2, out, outOff, count);
        }
    }

    /** Copies the elements in row-major order into {@code out} starting at {@code outOff}. */
    private void copyInto(float[] out, int outOff) {
        if (size == 0) {
            return;
        }
        if (isContiguous()) {
            if (array != null) {
                System.arraycopy(array, (int) offset, out, outOff, size);
            } else {
                widenRun(offset, out, outOff, size);
            }
            return;
        }
        int r = shape.length;
        int inner = shape[r - 1];
        int innerStride = strides[r - 1];
        int rows = size / inner;
        int[] idx = new int[Math.max(r - 1, 0)];
        long base = offset;
        int o = outOff;
        for (int row = 0; row < rows; row++) {
            if (innerStride == 1 && array != null) {
                System.arraycopy(array, (int) base, out, o, inner);
                o += inner;
            } else if (array != null) {
                int p = (int) base;
                for (int j = 0; j < inner; j++, p += innerStride) {
                    out[o++] = array[p];
                }
            } else {
                if (innerStride == 1) {
                    widenRun(base, out, o, inner);
                    o += inner;
                } else {
                    long p = base;
                    for (int j = 0; j < inner; j++, p += innerStride) {
                        out[o++] = load(p);
                    }
                }
            }
            // odometer over the outer dimensions
            for (int d = r - 2; d >= 0; d--) {
                idx[d]++;
                base += strides[d];
                if (idx[d] < shape[d]) {
                    break;
                }
                base -= (long) strides[d] * shape[d];
                idx[d] = 0;
            }
        }
    }

    /**
     * Overwrites this tensor's elements with {@code src}'s (broadcast to this shape). Writes through
     * to the storage, so every view sees them.
     *
     * @param src the source, broadcastable to this shape
     * @return this tensor
     * @throws IllegalArgumentException naming both shapes when {@code src} does not broadcast to this
     *         shape, or when this tensor's storage is a read-only memory segment
     */
    public Tensor copyFrom(Tensor src) {
        float[] vals = src.broadcastTo(shape).toArray(); // its error names both shapes
        requireWritable("copy into");
        int r = shape.length;
        if (size == 0) {
            return this;
        }
        if (isContiguous() && array != null) {
            System.arraycopy(vals, 0, array, (int) offset, size);
            StorageWatch.written(array);
            return this;
        }
        int[] idx = new int[r];
        for (int i = 0; i < size; i++) {
            long p = offset;
            for (int d = 0; d < r; d++) {
                p += (long) idx[d] * strides[d];
            }
            store(p, vals[i]);
            for (int d = r - 1; d >= 0; d--) {
                if (++idx[d] < shape[d]) {
                    break;
                }
                idx[d] = 0;
            }
        }
        StorageWatch.written(array);
        return this;
    }

    /**
     * Joins tensors along an existing axis.
     *
     * @param axis the axis
     * @param parts tensors whose shapes agree except along {@code axis}
     * @return the new contiguous tensor
     */
    public static Tensor concat(int axis, Tensor... parts) {
        if (parts.length == 0) {
            throw new IllegalArgumentException("concat needs at least one tensor");
        }
        int r = parts[0].rank();
        int a = Shapes.axis(axis, parts[0].shape);
        int[] ns = parts[0].shape();
        int total = 0;
        for (Tensor t : parts) {
            if (t.rank() != r) {
                throw new IllegalArgumentException("concat: shapes " + Shapes.str(parts[0].shape) + " and " + Shapes.str(t.shape) + " differ in rank");
            }
            for (int d = 0; d < r; d++) {
                if (d != a && t.shape[d] != ns[d]) {
                    throw new IllegalArgumentException("concat along axis " + axis + ": shapes " + Shapes.str(parts[0].shape)
                            + " and " + Shapes.str(t.shape) + " differ in dimension " + d);
                }
            }
            total += t.shape[a];
        }
        ns[a] = total;
        int outer = 1;
        for (int d = 0; d < a; d++) {
            outer *= ns[d];
        }
        int innerPer = 1;
        for (int d = a + 1; d < r; d++) {
            innerPer *= ns[d];
        }
        float[] out = new float[Shapes.numel(ns)];
        int rowLen = total * innerPer;
        int pos = 0;
        for (Tensor t : parts) {
            float[] src = t.toArray();
            int chunk = t.shape[a] * innerPer;
            for (int o = 0; o < outer; o++) {
                System.arraycopy(src, o * chunk, out, o * rowLen + pos, chunk);
            }
            pos += chunk;
        }
        return of(out, ns);
    }

    /**
     * Stacks equally shaped tensors along a new axis.
     *
     * @param axis where the new axis goes
     * @param parts tensors of one shape
     * @return the new contiguous tensor
     */
    public static Tensor stack(int axis, Tensor... parts) {
        if (parts.length == 0) {
            throw new IllegalArgumentException("stack needs at least one tensor");
        }
        Tensor[] u = new Tensor[parts.length];
        for (int i = 0; i < parts.length; i++) {
            if (!Arrays.equals(parts[i].shape, parts[0].shape)) {
                throw new IllegalArgumentException("stack: shapes " + Shapes.str(parts[0].shape) + " and " + Shapes.str(parts[i].shape) + " differ");
            }
            u[i] = parts[i].unsqueeze(axis);
        }
        return concat(axis, u);
    }

    // ------------------------------------------------------------------ elementwise

    private static Kernels k() {
        return KernelProvider.kernels();
    }

    @FunctionalInterface
    private interface RowOp {
        void apply(float[] a, int aOff, float[] b, int bOff, float[] out, int outOff, int n);
    }

    @FunctionalInterface
    private interface ScalarOp {
        float apply(float a, float b);
    }

    private Tensor binary(Tensor other, RowOp rowOp, ScalarOp op) {
        int[] os = Shapes.broadcast(shape, other.shape);
        int n = Shapes.numel(os);
        float[] out = new float[n];
        if (n == 0) {
            return of(out, os);
        }
        // fast path: same shape, both contiguous
        if (Arrays.equals(shape, other.shape)) {
            Tensor a = contiguous();
            Tensor b = other.contiguous();
            rowOp.apply(a.array, (int) a.offset, b.array, (int) b.offset, out, 0, n);
            return of(out, os);
        }
        Tensor a = broadcastTo(os);
        Tensor b = other.broadcastTo(os);
        int r = os.length;
        int inner = os[r - 1];
        int rows = n / inner;
        // Materialise rows whose inner stride is not 1 (or broadcast) into scratch buffers.
        boolean aUnit = a.strides[r - 1] == 1 && a.array != null;
        boolean bUnit = b.strides[r - 1] == 1 && b.array != null;
        float[] sa = aUnit ? null : new float[inner];
        float[] sb = bUnit ? null : new float[inner];
        int[] idx = new int[r - 1];
        long pa = a.offset;
        long pb = b.offset;
        for (int row = 0; row < rows; row++) {
            float[] ra;
            int oa;
            if (aUnit) {
                ra = a.array;
                oa = (int) pa;
            } else {
                a.gatherRow(pa, inner, sa);
                ra = sa;
                oa = 0;
            }
            float[] rb;
            int ob;
            if (bUnit) {
                rb = b.array;
                ob = (int) pb;
            } else {
                b.gatherRow(pb, inner, sb);
                rb = sb;
                ob = 0;
            }
            rowOp.apply(ra, oa, rb, ob, out, row * inner, inner);
            for (int d = r - 2; d >= 0; d--) {
                idx[d]++;
                pa += a.strides[d];
                pb += b.strides[d];
                if (idx[d] < os[d]) {
                    break;
                }
                pa -= (long) a.strides[d] * os[d];
                pb -= (long) b.strides[d] * os[d];
                idx[d] = 0;
            }
        }
        return of(out, os);
    }

    private void gatherRow(long base, int n, float[] dst) {
        int st = strides[strides.length - 1];
        long p = base;
        for (int j = 0; j < n; j++, p += st) {
            dst[j] = load(p);
        }
    }

    /**
     * Elementwise sum, with NumPy broadcasting.
     *
     * @param other a tensor broadcastable with this one
     * @return {@code this + other}
     */
    public Tensor add(Tensor other) {
        return binary(other, k()::add, Float::sum);
    }

    /**
     * Elementwise difference, with NumPy broadcasting.
     *
     * @param other a tensor broadcastable with this one
     * @return {@code this - other}
     */
    public Tensor sub(Tensor other) {
        return binary(other, k()::sub, (x, y) -> x - y);
    }

    /**
     * Elementwise product, with NumPy broadcasting.
     *
     * @param other a tensor broadcastable with this one
     * @return {@code this * other} (elementwise)
     */
    public Tensor mul(Tensor other) {
        return binary(other, k()::mul, (x, y) -> x * y);
    }

    /**
     * Elementwise quotient, with NumPy broadcasting.
     *
     * @param other a tensor broadcastable with this one
     * @return {@code this / other} (elementwise)
     */
    public Tensor div(Tensor other) {
        return binary(other, k()::div, (x, y) -> x / y);
    }

    /**
     * Adds a scalar to every element.
     *
     * @param s a scalar
     * @return {@code this + s}
     */
    public Tensor add(float s) {
        Tensor a = contiguous();
        float[] out = new float[size];
        k().addScalar(a.array, (int) a.offset, s, out, 0, size);
        return of(out, shape);
    }

    /**
     * Subtracts a scalar from every element.
     *
     * @param s a scalar
     * @return {@code this - s}
     */
    public Tensor sub(float s) {
        return add(-s);
    }

    /**
     * Multiplies every element by a scalar.
     *
     * @param s a scalar
     * @return {@code this * s}
     */
    public Tensor mul(float s) {
        Tensor a = contiguous();
        float[] out = new float[size];
        k().mulScalar(a.array, (int) a.offset, s, out, 0, size);
        return of(out, shape);
    }

    /**
     * Divides every element by a scalar (as a multiplication by its reciprocal).
     *
     * @param s a scalar
     * @return {@code this / s}
     */
    public Tensor div(float s) {
        return mul(1f / s);
    }

    /**
     * Negates every element.
     *
     * @return {@code -this}
     */
    public Tensor neg() {
        return mul(-1f);
    }

    /**
     * Applies a function to every element.
     *
     * @param f the function
     * @return a new tensor
     */
    public Tensor map(java.util.function.DoubleUnaryOperator f) {
        float[] out = toArray();
        for (int i = 0; i < out.length; i++) {
            out[i] = (float) f.applyAsDouble(out[i]);
        }
        return of(out, shape);
    }

    /**
     * The exponential of every element, on the kernels.
     *
     * @return {@code exp(this)} elementwise
     */
    public Tensor exp() {
        Tensor a = contiguous();
        float[] out = new float[size];
        k().exp(a.array, (int) a.offset, out, 0, size);
        return of(out, shape);
    }

    /**
     * The natural logarithm of every element.
     *
     * @return the natural logarithm elementwise
     */
    public Tensor log() {
        return map(Math::log);
    }

    /**
     * The square root of every element.
     *
     * @return the square root elementwise
     */
    public Tensor sqrt() {
        return map(Math::sqrt);
    }

    /**
     * The absolute value of every element.
     *
     * @return the absolute value elementwise
     */
    public Tensor abs() {
        return map(Math::abs);
    }

    /**
     * The hyperbolic tangent of every element.
     *
     * @return {@code tanh} elementwise
     */
    public Tensor tanh() {
        return map(Math::tanh);
    }

    /**
     * Raises every element to a power.
     *
     * @param p the exponent
     * @return {@code this^p} elementwise
     */
    public Tensor pow(double p) {
        return map(x -> Math.pow(x, p));
    }

    /**
     * Replaces elements where {@code mask} is non-zero.
     *
     * @param mask a tensor broadcastable to this shape; non-zero marks elements to replace
     * @param value the replacement (for example negative infinity before a softmax)
     * @return a new tensor
     */
    public Tensor maskedFill(Tensor mask, float value) {
        return fillWhere(mask, true, value);
    }

    /**
     * A copy with {@code value} wherever {@code mask} (broadcast to this shape) is non-zero, when
     * {@code whereNonZero}, or wherever it is zero otherwise.
     */
    private Tensor fillWhere(Tensor mask, boolean whereNonZero, float value) {
        float[] m = mask.broadcastTo(shape).toArray();
        float[] out = toArray();
        for (int i = 0; i < out.length; i++) {
            if ((m[i] != 0f) == whereNonZero) {
                out[i] = value;
            }
        }
        return of(out, shape);
    }

    // ------------------------------------------------------------------ reductions

    /**
     * Moves {@code axis} last and returns a contiguous heap tensor of shape {@code [rows, n]} laid
     * out row by row, along with the shape of the remaining dimensions.
     */
    private Tensor rowsAlong(int a) {
        int r = shape.length;
        if (a == r - 1) {
            return contiguous();
        }
        int[] order = new int[r];
        for (int d = 0, k = 0; d < r; d++) {
            if (d != a) {
                order[k++] = d;
            }
        }
        order[r - 1] = a;
        return permute(order).contiguousCopy();
    }

    private int[] reducedShape(int a, boolean keepdim) {
        int[] ns;
        if (keepdim) {
            ns = shape.clone();
            ns[a] = 1;
        } else {
            ns = new int[shape.length - 1];
            for (int d = 0, k = 0; d < shape.length; d++) {
                if (d != a) {
                    ns[k++] = shape[d];
                }
            }
        }
        return ns;
    }

    @FunctionalInterface
    private interface RowReduce {
        float apply(float[] a, int off, int n);
    }

    private Tensor reduce(int axis, boolean keepdim, RowReduce f) {
        int a = Shapes.axis(axis, shape);
        int n = shape[a];
        Tensor rows = rowsAlong(a);
        int count = n == 0 ? Shapes.numel(reducedShape(a, false)) : size / n;
        float[] out = new float[count];
        float[] src = rows.array;
        int base = (int) rows.offset;
        Parallel.forRange(count, Math.max(1, 65536 / Math.max(n, 1)), (s, e) -> {
            for (int i = s; i < e; i++) {
                out[i] = f.apply(src, base + i * n, n);
            }
        });
        return of(out, reducedShape(a, keepdim));
    }

    /**
     * Sums along an axis.
     *
     * @param axis the axis to sum over
     * @param keepdim keep the axis with size 1
     * @return the sums
     */
    public Tensor sum(int axis, boolean keepdim) {
        Kernels kk = k();
        return reduce(axis, keepdim, kk::sum);
    }

    /**
     * The sum of all elements.
     *
     * @return the sum of all elements
     */
    public float sum() {
        Tensor a = contiguous();
        return k().sum(a.array, (int) a.offset, size);
    }

    /**
     * Averages along an axis.
     *
     * @param axis the axis to average over
     * @param keepdim keep the axis with size 1
     * @return the means
     */
    public Tensor mean(int axis, boolean keepdim) {
        int n = dim(axis);
        return sum(axis, keepdim).mul(1f / n);
    }

    /**
     * The mean of all elements.
     *
     * @return the mean of all elements
     */
    public float mean() {
        return sum() / size;
    }

    /**
     * The maximum along an axis (NaN if the slice holds a NaN).
     *
     * @param axis the axis
     * @param keepdim keep the axis with size 1
     * @return the maxima along the axis
     */
    public Tensor max(int axis, boolean keepdim) {
        Kernels kk = k();
        return reduce(axis, keepdim, kk::max);
    }

    /**
     * The largest element.
     *
     * @return the largest element
     */
    public float max() {
        Tensor a = contiguous();
        return k().max(a.array, (int) a.offset, size);
    }

    /**
     * The minimum along an axis.
     *
     * @param axis the axis
     * @param keepdim keep the axis with size 1
     * @return the minima along the axis
     */
    public Tensor min(int axis, boolean keepdim) {
        return neg().max(axis, keepdim).neg();
    }

    /**
     * The index of the maximum along an axis, like {@code torch.argmax} (a NaN counts as the maximum).
     *
     * @param axis the axis
     * @param keepdim keep the axis with size 1
     * @return the index of the first maximum along the axis, as floats (exact below 2^24)
     */
    public Tensor argmax(int axis, boolean keepdim) {
        Kernels kk = k();
        return reduce(axis, keepdim, (x, off, n) -> kk.argmax(x, off, n));
    }

    /**
     * The row-major index of the largest element.
     *
     * @return the row-major index of the first largest element
     */
    public int argmax() {
        Tensor a = contiguous();
        return k().argmax(a.array, (int) a.offset, size);
    }

    /**
     * The L2 norm along an axis.
     *
     * @param axis the axis
     * @param keepdim keep the axis with size 1
     * @return the L2 norms along the axis
     */
    public Tensor norm(int axis, boolean keepdim) {
        Kernels kk = k();
        return reduce(axis, keepdim, (x, off, n) -> (float) Math.sqrt(kk.sumOfSquares(x, off, n)));
    }

    /**
     * The L2 (Frobenius) norm of all elements.
     *
     * @return the L2 (Frobenius) norm of all elements
     */
    public float norm() {
        Tensor a = contiguous();
        return (float) Math.sqrt(k().sumOfSquares(a.array, (int) a.offset, size));
    }

    // ------------------------------------------------------------------ row-wise functions

    @FunctionalInterface
    private interface RowMap {
        void apply(float[] x, int xOff, float[] out, int outOff, int n);
    }

    private Tensor mapRows(int axis, RowMap f) {
        int a = Shapes.axis(axis, shape);
        int n = shape[a];
        Tensor rows = rowsAlong(a);
        float[] out = new float[size];
        if (size == 0) {
            return of(out, shape);
        }
        int count = size / n;
        float[] src = rows.array;
        int base = (int) rows.offset;
        Parallel.forRange(count, Math.max(1, 32768 / n), (s, e) -> {
            for (int i = s; i < e; i++) {
                f.apply(src, base + i * n, out, i * n, n);
            }
        });
        Tensor result = of(out, rowsShape(a));
        return a == shape.length - 1 ? result : result.permute(inversePermutationMovingLast(a)).contiguous();
    }

    private int[] rowsShape(int a) {
        int[] ns = new int[shape.length];
        for (int d = 0, k = 0; d < shape.length; d++) {
            if (d != a) {
                ns[k++] = shape[d];
            }
        }
        ns[shape.length - 1] = shape[a];
        return ns;
    }

    private int[] inversePermutationMovingLast(int a) {
        int r = shape.length;
        int[] inv = new int[r];
        for (int d = 0, k = 0; d < r; d++) {
            inv[d] = d == a ? r - 1 : k++;
        }
        return inv;
    }

    /**
     * Softmax along an axis. Negative infinity gets probability 0; a slice that is entirely negative
     * infinity becomes zeros (as TransformerLens turns its NaN into 0).
     *
     * @param axis the axis
     * @return the probabilities
     */
    public Tensor softmax(int axis) {
        Kernels kk = k();
        return mapRows(axis, kk::softmax);
    }

    /**
     * Log-softmax along an axis. Negative infinity stays negative infinity, also in a slice that is
     * entirely negative infinity.
     *
     * @param axis the axis
     * @return log-softmax along the axis
     */
    public Tensor logSoftmax(int axis) {
        Kernels kk = k();
        return mapRows(axis, kk::logSoftmax);
    }

    /**
     * Softmax along an axis over the entries a mask keeps, as TransformerLens computes an attention
     * pattern ({@code torch.where(mask, scores, -inf).softmax(-1)}): masked entries get probability
     * 0 whatever their score (even NaN or infinity), and a slice with nothing kept becomes all zeros.
     * Masks combine by multiplication: {@code causalKeepMask(p, p).mul(padding)} keeps what both keep.
     *
     * <pre>{@code
     * Tensor scores = Tensor.of(new float[] {0, (float) Math.log(3), 5}, 3);
     * scores.softmax(-1, Tensor.of(new float[] {1, 1, 0}, 3));   // [0.25, 0.75, 0]
     * }</pre>
     *
     * @param axis the axis
     * @param keep broadcastable to this shape: non-zero keeps an entry, zero masks it out (the
     *             opposite of {@link #maskedFill}); e.g. {@link #causalKeepMask} for scores
     *             {@code [batch, head_index, query_pos, key_pos]}
     * @return the probabilities, this tensor's shape
     * @throws IllegalArgumentException naming both shapes when {@code keep} does not broadcast to this shape
     */
    public Tensor softmax(int axis, Tensor keep) {
        return maskedOut("softmax", keep).softmax(axis);
    }

    /**
     * Log-softmax along an axis over the entries a mask keeps: masked entries get negative infinity
     * whatever their value, and so does every entry of a slice with nothing kept.
     *
     * @param axis the axis
     * @param keep broadcastable to this shape: non-zero keeps an entry, zero masks it out
     * @return the log-probabilities, this tensor's shape
     * @throws IllegalArgumentException naming both shapes when {@code keep} does not broadcast to this shape
     */
    public Tensor logSoftmax(int axis, Tensor keep) {
        return maskedOut("logSoftmax", keep).logSoftmax(axis);
    }

    /** A copy with negative infinity wherever {@code keep} is zero. */
    private Tensor maskedOut(String op, Tensor keep) {
        try {
            return fillWhere(keep, false, Float.NEGATIVE_INFINITY);
        } catch (IllegalArgumentException e) { // kept: the message must name the operation, which tests assert
            throw new IllegalArgumentException(op + ": mask of shape " + Shapes.str(keep.shape)
                    + " does not broadcast to the input's shape " + Shapes.str(shape), e);
        }
    }

    /**
     * A causal mask for attention scores {@code [..., query_pos, key_pos]} to use with
     * {@link #maskedFill}: 1 where key {@code j} is later than query {@code i} (the entries to hide),
     * counting queries as the last {@code queries} of {@code keys} positions (so a KV-cached decode
     * step sees every earlier key). {@link #causalKeepMask} is its complement, for
     * {@link #softmax(int, Tensor)}.
     *
     * @param queries number of query positions
     * @param keys number of key positions, at least {@code queries}
     * @return a {@code [queries, keys]} tensor of 0 and 1
     * @throws IllegalArgumentException when {@code keys < queries} or either is negative
     */
    public static Tensor causalMask(int queries, int keys) {
        Tensor keep = causalKeepMask(queries, keys);
        float[] m = keep.array;
        for (int i = 0; i < m.length; i++) {
            m[i] = 1f - m[i];
        }
        return keep;
    }

    /**
     * The causal mask as {@link #softmax(int, Tensor)} and {@link #logSoftmax(int, Tensor)} take it
     * (TransformerLens's lower-triangular {@code mask}): 1 where key {@code j} is at or before query
     * {@code i}, counting queries as the last {@code queries} of {@code keys} positions.
     *
     * <pre>{@code
     * Tensor.causalKeepMask(2, 3);   // [[1, 1, 0], [1, 1, 1]]: queries at positions 1 and 2 of 3
     * }</pre>
     *
     * @param queries number of query positions
     * @param keys number of key positions, at least {@code queries}
     * @return a {@code [queries, keys]} tensor of 0 and 1
     * @throws IllegalArgumentException when {@code keys < queries} or either is negative
     */
    public static Tensor causalKeepMask(int queries, int keys) {
        if (queries < 0 || keys < queries) {
            throw new IllegalArgumentException("causal mask [query_pos, key_pos] = [" + queries + ", " + keys
                    + "] needs 0 <= queries <= keys");
        }
        float[] m = new float[Shapes.numel(queries, keys)];
        int shift = keys - queries;
        for (int i = 0; i < queries; i++) {
            Arrays.fill(m, i * keys, i * keys + i + shift + 1, 1f);
        }
        return of(m, queries, keys);
    }

    // ------------------------------------------------------------------ matmul

    /**
     * Matrix product with PyTorch's rules: {@code [..., m, k] x [..., k, n] -> [..., m, n]} with
     * broadcasting over the leading (batch) dimensions; a rank-1 left operand is a row vector and a
     * rank-1 right operand a column vector, and the added dimension is removed from the result.
     * Transposed or otherwise strided operands are used in place, never copied.
     *
     * @param other the right operand
     * @return the product, a new contiguous tensor
     */
    public Tensor matmul(Tensor other) {
        if (shape.length == 0 || other.shape.length == 0) {
            throw new IllegalArgumentException("matmul needs tensors of rank >= 1, got " + Shapes.str(shape) + " and " + Shapes.str(other.shape));
        }
        Tensor a = shape.length == 1 ? unsqueeze(0) : this;
        Tensor b = other.shape.length == 1 ? other.unsqueeze(1) : other;
        int m = a.dim(-2);
        int k = a.dim(-1);
        int k2 = b.dim(-2);
        int n = b.dim(-1);
        if (k != k2) {
            throw new IllegalArgumentException("matmul: shapes " + Shapes.str(shape) + " and " + Shapes.str(other.shape)
                    + " do not align (" + k + " != " + k2 + ")");
        }
        int[] batchA = Arrays.copyOf(a.shape, a.shape.length - 2);
        int[] batchB = Arrays.copyOf(b.shape, b.shape.length - 2);
        int[] batch;
        try {
            batch = Shapes.broadcast(batchA, batchB);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("matmul: batch dimensions of " + Shapes.str(shape) + " and " + Shapes.str(other.shape) + " do not broadcast");
        }
        int[] fullA = Arrays.copyOf(batch, batch.length + 2);
        fullA[batch.length] = m;
        fullA[batch.length + 1] = k;
        int[] fullB = Arrays.copyOf(batch, batch.length + 2);
        fullB[batch.length] = k;
        fullB[batch.length + 1] = n;
        Tensor ab = a.broadcastTo(fullA);
        Tensor bb = b.broadcastTo(fullB);
        int nb = Shapes.numel(batch);
        float[] out = new float[nb * m * n];
        long[] offA = batchOffsets(ab, batch);
        long[] offB = batchOffsets(bb, batch);
        int r = batch.length;
        if (nb > 0 && m > 0 && n > 0) {
            IntUnaryOperator cOff = i -> i * m * n;
            Gemm.multiplyBatched(nb,
                    i -> ab.operand(offA[i], m, k, ab.strides[r], ab.strides[r + 1]),
                    i -> bb.operand(offB[i], k, n, bb.strides[r], bb.strides[r + 1]),
                    out, cOff, n, false);
        }
        int[] os = Arrays.copyOf(batch, batch.length + 2);
        os[batch.length] = m;
        os[batch.length + 1] = n;
        Tensor res = of(out, os);
        if (shape.length == 1) {
            res = res.squeeze(-2);
        }
        if (other.shape.length == 1) {
            res = res.squeeze(-1);
        }
        return res;
    }

    /**
     * This rank-2 tensor as a {@link MatrixOperand} for {@link Gemm}, without copying: the same
     * storage (heap or segment), offset and strides, so a transposed or sliced weight matrix, or a
     * view of a memory-mapped checkpoint, is multiplied in place.
     *
     * @return the operand {@code [dim(0), dim(1)]}
     * @throws IllegalArgumentException if the tensor is not rank 2
     */
    public MatrixOperand asMatrix() {
        if (shape.length != 2) {
            throw new IllegalArgumentException("asMatrix needs a rank-2 tensor, shape is " + Shapes.str(shape));
        }
        StorageWatch.escaped(array);   // the operand holds the array itself
        return operand(offset, shape[0], shape[1], strides[0], strides[1]);
    }

    private MatrixOperand operand(long off, int rows, int cols, int rowStride, int colStride) {
        return new MatrixOperand(array, segment, off, rows, cols, rowStride, colStride, null, segmentType);
    }

    private static long[] batchOffsets(Tensor t, int[] batch) {
        int nb = Shapes.numel(batch);
        long[] offs = new long[nb];
        int[] idx = new int[batch.length];
        for (int i = 0; i < nb; i++) {
            long p = t.offset;
            for (int d = 0; d < batch.length; d++) {
                p += (long) idx[d] * t.strides[d];
            }
            offs[i] = p;
            for (int d = batch.length - 1; d >= 0; d--) {
                if (++idx[d] < batch[d]) {
                    break;
                }
                idx[d] = 0;
            }
        }
        return offs;
    }

    // ------------------------------------------------------------------ comparison and printing

    /**
     * The largest absolute elementwise difference from another tensor of the same shape.
     *
     * @param other a tensor of the same shape
     * @return the largest absolute elementwise difference
     */
    public float maxAbsDiff(Tensor other) {
        requireSameShape(other, "maxAbsDiff");
        float[] a = toArray();
        float[] b = other.toArray();
        float m = 0;
        for (int i = 0; i < a.length; i++) {
            if (a[i] == b[i]) {
                continue; // also equal infinities
            }
            float d = Math.abs(a[i] - b[i]);
            if (Float.isNaN(d)) {
                return Float.NaN;
            }
            m = Math.max(m, d);
        }
        return m;
    }

    /**
     * NumPy's {@code allclose}: {@code |a - b| <= atol + rtol * |b|} elementwise; equal infinities match.
     *
     * @param other a tensor of the same shape
     * @param rtol relative tolerance
     * @param atol absolute tolerance
     * @return true when every element is close
     */
    public boolean allClose(Tensor other, float rtol, float atol) {
        requireSameShape(other, "allClose");
        float[] a = toArray();
        float[] b = other.toArray();
        for (int i = 0; i < a.length; i++) {
            if (a[i] == b[i]) {
                continue;
            }
            if (!(Math.abs(a[i] - b[i]) <= atol + rtol * Math.abs(b[i]))) {
                return false;
            }
        }
        return true;
    }

    /**
     * Checks that another tensor has this tensor's shape.
     *
     * @param other another tensor
     * @param what the operation, for the message
     * @throws IllegalArgumentException naming both shapes when they differ
     */
    public void requireSameShape(Tensor other, String what) {
        if (!Arrays.equals(shape, other.shape)) {
            throw new IllegalArgumentException(what + ": shapes " + Shapes.str(shape) + " and " + Shapes.str(other.shape) + " differ");
        }
    }

    /**
     * Checks this tensor's shape, for validating weights and arguments.
     *
     * @param expected the shape this tensor must have
     * @param what what the tensor is, for the message (for example {@code "W_Q of layer 3"})
     * @return this tensor
     * @throws IllegalArgumentException naming both shapes when they differ
     */
    public Tensor requireShape(String what, int... expected) {
        if (!Arrays.equals(shape, expected)) {
            throw new IllegalArgumentException(what + " has shape " + Shapes.str(shape) + ", expected " + Shapes.str(expected));
        }
        return this;
    }

    // ================================================================== notebook conveniences
    // What a TransformerLens user reaches for in a notebook: topk, argsort, diagonal, einsum and
    // PyTorch's printing. Kept together in this section; einsum and the printing live in Einsum and
    // TensorPrinter.

    /**
     * The {@code k} largest or smallest entries along an axis and where they are, as
     * {@link #topk(int, int, boolean, boolean)} returns them.
     *
     * @param values the entries, this tensor's shape with {@code k} along the axis
     * @param indices their indices along the axis, same shape, as floats (exact below 2^24)
     */
    public record TopK(Tensor values, Tensor indices) {

        /**
         * The indices as ints, in row-major order (for a 1-d result: the positions of the top entries).
         *
         * @return {@code indices()} as an {@code int[]}
         */
        public int[] indexArray() {
            float[] f = indices.toArray();
            int[] out = new int[f.length];
            for (int i = 0; i < f.length; i++) {
                out[i] = (int) f[i];
            }
            return out;
        }
    }

    /**
     * The {@code k} largest entries along the last axis, largest first: {@code torch.topk(x, k)}.
     *
     * @param k how many, in {@code [0, dim(-1)]}
     * @return the values and their indices
     * @see #topk(int, int, boolean, boolean)
     */
    public TopK topk(int k) {
        return topk(k, -1, true, true);
    }

    /**
     * The {@code k} largest (or smallest) entries along an axis: {@code torch.topk(x, k, dim, largest, sorted)}.
     *
     * <pre>{@code
     * Tensor x = Tensor.of(new float[] {3, 1, 4, 1, 5}, 5);
     * x.topk(2).values();                        // [5, 4]
     * x.topk(2).indexArray();                    // [4, 2]
     * x.topk(2, -1, false, true).indexArray();   // [1, 3]: equal values, lower index first
     * }</pre>
     *
     * <p>NaN counts as larger than every number, as in PyTorch, so it comes first among the largest and
     * last among the smallest; {@code -0.0} and {@code 0.0} are equal. Equal entries come lower index
     * first. PyTorch does not promise any order among equal entries (its CPU {@code topk} of
     * {@code [1, 2, 2, 2]} with {@code k = 2} may give indices {@code [1, 3]}), so indices of ties can
     * differ from PyTorch's while the values agree.
     *
     * @param k how many, in {@code [0, dim(axis)]}
     * @param axis the axis (negative counts from the end)
     * @param largest the largest entries (true) or the smallest (false)
     * @param sorted the entries in order, largest (or smallest) first; when false, the same entries in
     *               the order of their indices (PyTorch leaves that order unspecified)
     * @return the values and their indices, each this tensor's shape with {@code k} along the axis
     * @throws IllegalArgumentException naming {@code k} and the shape when {@code k} is out of range
     */
    public TopK topk(int k, int axis, boolean largest, boolean sorted) {
        int a = Shapes.axis(axis, shape);
        int n = shape[a];
        if (k < 0 || k > n) {
            throw new IllegalArgumentException("topk: k = " + k + " is outside [0, " + n + "] for axis " + axis + " of shape " + Shapes.str(shape));
        }
        int[] order = sortedIndices(a, !largest);
        Tensor rows = rowsAlong(a);
        int count = n == 0 ? 0 : size / n;
        float[] values = new float[count * k];
        float[] indices = new float[count * k];
        for (int r = 0; r < count; r++) {
            int[] pick = Arrays.copyOfRange(order, r * n, r * n + k);
            if (!sorted) {
                Arrays.sort(pick);
            }
            for (int j = 0; j < k; j++) {
                values[r * k + j] = rows.array[(int) rows.offset + r * n + pick[j]];
                indices[r * k + j] = pick[j];
            }
        }
        int[] outShape = rowsShape(a);
        outShape[outShape.length - 1] = k;
        return new TopK(fromRows(values, outShape, a), fromRows(indices, outShape, a));
    }

    /**
     * The indices that sort the last axis in ascending order: {@code torch.argsort(x, stable=True)}.
     *
     * @return the indices, as floats (exact below 2^24)
     * @see #argsort(int, boolean)
     */
    public Tensor argsort() {
        return argsort(-1, false);
    }

    /**
     * The indices that sort an axis: {@code torch.argsort(x, dim, descending, stable=True)}. The sort
     * is stable in both directions (equal entries keep their order), NaN counts as larger than every
     * number (last ascending, first descending) and {@code -0.0} equals {@code 0.0}, as in PyTorch.
     *
     * <pre>{@code
     * Tensor.of(new float[] {2, 1, 2, 0}, 4).argsort(0, true);   // [0, 2, 1, 3]
     * }</pre>
     *
     * @param axis the axis (negative counts from the end)
     * @param descending largest first
     * @return this tensor's shape: entry {@code i} along the axis is the index of the {@code i}-th entry in order
     */
    public Tensor argsort(int axis, boolean descending) {
        int a = Shapes.axis(axis, shape);
        int[] order = sortedIndices(a, !descending);
        float[] out = new float[order.length];
        for (int i = 0; i < order.length; i++) {
            out[i] = order[i];
        }
        return fromRows(out, rowsShape(a), a);
    }

    /**
     * For each row along axis {@code a} (rows as {@link #rowsAlong} lays them out), the indices in
     * sorted order, ties by index. Each entry becomes one {@code long}: an order-preserving int of its
     * value above its index, so a plain sort of longs is a stable sort of the values.
     */
    private int[] sortedIndices(int a, boolean ascending) {
        int n = shape[a];
        Tensor rows = rowsAlong(a);
        int count = n == 0 ? 0 : size / n;
        int[] out = new int[count * n];
        float[] src = rows.array;
        int base = (int) rows.offset;
        Parallel.forRange(count, Math.max(1, 16384 / Math.max(n, 1)), (s, e) -> {
            long[] keys = new long[n];
            for (int r = s; r < e; r++) {
                for (int j = 0; j < n; j++) {
                    int key = sortableBits(src[base + r * n + j]);
                    keys[j] = ((long) (ascending ? key : ~key) << 32) | j;
                }
                Arrays.sort(keys);
                for (int j = 0; j < n; j++) {
                    out[r * n + j] = (int) keys[j];
                }
            }
        });
        return out;
    }

    /** An int whose signed order is the float order with -0.0 == 0.0 and NaN above +infinity. */
    private static int sortableBits(float v) {
        int bits = v == 0f ? 0 : Float.floatToIntBits(v); // floatToIntBits folds every NaN into one
        return bits ^ ((bits >> 31) & 0x7fffffff);
    }

    /** A tensor from row-major rows laid out with axis {@code a} last (as {@link #rowsAlong}), moved back into place. */
    private Tensor fromRows(float[] data, int[] rowShape, int a) {
        Tensor t = of(data, rowShape);
        return a == shape.length - 1 ? t : t.permute(inversePermutationMovingLast(a)).contiguous();
    }

    /**
     * The main diagonal of the first two axes (a view): {@code torch.diagonal(x)}.
     *
     * @return the diagonal, a view
     * @see #diagonal(int, int, int)
     */
    public Tensor diagonal() {
        return diagonal(0, 0, 1);
    }

    /**
     * A diagonal of two axes, as a view: {@code torch.diagonal(x, offset, dim1, dim2)}. Both axes are
     * removed and the diagonal becomes the last axis; {@code offset > 0} takes the diagonal above the
     * main one (entries {@code [i, i + offset]}), {@code offset < 0} below it. An offset past the edge
     * gives an empty diagonal, as in PyTorch.
     *
     * <pre>{@code
     * Tensor m = Tensor.arange(9).reshape(3, 3);   // [[0, 1, 2], [3, 4, 5], [6, 7, 8]]
     * m.diagonal(1, 0, 1);                         // [1, 5]
     * pattern.diagonal(-1, -2, -1);                // [batch, head_index, pos - 1]: attention to the previous token
     * }</pre>
     *
     * @param offset which diagonal: 0 the main one, positive above, negative below
     * @param dim1 the first axis (rows); negative counts from the end
     * @param dim2 the second axis (columns), not {@code dim1}
     * @return a view of this tensor's storage: the other axes in order, then the diagonal
     */
    public Tensor diagonal(int offset, int dim1, int dim2) {
        int d1 = Shapes.axis(dim1, shape);
        int d2 = Shapes.axis(dim2, shape);
        if (d1 == d2) {
            throw new IllegalArgumentException("diagonal: dim1 and dim2 are both axis " + d1 + " of shape " + Shapes.str(shape));
        }
        int length = offset >= 0 ? Math.min(shape[d1], shape[d2] - offset) : Math.min(shape[d1] + offset, shape[d2]);
        length = Math.max(0, length);
        long start = this.offset; // an empty diagonal stays at the start, as PyTorch's does
        if (length > 0) {
            start += offset >= 0 ? (long) offset * strides[d2] : (long) -offset * strides[d1];
        }
        int[] ns = new int[shape.length - 1];
        int[] st = new int[shape.length - 1];
        for (int d = 0, k = 0; d < shape.length; d++) {
            if (d != d1 && d != d2) {
                ns[k] = shape[d];
                st[k++] = strides[d];
            }
        }
        ns[ns.length - 1] = length;
        st[st.length - 1] = strides[d1] + strides[d2];
        return view(start, ns, st);
    }

    /**
     * Einstein summation over the common subset of {@code torch.einsum} and {@code einops.einsum}.
     *
     * <pre>{@code
     * Tensor.einsum("bij,bjk->bik", a, b);                  // batched matmul
     * Tensor.einsum("ij->ji", m);                           // transpose
     * Tensor.einsum("ii->", m);                             // trace
     * Tensor.einsum("ij,jk", a, b);                         // implicit output: letters used once, alphabetical ("ik")
     * Tensor.einsum("batch pos d_model, d_model d_vocab -> batch pos d_vocab", resid, wU);   // einops names
     * }</pre>
     *
     * <p>Dimensions are single letters (a-z, A-Z), or space-separated names as in einops (then the
     * {@code ->} and output are required). A name repeated within one operand takes its diagonal; a name
     * absent from the output is summed over. Operands combine left to right through {@link #matmul}, so a
     * contraction runs on the blocked GEMM. The ellipsis {@code ...}, einops's parentheses, and
     * broadcasting of size-1 dimensions are refused with an exception naming them.
     *
     * @param equation e.g. {@code "bhqk,bkhd->bqhd"}
     * @param operands one tensor per operand of the equation
     * @return a new contiguous tensor in the output's dimension order
     * @throws IllegalArgumentException naming the equation and what is wrong or unsupported
     */
    public static Tensor einsum(String equation, Tensor... operands) {
        return Einsum.compute(equation, operands);
    }

    /**
     * PyTorch's printing of this tensor, with its shape: the format of {@code repr(x)} with the default
     * print options, followed by {@code shape=[...]}. Large tensors (over 1000 elements) show the first
     * and last three entries of each axis around {@code ...}, as PyTorch does.
     *
     * <pre>{@code
     * Tensor.of(new float[] {1, 2, 3.5f, 4}, 2, 2)
     * // tensor([[1.0000, 2.0000],
     * //         [3.5000, 4.0000]], shape=[2, 2])
     * }</pre>
     *
     * @return a multi-line description with every printed value and the shape
     */
    @Override
    public String toString() {
        return TensorPrinter.print(this);
    }
}
