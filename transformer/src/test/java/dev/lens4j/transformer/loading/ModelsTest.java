package dev.lens4j.transformer.loading;

import dev.lens4j.transformer.Normalization;
import dev.lens4j.tensor.Tensor;
import dev.lens4j.transformer.HookedTransformer;
import dev.lens4j.transformer.TransformerWeights;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.OutputStream;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Map;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assumptions.assumeThat;

/** Finding models by folder, by name, in the Hugging Face cache, and as class-path resources (folder or jar). */
class ModelsTest {

    private static final Map<String, Tensor> TL_PROCESSED = TinyGpt2.readAll("tl-weights-processed.safetensors");
    private static final Map<String, Tensor> TL_RAW = TinyGpt2.readAll("tl-weights-raw.safetensors");

    @Test
    void fromPretrainedProcessesLikeTransformerLensAndNoProcessingDoesNot() throws IOException {
        try (HookedTransformer m = Models.fromPretrained(TinyGpt2.path("hf"))) {
            assertThat(m.config().normalization()).isEqualTo(Normalization.LN_PRE);
            Gpt2CheckpointTest.assertEqual(m.weights().stateDict(), TL_PROCESSED, 1e-5f);
        }
        try (HookedTransformer m = Models.fromPretrainedNoProcessing(TinyGpt2.path("hf"))) {
            Gpt2CheckpointTest.assertEqual(m.weights().stateDict(), TL_RAW, 0f);
        }
        try (HookedTransformer m = Models.fromPretrainedNoProcessing(TinyGpt2.path("hf").toString())) {
            Gpt2CheckpointTest.assertEqual(m.weights().stateDict(), TL_RAW, 0f);
        }
    }

    @Test
    void namesResolveInTheHuggingFaceCache() throws IOException {
        Path hub = TinyGpt2.path("hf-cache");
        try (LoadedCheckpoint c = Models.read("tiny-gpt2", LoadOptions.noProcessing(), getClass().getClassLoader(), hub)) {
            assertThat(c.config().modelName()).isEqualTo("tiny-gpt2");
            Gpt2CheckpointTest.assertEqual(c.weights().stateDict(), TL_RAW, 0f);
        }
        // The model's cache folder itself is followed to its snapshot.
        try (LoadedCheckpoint c = Models.read(hub.resolve("models--tiny-gpt2"), LoadOptions.noProcessing())) {
            Gpt2CheckpointTest.assertEqual(c.weights().stateDict(), TL_RAW, 0f);
        }
        assertThatThrownBy(() -> Models.read("no-such-model", LoadOptions.noProcessing(), getClass().getClassLoader(), hub))
                .isInstanceOf(NoSuchFileException.class)
                .hasMessageContaining("dev/lens4j/transformer/models/no-such-model/")
                .hasMessageContaining("a folder")
                .hasMessageContaining("models--no-such-model");
    }

    @Test
    void resourcesLoadFromAFolderAndFromAJar(@TempDir Path tmp) throws IOException {
        // A TransformerLens-named checkpoint and a Hugging Face one, as class-path resources.
        Path classes = tmp.resolve("classes");
        Path lens = classes.resolve(Models.RESOURCE_ROOT + "tiny-lens");
        try (HookedTransformer m = Models.fromPretrained(TinyGpt2.path("hf"))) {
            LensCheckpoint.save(m, lens);
        }
        Path hf = classes.resolve(Models.RESOURCE_ROOT + "tiny-hf");
        Files.createDirectories(hf);
        for (String f : new String[] {"config.json", "model.safetensors"}) {
            Files.copy(TinyGpt2.path("hf/" + f), hf.resolve(f));
        }
        Path jar = tmp.resolve("models.jar");
        jar(classes, jar);

        for (URL url : new URL[] {classes.toUri().toURL(), jar.toUri().toURL()}) {
            boolean inJar = url.getPath().endsWith(".jar");
            try (URLClassLoader loader = new URLClassLoader(new URL[] {url}, null)) {
                try (LoadedCheckpoint c = Models.read("tiny-lens", LoadOptions.noProcessing(), loader, tmp)) {
                    assertThat(c.config().normalization()).isEqualTo(Normalization.LN_PRE);
                    Gpt2CheckpointTest.assertEqual(c.weights().stateDict(), TL_PROCESSED, 1e-5f);
                    assertThat(c.weights().wE().isHeap()).as("read into memory from a jar, mapped from a folder").isEqualTo(inJar);
                }
                try (LoadedCheckpoint c = Models.read("tiny-hf", LoadOptions.defaults(), loader, tmp)) {
                    Gpt2CheckpointTest.assertEqual(c.weights().stateDict(), TL_PROCESSED, 1e-5f);
                }
                try (LoadedCheckpoint c = Models.read("tiny-hf", LoadOptions.noProcessing(), loader, tmp)) {
                    Gpt2CheckpointTest.assertEqual(c.weights().stateDict(), TL_RAW, 0f);
                }
            }
        }
    }

    @Test
    void badResourceInAJarNamesTheResource(@TempDir Path tmp) throws IOException {
        Path dir = tmp.resolve("classes").resolve(Models.RESOURCE_ROOT + "broken");
        Files.createDirectories(dir);
        Files.copy(TinyGpt2.path("hf/config.json"), dir.resolve("config.json"));
        byte[] model = Files.readAllBytes(TinyGpt2.path("hf/model.safetensors"));
        Files.write(dir.resolve("model.safetensors"), java.util.Arrays.copyOf(model, model.length - 100));
        Path jar = tmp.resolve("broken.jar");
        jar(tmp.resolve("classes"), jar);
        try (URLClassLoader loader = new URLClassLoader(new URL[] {jar.toUri().toURL()}, null)) {
            assertThatThrownBy(() -> Models.read("broken", LoadOptions.noProcessing(), loader, tmp))
                    .isInstanceOf(dev.lens4j.tensor.io.SafetensorsFormatException.class)
                    .hasMessageContaining(Models.RESOURCE_ROOT + "broken/model.safetensors")
                    .hasMessageContaining("past the end");
        }
    }

    @Test
    void theShippedInductionModelLoadsWhenPresent() throws IOException {
        assumeThat(Models.class.getClassLoader().getResource(Models.RESOURCE_ROOT + "induction-2l/config.json"))
                .as("induction-2l is shipped by the training work").isNotNull();
        try (HookedTransformer m = Models.fromPretrained("induction-2l")) {
            assertThat(m.config().nLayers()).isEqualTo(2);
            assertThat(m.hasTokenizer()).isTrue();
            TransformerWeights w = m.weights();
            assertThat(w.wE().dim(0)).isEqualTo(m.config().dVocab());
        }
    }

    private static void jar(Path root, Path jar) throws IOException {
        try (OutputStream out = Files.newOutputStream(jar); JarOutputStream j = new JarOutputStream(out);
             var files = Files.walk(root)) {
            for (Path p : files.filter(Files::isRegularFile).sorted().toList()) {
                j.putNextEntry(new JarEntry(root.relativize(p).toString().replace('\\', '/')));
                Files.copy(p, j);
                j.closeEntry();
            }
        }
    }
}
