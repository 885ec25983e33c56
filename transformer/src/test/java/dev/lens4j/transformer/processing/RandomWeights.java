package dev.lens4j.transformer.processing;

import dev.lens4j.tensor.Tensor;
import dev.lens4j.transformer.TransformerConfig;
import dev.lens4j.transformer.TransformerWeights;

import java.util.Map;
import java.util.LinkedHashMap;

/** Random weights for a config, every parameter (biases and LayerNorms included) nonzero. */
final class RandomWeights {

    private RandomWeights() {}

    static TransformerWeights of(TransformerConfig cfg, long seed) {
        Map<String, Tensor> sd = new LinkedHashMap<>();
        long s = seed * 1000;
        for (Map.Entry<String, int[]> e : TransformerWeights.shapes(cfg).entrySet()) {
            Tensor t = Tensor.randn(s++, e.getValue()).mul(0.5f);
            if (e.getKey().endsWith(".w")) {
                t = t.mul(0.5f).add(1f);
            }
            sd.put(e.getKey(), t);
        }
        return TransformerWeights.fromStateDict(cfg, sd, "random");
    }
}
