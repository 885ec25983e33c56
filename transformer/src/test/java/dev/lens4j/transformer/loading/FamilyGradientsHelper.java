package dev.lens4j.transformer.loading;

import dev.lens4j.tensor.Tensor;
import dev.lens4j.tensor.io.SafetensorsFile;
import dev.lens4j.transformer.HookedTransformer;
import dev.lens4j.transformer.ReferenceChecks;
import dev.lens4j.transformer.TransformerWeights;

import java.io.IOException;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/** Models of the family fixtures with heap copies of their weights, for tests that change or differentiate the weights. */
public final class FamilyGradientsHelper {

    private static final Map<HookedTransformer, Map<String, Tensor>> ORIGINAL = new IdentityHashMap<>();

    private FamilyGradientsHelper() {}

    /**
     * A family fixture's model (raw weights) with every weight copied to the heap.
     *
     * @param family a folder of the family fixtures
     * @return the model; {@link #original} gives a copy of its weights as loaded
     * @throws IOException if the fixture cannot be read
     */
    public static synchronized HookedTransformer heapModel(String family) throws IOException {
        try (LoadedCheckpoint c = HfCheckpoint.read(FamilyReferenceTest.ROOT.resolve(family).resolve("hf"), LoadOptions.noProcessing())) {
            TransformerWeights.Builder b = TransformerWeights.builder(c.config());
            Map<String, Tensor> copy = new LinkedHashMap<>();
            for (Map.Entry<String, Tensor> e : c.weights().stateDict().entrySet()) {
                b.put(e.getKey(), e.getValue().copy());
                copy.put(e.getKey(), e.getValue().copy());
            }
            HookedTransformer m = HookedTransformer.of(c.config(), b.build(), null, null);
            ORIGINAL.put(m, copy);
            return m;
        }
    }

    /**
     * The weights {@link #heapModel} loaded, as copies.
     *
     * @param m a model from {@link #heapModel}
     * @return name to tensor
     */
    public static synchronized Map<String, Tensor> original(HookedTransformer m) {
        return ORIGINAL.get(m);
    }

    /**
     * The fixture's test batch.
     *
     * @param family a folder of the family fixtures
     * @return {@code [2][12]} token ids
     * @throws IOException if the fixture cannot be read
     */
    public static int[][] tokens(String family) throws IOException {
        try (SafetensorsFile f = SafetensorsFile.open(FamilyReferenceTest.ROOT.resolve(family).resolve("hf-logits.safetensors"))) {
            return ReferenceChecks.ints(f, "tokens");
        }
    }
}
