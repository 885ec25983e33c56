package dev.lens4j.transformer.loading;

import dev.lens4j.tensor.Tensor;
import dev.lens4j.tensor.io.DType;

import java.io.IOException;
import java.util.Set;

/**
 * The tensors of a checkpoint, wherever they are stored (one mapped file, several shards, bytes read
 * from a class-path resource). Closing it releases the storage; tensors it handed out may be views
 * of that storage and become invalid.
 */
interface TensorSource extends AutoCloseable {

    /** @return every tensor name */
    Set<String> names();

    /**
     * @param name a tensor name
     * @return whether the checkpoint has it
     */
    default boolean contains(String name) {
        return names().contains(name);
    }

    /**
     * @param name a tensor name present in {@link #names()}
     * @return its shape as stored
     */
    int[] shape(String name);

    /**
     * @param name a tensor name present in {@link #names()}
     * @return its element type as stored
     */
    DType dtype(String name);

    /**
     * @param name a tensor name present in {@link #names()}
     * @return the file (or resource) that holds it, for messages
     */
    String fileOf(String name);

    /** @return what this source is, for messages: a file, a folder of shards, a resource */
    String describe();

    /**
     * Reads a float tensor: float32 data stays a zero-copy view where the storage allows it, F16,
     * BF16 and F64 are converted to a float32 heap copy.
     *
     * @param name a tensor name present in {@link #names()}
     * @return the tensor, shape as stored
     * @throws CheckpointFormatException naming file and tensor if its dtype is not a float type
     * @throws IOException if a source that reads from its files on demand cannot read one
     */
    Tensor tensor(String name) throws IOException;

    /** Releases the storage. */
    @Override
    void close();

    /** @return whether a dtype is one {@link #tensor} reads */
    static boolean isReadableFloat(DType t) {
        return t == DType.F32 || t == DType.F16 || t == DType.BF16 || t == DType.F64;
    }

    /**
     * Refuses a config with more blocks than the checkpoint has tensors, before anything is built
     * per block: without it, a config saying {@code n_layer: 1000000000} would build a billion
     * expected shapes (minutes, then out of memory) before finding the tensors missing.
     *
     * @param src the checkpoint's tensors
     * @param nLayers the config's number of blocks
     * @param key the config key that says it ({@code n_layer} or {@code n_layers})
     * @throws CheckpointFormatException naming the weights and the key
     */
    static void requireRoomForLayers(TensorSource src, int nLayers, String key) throws CheckpointFormatException {
        int n = src.names().size();
        if (nLayers > n) {
            throw new CheckpointFormatException(src.describe(), "holds " + n + " tensor" + (n == 1 ? "" : "s")
                    + ", fewer than the " + nLayers + " blocks that config.json's \"" + key + "\" says (a block has 8 or more)");
        }
    }

    /** The error for a tensor of a dtype that is not a float type. */
    static CheckpointFormatException unsupportedDtype(String file, String name, DType t) {
        return new CheckpointFormatException(file, "tensor \"" + name + "\" has dtype " + t
                + "; model weights must be F32, F16, BF16 or F64");
    }
}
