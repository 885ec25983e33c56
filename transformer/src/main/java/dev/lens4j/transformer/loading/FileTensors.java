package dev.lens4j.transformer.loading;

import dev.lens4j.tensor.Tensor;
import dev.lens4j.tensor.io.DType;
import dev.lens4j.tensor.io.FileErrors;
import dev.lens4j.tensor.io.SafetensorsFile;
import dev.lens4j.tensor.io.TensorInfo;

import java.io.EOFException;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Collections;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/**
 * The tensors of checkpoint files whose headers have been validated (by a {@link MappedSafetensors},
 * since closed), read on demand with positional reads into new float32 heap arrays; nothing is
 * mapped. For loads that copy every weight anyway, as weight processing does: a mapping would add
 * the whole file to the memory in use while the copies grow, where reading holds one 1 MB buffer.
 */
final class FileTensors implements TensorSource {

    /** Bytes read per call: a multiple of every element size. */
    private static final int CHUNK = 1 << 20;

    /**
     * Where a tensor is.
     *
     * @param file the safetensors file
     * @param info its header entry; {@link TensorInfo#fileOffset()} counts from the start of the file
     */
    record Location(Path file, TensorInfo info) {}

    private final Map<String, Location> locations;
    private final String description;
    private final Map<Path, FileChannel> channels = new HashMap<>();
    private ByteBuffer buffer; // direct, so reads need no hidden temporary buffer

    private final boolean requireFinite;

    private FileTensors(Map<String, Location> locations, String description, boolean requireFinite) {
        this.locations = locations;
        this.description = description;
        this.requireFinite = requireFinite;
    }

    /**
     * The tensors of a validated source, to be read from its files after it is closed.
     *
     * @param validated the source whose headers were checked; close it before reading from this one
     * @return the source, refusing non-finite values when {@code validated} does
     */
    static FileTensors of(MappedSafetensors validated) {
        return new FileTensors(validated.locations(), validated.describe(), validated.requiresFinite());
    }

    @Override
    public Set<String> names() {
        return Collections.unmodifiableSet(locations.keySet());
    }

    @Override
    public int[] shape(String name) {
        return locations.get(name).info().shape();
    }

    @Override
    public DType dtype(String name) {
        return locations.get(name).info().dtype();
    }

    @Override
    public String fileOf(String name) {
        Location l = locations.get(name);
        return l == null ? description : l.file().toString();
    }

    @Override
    public String describe() {
        return description;
    }

    /**
     * Reads a tensor into a new heap array, converting F16, BF16 and F64 to float32.
     *
     * @param name a tensor name present in {@link #names()}
     * @return the tensor, shape as stored
     * @throws CheckpointFormatException naming file and tensor if its dtype is not a float type, it
     *     is too large for one Java array, or (unless turned off) it holds a NaN or infinite value
     * @throws IOException if the file cannot be read or ends early (it changed since it was validated)
     */
    @Override
    public Tensor tensor(String name) throws IOException {
        Location l = locations.get(name);
        TensorInfo t = l.info();
        DType dtype = t.dtype();
        if (!TensorSource.isReadableFloat(dtype)) {
            throw TensorSource.unsupportedDtype(l.file().toString(), name, dtype);
        }
        if (t.numel() > SafetensorsFile.MAX_ARRAY_LENGTH) {
            throw new CheckpointFormatException(l.file().toString(), "tensor \"" + name + "\" has " + t.numel()
                    + " elements, more than a Java array holds");
        }
        float[] out = new float[(int) t.numel()];
        try {
            read(l, name, out);
        } catch (IOException e) {
            throw FileErrors.naming(l.file(), e);
        }
        if (requireFinite) {
            FiniteWeights.require(l.file().toString(), name, t.shape(), out, 0);
        }
        return Tensor.of(out, t.shape());
    }

    /** Reads a tensor's elements from its file into {@code out}, converting them to float32. */
    private void read(Location l, String name, float[] out) throws IOException {
        TensorInfo t = l.info();
        DType dtype = t.dtype();
        FileChannel ch = channel(l.file());
        if (buffer == null) {
            buffer = ByteBuffer.allocateDirect(CHUNK);
        }
        int size = dtype.byteSize();
        long position = t.fileOffset();
        long end = position + t.byteLength();
        int done = 0;
        while (position < end) {
            buffer.clear().limit((int) Math.min(CHUNK, end - position));
            while (buffer.hasRemaining()) {
                int n = ch.read(buffer, position + buffer.position());
                if (n < 0) {
                    throw new EOFException(l.file() + ": file ends inside tensor \"" + name + "\" (at byte "
                            + (position + buffer.position()) + "); it changed after it was opened");
                }
            }
            buffer.flip();
            int count = buffer.limit() / size;
            SafetensorsFile.decodeFloats(dtype, MemorySegment.ofBuffer(buffer), 0, out, done, count);
            done += count;
            position += buffer.limit();
        }
    }

    private FileChannel channel(Path file) throws IOException {
        FileChannel ch = channels.get(file);
        if (ch == null) {
            ch = FileChannel.open(file, StandardOpenOption.READ);
            channels.put(file, ch);
        }
        return ch;
    }

    /** Closes the files. */
    @Override
    public void close() {
        for (FileChannel ch : channels.values()) {
            try {
                ch.close();
            } catch (IOException e) {
                // read-only channels: nothing was written that could be lost
            }
        }
        channels.clear();
    }

    @Override
    public String toString() {
        return "FileTensors[" + description + "]";
    }
}
