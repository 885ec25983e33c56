package dev.lens4j.transformer.loading;

import dev.lens4j.tensor.Tensor;
import dev.lens4j.tensor.io.DType;
import dev.lens4j.tensor.internal.Json;
import dev.lens4j.tensor.io.SafetensorsFile;
import dev.lens4j.tensor.matmul.StorageType;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One safetensors file or a sharded checkpoint ({@code model.safetensors.index.json} and its shards),
 * memory-mapped (or, for a class-path resource inside a jar, read into memory). F32, BF16 and F16
 * tensors are zero-copy views of the mapping (16-bit ones stay 16-bit: {@link Tensor#wrap(StorageType,
 * java.lang.foreign.MemorySegment, int...)}), F64 ones float32 heap copies; closing unmaps every shard.
 */
final class MappedSafetensors implements TensorSource {

    /** The index file of a sharded Hugging Face checkpoint. */
    static final String INDEX_FILE = "model.safetensors.index.json";

    private final List<SafetensorsFile> files;
    private final Map<String, SafetensorsFile> byName;
    private final String description;
    private final boolean heapCopies; // in-memory resources: float32 heap arrays are faster to compute with than segment views
    private boolean requireFinite = true;

    private MappedSafetensors(List<SafetensorsFile> files, Map<String, SafetensorsFile> byName, String description,
                              boolean heapCopies) {
        this.files = files;
        this.byName = byName;
        this.description = description;
        this.heapCopies = heapCopies;
    }

    /**
     * Opens the weights of a model folder: {@code model.safetensors}, or the shards listed in
     * {@code model.safetensors.index.json}.
     *
     * @param dir the folder
     * @return the open source
     * @throws NoSuchFileException if the folder has neither file, or a listed shard is missing
     * @throws IOException if a file is malformed (the message names it) or cannot be read
     */
    static MappedSafetensors openDirectory(Path dir) throws IOException {
        Path single = dir.resolve("model.safetensors");
        // Anything of that name, even a folder or a broken link: its reader says what is wrong with it.
        if (Files.exists(single, LinkOption.NOFOLLOW_LINKS)) {
            return openFile(single);
        }
        Path index = dir.resolve(INDEX_FILE);
        if (Files.exists(index, LinkOption.NOFOLLOW_LINKS)) {
            return openSharded(index);
        }
        throw new NoSuchFileException(dir.toString(), null, "has neither model.safetensors nor " + INDEX_FILE);
    }

    /**
     * @param file a safetensors file
     * @return the open source
     * @throws IOException if the file is missing, malformed or unreadable
     */
    static MappedSafetensors openFile(Path file) throws IOException {
        return single(SafetensorsFile.open(file), false);
    }

    /**
     * A safetensors file already in memory, such as a class-path resource inside a jar (which
     * cannot be memory-mapped); validated as strictly as a mapped file.
     *
     * @param name the resource name, for messages
     * @param data the file's bytes; used in place, not copied
     * @return the source
     * @throws IOException if the bytes break the format (the message names {@code name} and the tensor)
     */
    static MappedSafetensors inMemory(String name, byte[] data) throws IOException {
        return single(SafetensorsFile.of(java.lang.foreign.MemorySegment.ofArray(data), Path.of(name)), true);
    }

    private static MappedSafetensors single(SafetensorsFile f, boolean heapCopies) {
        Map<String, SafetensorsFile> byName = new LinkedHashMap<>();
        for (String n : f.names()) {
            byName.put(n, f);
        }
        return new MappedSafetensors(List.of(f), byName, f.path().toString(), heapCopies);
    }

    /**
     * Opens every shard named in an index's {@code weight_map}. Each tensor the map names must be in
     * the shard it names, and no tensor may be in two shards.
     */
    static MappedSafetensors openSharded(Path index) throws IOException {
        Map<String, String> weightMap = readWeightMap(index);
        Path dir = index.toAbsolutePath().normalize().getParent();
        List<SafetensorsFile> opened = new ArrayList<>();
        try {
            Map<String, SafetensorsFile> shards = new LinkedHashMap<>();
            for (String shard : new LinkedHashSet<>(weightMap.values())) {
                Path p = shardPath(index, dir, shard);
                SafetensorsFile f = SafetensorsFile.open(p);
                opened.add(f);
                shards.put(shard, f);
            }
            Map<String, SafetensorsFile> byName = new LinkedHashMap<>();
            for (SafetensorsFile f : opened) {
                for (String n : f.names()) {
                    SafetensorsFile before = byName.putIfAbsent(n, f);
                    if (before != null) {
                        throw new CheckpointFormatException(index.toString(), "tensor \"" + n + "\" is in two shards, "
                                + before.path().getFileName() + " and " + f.path().getFileName());
                    }
                }
            }
            for (Map.Entry<String, String> e : weightMap.entrySet()) {
                SafetensorsFile f = shards.get(e.getValue());
                if (!f.contains(e.getKey())) {
                    throw new CheckpointFormatException(index.toString(), "weight_map puts tensor \"" + e.getKey()
                            + "\" in " + e.getValue() + ", but that shard does not have it");
                }
            }
            return new MappedSafetensors(List.copyOf(opened), byName,
                    index + " (" + opened.size() + " shard" + (opened.size() == 1 ? "" : "s") + ")", false);
        } catch (IOException | RuntimeException | Error e) {
            for (SafetensorsFile f : opened) {
                f.close();
            }
            throw e;
        }
    }

    /** The file a shard name in the index names: a file of the checkpoint folder or below it. */
    private static Path shardPath(Path index, Path dir, String shard) throws CheckpointFormatException {
        String problem = shard.isEmpty() ? "is empty"
                : shard.indexOf('\0') >= 0 ? "holds a NUL character"
                : null;
        Path p = null;
        if (problem == null) {
            try {
                p = dir.resolve(shard).normalize();
            } catch (InvalidPathException e) {
                problem = "is not a valid file name (" + e.getReason() + ")";
            }
        }
        if (problem == null && (!p.startsWith(dir) || p.equals(dir))) {
            problem = "is outside the checkpoint folder";
        }
        if (problem != null) {
            throw new CheckpointFormatException(index.toString(), "weight_map names shard " + Json.write(shard) + ", which " + problem);
        }
        return p;
    }

    private static Map<String, String> readWeightMap(Path index) throws IOException {
        Map<String, Object> json = JsonFiles.readObject(index);
        if (!(json.get("weight_map") instanceof Map<?, ?> map)) {
            throw new CheckpointFormatException(index.toString(), "has no \"weight_map\" object");
        }
        Map<String, String> out = new LinkedHashMap<>();
        for (Map.Entry<?, ?> e : map.entrySet()) {
            if (!(e.getValue() instanceof String shard)) {
                throw new CheckpointFormatException(index.toString(), "weight_map entry \"" + e.getKey()
                        + "\" is a JSON " + Json.typeName(e.getValue()) + ", expected a shard file name");
            }
            out.put((String) e.getKey(), shard);
        }
        if (out.isEmpty()) {
            throw new CheckpointFormatException(index.toString(), "weight_map is empty");
        }
        return out;
    }

    @Override
    public Set<String> names() {
        return Collections.unmodifiableSet(byName.keySet());
    }

    @Override
    public int[] shape(String name) {
        return byName.get(name).info(name).shape();
    }

    @Override
    public DType dtype(String name) {
        return byName.get(name).info(name).dtype();
    }

    @Override
    public String fileOf(String name) {
        SafetensorsFile f = byName.get(name);
        return f == null ? description : f.path().toString();
    }

    @Override
    public String describe() {
        return description;
    }

    /**
     * Whether {@link #tensor} refuses tensors holding NaN or infinite values (it does unless told otherwise).
     *
     * @param require true to refuse them (see {@link FiniteWeights})
     * @return this source
     */
    MappedSafetensors requireFinite(boolean require) {
        this.requireFinite = require;
        return this;
    }

    /** @return whether {@link #tensor} refuses tensors holding NaN or infinite values */
    boolean requiresFinite() {
        return requireFinite;
    }

    /**
     * @throws CheckpointFormatException also if the tensor holds a NaN or infinite value (naming it),
     *     unless {@link #requireFinite} was turned off
     */
    @Override
    public Tensor tensor(String name) throws CheckpointFormatException {
        SafetensorsFile f = byName.get(name);
        DType t = f.info(name).dtype();
        if (!TensorSource.isReadableFloat(t)) {
            throw TensorSource.unsupportedDtype(f.path().toString(), name, t);
        }
        int[] shape = f.info(name).shape();
        StorageType stored = storageType(t);
        if (heapCopies || stored == null) {
            float[] values = f.readFloats(name); // F64, or any dtype of an in-memory resource: a float32 heap copy
            if (requireFinite) {
                FiniteWeights.require(f.path().toString(), name, shape, values, 0);
            }
            return Tensor.of(values, shape);
        }
        if (requireFinite) {
            FiniteWeights.require(f.path().toString(), name, shape, stored, f.segment(name));
        }
        // a zero-copy view of the mapping; F16 and BF16 stay 16-bit, widened where they are read
        return Tensor.wrap(stored, f.segment(name), shape);
    }

    /** The storage a tensor of this dtype keeps as a view of the mapping, or null for one read into a float32 copy. */
    private static StorageType storageType(DType t) {
        return switch (t) {
            case F32 -> StorageType.F32;
            case BF16 -> StorageType.BF16;
            case F16 -> StorageType.F16;
            default -> null;
        };
    }

    /**
     * Whether the bytes are in memory already (a class-path resource), so that reading tensors into
     * heap arrays needs no unmapping first.
     *
     * @return true for {@link #inMemory} sources
     */
    boolean isHeap() {
        return heapCopies;
    }

    /**
     * Where each tensor is, to read it after this source is closed ({@link FileTensors}).
     *
     * @return tensor name to its file and header entry, in this source's order
     */
    Map<String, FileTensors.Location> locations() {
        Map<String, FileTensors.Location> out = new LinkedHashMap<>();
        byName.forEach((n, f) -> out.put(n, new FileTensors.Location(f.path(), f.info(n))));
        return out;
    }

    /** @return the total size of the mapped files in bytes */
    long mappedBytes() throws IOException {
        long n = 0;
        for (SafetensorsFile f : files) {
            n += Files.size(f.path());
        }
        return n;
    }

    @Override
    public void close() {
        for (SafetensorsFile f : files) {
            f.close();
        }
    }

    @Override
    public String toString() {
        return "MappedSafetensors[" + description + "]";
    }
}
