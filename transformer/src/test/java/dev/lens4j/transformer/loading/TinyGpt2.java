package dev.lens4j.transformer.loading;

import dev.lens4j.tensor.Tensor;
import dev.lens4j.tensor.io.SafetensorsFile;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The tiny GPT-2 reference fixtures of {@code tools/reference} (see the README next to them): d_model
 * 32, 2 layers, 4 heads, d_mlp 128, n_ctx 24, d_vocab 101.
 */
public final class TinyGpt2 {

    /** d_model, n_layers, n_heads, d_head, d_mlp, n_ctx, d_vocab of the tiny model. */
    public static final int D = 32, LAYERS = 2, HEADS = 4, D_HEAD = 8, D_MLP = 128, N_CTX = 24, VOCAB = 101;

    private TinyGpt2() {}

    /**
     * @param relative a path inside {@code reference/tiny-gpt2/}, e.g. {@code "hf"}
     * @return its location on disk
     */
    public static Path path(String relative) {
        URL url = TinyGpt2.class.getResource("/reference/tiny-gpt2/README.md");
        if (url == null) {
            throw new IllegalStateException("reference/tiny-gpt2 fixtures are not on the test class path");
        }
        try {
            return Path.of(url.toURI()).getParent().resolve(relative);
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Reads every float tensor of a fixture file into heap tensors.
     *
     * @param relative the file inside {@code reference/tiny-gpt2/}
     * @return name to tensor
     */
    public static Map<String, Tensor> readAll(String relative) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        try (SafetensorsFile f = SafetensorsFile.open(path(relative))) {
            for (String n : f.names()) {
                out.put(n, Tensor.of(f.readFloats(n), f.info(n).shape()));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out;
    }
}
