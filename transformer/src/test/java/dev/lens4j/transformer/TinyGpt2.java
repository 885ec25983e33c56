package dev.lens4j.transformer;

import dev.lens4j.tensor.Tensor;
import dev.lens4j.tensor.io.SafetensorsFile;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Test access to the tiny-gpt2 reference fixtures (see
 * {@code src/test/resources/reference/tiny-gpt2/README.md}): d_model 32, 2 layers, 4 heads,
 * d_head 8, d_mlp 128, n_ctx 24, d_vocab 101.
 */
final class TinyGpt2 {

    static final Path DIR = Path.of("src/test/resources/reference/tiny-gpt2");

    private TinyGpt2() {}

    /** @return the tiny model's config with {@code use_attn_result} on (as the fixtures were recorded) */
    static TransformerConfig config() {
        return TransformerConfig.gpt2(2, 32, 4, 24, 101).withModelName("tiny-gpt2").withHookSwitches(true, false, false, false);
    }

    static SafetensorsFile open(String file) {
        try {
            return SafetensorsFile.open(DIR.resolve(file));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A tensor of a file, copied to the heap. */
    static Tensor read(SafetensorsFile f, String name) {
        return Tensor.of(f.readFloats(name), f.info(name).shape());
    }

    /** An integer tensor {@code [rows, cols]} of a file (token ids, masks). */
    static int[][] ints(SafetensorsFile f, String name) {
        float[] v = f.readFloats(name);
        int[] shape = f.info(name).shape();
        int[][] out = new int[shape[0]][shape[1]];
        for (int i = 0; i < shape[0]; i++) {
            for (int j = 0; j < shape[1]; j++) {
                out[i][j] = (int) v[i * shape[1] + j];
            }
        }
        return out;
    }

    /**
     * The Hugging Face checkpoint as TransformerLens weights, zero-copy views of the mapped file:
     * {@code c_attn [d, 3d]} splits into Q | K | V column blocks, column {@code i * d_head + j} of a
     * block being head i, dimension j; {@code W_U = wte^T}; {@code b_U = 0}.
     */
    static TransformerWeights fromHf(SafetensorsFile f, TransformerConfig c) {
        int d = c.dModel(), h = c.nHeads(), dh = c.dHead();
        TransformerWeights.Builder w = TransformerWeights.builder(c);
        for (int l = 0; l < c.nLayers(); l++) {
            String p = "transformer.h." + l + ".";
            String b = "blocks." + l + ".";
            Tensor qkv = mapped(f, p + "attn.c_attn.weight").reshape(d, 3, h, dh);
            Tensor bqkv = mapped(f, p + "attn.c_attn.bias").reshape(3, h, dh);
            w.put(b + "ln1.w", mapped(f, p + "ln_1.weight")).put(b + "ln1.b", mapped(f, p + "ln_1.bias"));
            w.put(b + "attn.W_Q", qkv.select(1, 0).permute(1, 0, 2)).put(b + "attn.W_K", qkv.select(1, 1).permute(1, 0, 2))
                    .put(b + "attn.W_V", qkv.select(1, 2).permute(1, 0, 2));
            w.put(b + "attn.W_O", mapped(f, p + "attn.c_proj.weight").reshape(h, dh, d));
            w.put(b + "attn.b_Q", bqkv.select(0, 0)).put(b + "attn.b_K", bqkv.select(0, 1)).put(b + "attn.b_V", bqkv.select(0, 2));
            w.put(b + "attn.b_O", mapped(f, p + "attn.c_proj.bias"));
            w.put(b + "ln2.w", mapped(f, p + "ln_2.weight")).put(b + "ln2.b", mapped(f, p + "ln_2.bias"));
            w.put(b + "mlp.W_in", mapped(f, p + "mlp.c_fc.weight")).put(b + "mlp.b_in", mapped(f, p + "mlp.c_fc.bias"));
            w.put(b + "mlp.W_out", mapped(f, p + "mlp.c_proj.weight")).put(b + "mlp.b_out", mapped(f, p + "mlp.c_proj.bias"));
        }
        Tensor wte = mapped(f, "transformer.wte.weight");
        w.put("embed.W_E", wte).put("pos_embed.W_pos", mapped(f, "transformer.wpe.weight"));
        w.put("ln_final.w", mapped(f, "transformer.ln_f.weight")).put("ln_final.b", mapped(f, "transformer.ln_f.bias"));
        w.put("unembed.W_U", wte.transpose(0, 1)).put("unembed.b_U", Tensor.zeros(c.dVocab()));
        return w.build();
    }

    private static Tensor mapped(SafetensorsFile f, String name) {
        return Tensor.wrap(f.segment(name), f.info(name).shape());
    }

    /** A TransformerLens state-dict file, read onto the heap. */
    static TransformerWeights fromTl(String file, TransformerConfig c) {
        try (SafetensorsFile f = open(file)) {
            Map<String, Tensor> sd = new LinkedHashMap<>();
            for (String n : f.names()) {
                sd.put(n, read(f, n));
            }
            return TransformerWeights.fromStateDict(c, sd, file);
        }
    }

    /** The model on the mapped Hugging Face checkpoint (raw weights); closing it unmaps the file. */
    static HookedTransformer rawModel(TransformerConfig c) {
        SafetensorsFile f = open("hf/model.safetensors");
        return HookedTransformer.of(c, fromHf(f, c), null, f);
    }

    /** The model on TransformerLens's default-processed weights (LayerNormPre). */
    static HookedTransformer processedModel(TransformerConfig c) {
        TransformerConfig pc = c.withNormalization(Normalization.LN_PRE);
        return HookedTransformer.of(pc, fromTl("tl-weights-processed.safetensors", pc), null, null);
    }
}
