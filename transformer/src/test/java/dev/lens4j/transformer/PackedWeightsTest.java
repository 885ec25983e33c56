package dev.lens4j.transformer;

import dev.lens4j.tensor.Parallel;
import dev.lens4j.tensor.Tensor;
import dev.lens4j.tensor.matmul.MatrixOperand;
import dev.lens4j.transformer.generation.GenerationConfig;
import dev.lens4j.transformer.generation.GenerationResult;
import dev.lens4j.transformer.generation.Generator;
import dev.lens4j.transformer.loading.HfCheckpoint;
import dev.lens4j.transformer.loading.LoadOptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Consumer;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Weights packed once for the GEMM ({@link PackedWeights}): a pass from the packed copies gives the
 * bits of a pass that packs per call, for every family and thread count, and a weight changed after a
 * pass, through any path that reaches its storage, is what the next pass multiplies by. The reference
 * for "sees the edit" is a new model built from copies of the edited weights, run without packing.
 */
class PackedWeightsTest {

    private static final TransformerConfig C = TransformerConfig.gpt2(2, 48, 4, 16, 61).withModelName("packed");
    /** 2 x 9 positions: 18 rows, above the few-row matrix-vector path, so the GEMM runs. */
    private static final int[][] TOKENS = RandomModels.tokens(5, 2, 9, 61);
    private static final ForwardOptions UNPACKED = ForwardOptions.builder().packedWeights(WeightPacking.NONE).build();

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"gpt2", "gpt_neox", "llama", "llama-untied", "mistral", "qwen2", "qwen3", "gemma", "gemma2", "phi3"})
    void packedAndUnpackedPassesGiveTheSameBits(String family) throws IOException {
        Path dir = Path.of("src/test/resources/reference/families").resolve(family).resolve("hf");
        int before = Parallel.threads();
        // processed: the weights are float32 heap arrays, which the model packs
        try (HookedTransformer m = HfCheckpoint.load(dir, LoadOptions.defaults())) {
            int[][] tokens = RandomModels.tokens(3, 2, 7, m.config().dVocab());
            assertThat(m.packedWeightBytes()).as("nothing packed before a pass").isZero();
            for (int threads = 1; threads <= 2; threads++) {
                Parallel.setThreads(threads);
                Tensor unpacked = m.run(tokens, UNPACKED).logits();
                if (threads == 1) {
                    assertThat(m.packedWeightBytes()).as("a pass without packing packs nothing").isZero();
                }
                Tensor packed = m.forward(tokens);
                assertThat(m.packedWeightBytes()).as(family + ": packed copies made").isEqualTo(expectedBytes(m));
                assertThat(packed.toArray()).as(family + " logits, " + threads + " threads").containsExactly(unpacked.toArray());
                ForwardResult cached = m.runWithCache(tokens), cachedUnpacked = m.run(tokens,
                        ForwardOptions.builder().cache(n -> true).packedWeights(WeightPacking.NONE).build());
                for (String n : cachedUnpacked.cache().names()) {
                    assertThat(cached.cache().get(n).toArray()).as(family + " " + n).containsExactly(cachedUnpacked.cache().get(n).toArray());
                }
            }
        } finally {
            Parallel.setThreads(before);
        }
    }

    /** What the packed copies of every whole matrix a pass multiplies by come to, from PackedMatrix itself. */
    private static long expectedBytes(HookedTransformer m) {
        long b = 0;
        for (MatrixOperand o : packable(m)) {
            b += (o.type() == dev.lens4j.tensor.matmul.StorageType.BF16 ? dev.lens4j.tensor.matmul.PackedMatrix.packBfloat16(o)
                    : dev.lens4j.tensor.matmul.PackedMatrix.pack(o)).bytes();
        }
        return b;
    }

    private static PreparedWeights preparedOf(HookedTransformer m) {
        try {
            var f = HookedTransformer.class.getDeclaredField("prepared");
            f.setAccessible(true);
            return (PreparedWeights) f.get(m);
        } catch (ReflectiveOperationException e) {
            throw new AssertionError(e);
        }
    }

    /** The logits of a new, unpacked model built from copies of the given model's weights as they are now. */
    private static Tensor fresh(HookedTransformer m) {
        Map<String, Tensor> copies = new LinkedHashMap<>();
        m.weights().stateDict().forEach((k, v) -> copies.put(k, v.copy()));
        try (HookedTransformer n = HookedTransformer.of(m.config(), TransformerWeights.fromStateDict(m.config(), copies, "copies"), null, null)) {
            return n.run(TOKENS, UNPACKED).logits();
        }
    }

    /** Runs a packed pass, applies an edit, and checks the next pass against a fresh model of the edited weights. */
    private static void editAfterAPass(String what, Consumer<HookedTransformer> edit) {
        try (HookedTransformer m = RandomModels.model(C, 11)) {
            Tensor before = m.forward(TOKENS);
            assertThat(m.packedWeightBytes()).as("packed").isPositive();
            edit.accept(m);
            Tensor after = m.forward(TOKENS);
            assertThat(after.allClose(before, 1e-3f, 1e-3f)).as(what + ": the edit changes the logits").isFalse();
            assertThat(after.toArray()).as(what + ": the next pass sees the edit").containsExactly(fresh(m).toArray());
            // and the pass after (a repacked copy, or the matrix as it is) still does
            assertThat(m.forward(TOKENS).toArray()).as(what + ", again").containsExactly(after.toArray());
        }
    }

    @Test
    void setReachesTheNextPass() {
        editAfterAPass("set on W_in", m -> {
            Tensor w = m.weights().layers().get(0).wIn();
            for (int j = 0; j < 40; j++) {
                w.set(2f, j % C.dModel(), j);
            }
        });
        editAfterAPass("set on W_U", m -> m.weights().wU().set(5f, 3, 7));
    }

    @Test
    void copyFromReachesTheNextPass() {
        // W_Q is a view of the fused [d_model, 3 d_model] QKV matrix the pass multiplies by
        editAfterAPass("copyFrom into W_Q", m -> {
            Tensor wq = m.weights().layers().get(1).wQ();
            wq.copyFrom(wq.mul(3f));
        });
        editAfterAPass("copyFrom into a head of W_O (ablating it)", m -> m.weights().layers().get(0).wO().select(0, 2).copyFrom(Tensor.scalar(0f)));
    }

    @Test
    void rawArraysReachTheNextPass() {
        editAfterAPass("heapArray of W_out, written after it was handed out", m -> {
            float[] a = m.weights().layers().get(1).wOut().heapArray();
            for (int i = 0; i < a.length; i += 3) {
                a[i] = -a[i] * 2;
            }
        });
        editAfterAPass("heapStorage of W_K", m -> {
            float[] a = m.weights().layers().get(0).wK().heapStorage();
            java.util.Arrays.fill(a, 0, 500, 0.25f);
        });
        editAfterAPass("asMatrix of W_in", m -> {
            MatrixOperand o = m.weights().layers().get(0).wIn().asMatrix();
            o.array()[(int) o.offset() + 5] = 9f;
            o.array()[(int) o.offset() + 77] = -9f;
        });
        editAfterAPass("sameViewOver's function, which sees W_U's array", m -> m.weights().wU().sameViewOver(a -> {
            a[12] = 40f;
            return new float[a.length];
        }));
    }

    @Test
    void rawArraysHandedOutBeforeAPassAreNeverTrusted() {
        try (HookedTransformer m = RandomModels.model(C, 12)) {
            float[] raw = m.weights().layers().get(0).wIn().heapArray();   // handed out before any pass
            m.forward(TOKENS);
            long packed = m.packedWeightBytes();
            raw[3] = 7f;                                                   // no Tensor call at all
            assertThat(m.forward(TOKENS).toArray()).as("the write through the early raw array").containsExactly(fresh(m).toArray());
            assertThat(m.packedWeightBytes()).as("W_in is not packed: its array is out").isEqualTo(packed);
        }
    }

    @Test
    void viewsMadeBeforeAPassAndTheTensorsPassedInReachTheNextPass() {
        TransformerWeights w = RandomModels.weights(C, 13, 0.3f);
        try (HookedTransformer m = HookedTransformer.of(C, w, null, null)) {
            Tensor row = m.weights().layers().get(1).wIn().select(0, 4);   // a view made before the pass
            m.forward(TOKENS);
            row.copyFrom(Tensor.scalar(1.5f));
            assertThat(m.forward(TOKENS).toArray()).as("a view made before the pass").containsExactly(fresh(m).toArray());
            w.layers().get(0).wOut().set(4f, 2, 3);                          // the tensor passed to of(), same storage
            assertThat(m.forward(TOKENS).toArray()).as("the tensor passed in").containsExactly(fresh(m).toArray());
        }
    }

    @Test
    void twoModelsOverOneSetOfWeightsSeeEachOthersEdits() {
        try (HookedTransformer a = RandomModels.model(C, 14);
             HookedTransformer b = HookedTransformer.of(C, a.weights(), null, null)) {
            a.forward(TOKENS);
            b.forward(TOKENS);
            a.weights().layers().get(1).wOut().set(3f, 0, 0);
            Tensor expected = fresh(a);
            assertThat(a.forward(TOKENS).toArray()).as("a").containsExactly(expected.toArray());
            assertThat(b.forward(TOKENS).toArray()).as("b, edited through a").containsExactly(expected.toArray());
        }
    }

    /** Building a second model over the same weights (as EAP-IG's graph view does) only reads them: the first stays packed. */
    @Test
    void aSecondModelOverTheSameWeightsLeavesTheFirstPacked() {
        try (HookedTransformer a = RandomModels.model(C, 18)) {
            Tensor before = a.forward(TOKENS);
            long packed = a.packedWeightBytes();
            assertThat(packed).isPositive();
            try (HookedTransformer b = HookedTransformer.of(C, a.weights(), null, null)) {
                assertThat(b.forward(TOKENS).toArray()).containsExactly(before.toArray());
                assertThat(b.packedWeightBytes()).as("the second model packs its own copies").isEqualTo(packed);
            }
            assertThat(a.forward(TOKENS).toArray()).containsExactly(before.toArray());
            assertThat(a.packedWeightBytes()).as("the first model's copies are still trusted").isEqualTo(packed);
            a.weights().layers().get(0).wIn().set(2f, 1, 1);   // and a write is still seen
            assertThat(a.forward(TOKENS).toArray()).containsExactly(fresh(a).toArray());
        }
    }

    @Test
    void closingTheModelDropsItsPackedCopies() {
        HookedTransformer m = RandomModels.model(C, 17);
        m.forward(TOKENS);
        assertThat(m.packedWeightBytes()).isPositive();
        m.close();
        assertThat(m.packedWeightBytes()).isZero();
    }

    @Test
    void aFewPositionsAreNotPacked() {
        try (HookedTransformer m = RandomModels.model(C, 15)) {
            m.forward(RandomModels.tokens(1, 1, 4, 61));   // 4 rows: the matrix-vector path
            assertThat(m.packedWeightBytes()).isZero();
        }
    }

    @Test
    void mappedFloat32IsPackedSixteenBitWhenItFitsAndTheBitsNeverChange() throws IOException {
        Path dir = Path.of("src/test/resources/reference/families/gpt_neox");
        int[][] tokens = RandomModels.tokens(1, 2, 7, 512);
        try (HookedTransformer m = HfCheckpoint.load(dir.resolve("hf"), LoadOptions.noProcessing())) {
            assertThat(m.weights().layers().get(0).wIn().isHeap()).as("mapped").isFalse();
            Tensor unpacked = m.run(tokens, UNPACKED).logits();
            Tensor packed = m.forward(tokens);
            assertThat(m.packedWeightBytes()).as("a read-only float32 mapping is packed").isEqualTo(expectedBytes(m));
            assertThat(packed.toArray()).containsExactly(unpacked.toArray());
        }
        try (HookedTransformer m = HfCheckpoint.load(dir.resolve("hf-bf16"), LoadOptions.noProcessing())) {
            Tensor unpacked = m.run(tokens, UNPACKED).logits();
            Tensor float32Only = m.run(tokens, ForwardOptions.builder().packedWeights(WeightPacking.FLOAT32).build()).logits();
            assertThat(m.packedWeightBytes()).as("FLOAT32 leaves bfloat16 in the mapping").isZero();
            assertThat(m.packsSixteenBitWeights()).as("a tiny model's copies fit in half the heap").isTrue();
            Tensor byDefault = m.forward(tokens);
            assertThat(m.packedWeightBytes()).as("bfloat16 packed by default (AUTO)").isEqualTo(expectedBytes(m));
            Tensor all = m.run(tokens, ForwardOptions.builder().packedWeights(WeightPacking.ALL).build()).logits();
            assertThat(m.packedWeightBytes()).as("ALL reuses the same copies").isEqualTo(expectedBytes(m));
            assertThat(float32Only.toArray()).containsExactly(unpacked.toArray());
            assertThat(byDefault.toArray()).containsExactly(unpacked.toArray());
            assertThat(all.toArray()).containsExactly(unpacked.toArray());
        }
    }

    /**
     * A decoding step multiplies by the packed copies the prompt's pass made (one contiguous run per
     * panel instead of the weights' layout) and gets the full pass's bits at its position, on heap
     * (processed) and mapped weights; a model used only one position at a time packs nothing.
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"gpt2", "gpt_neox", "llama"})
    void aDecodingStepReadsThePackedCopiesWithTheFullPassesBits(String family) throws IOException {
        Path dir = Path.of("src/test/resources/reference/families").resolve(family).resolve("hf");
        for (boolean mapped : new boolean[] {false, true}) {
            try (HookedTransformer m = HfCheckpoint.load(dir, mapped ? LoadOptions.noProcessing() : LoadOptions.defaults())) {
                int[] all = RandomModels.tokens(9, 1, 8, m.config().dVocab())[0];
                int[][] prompt = {java.util.Arrays.copyOf(all, 7)};
                KvCache kv = m.newKvCache(1);
                m.run(prompt, ForwardOptions.builder().kvCache(kv).build());
                assertThat(m.packedWeightBytes()).as(family + ": the prompt packed").isPositive();
                Tensor step = m.run(new int[][] {{all[7]}}, ForwardOptions.builder().kvCache(kv).build()).logits();
                Tensor full = m.forward(new int[][] {all});
                assertThat(step.select(1, 0).toArray()).as(family + (mapped ? ", mapped" : ", processed"))
                        .containsExactly(full.select(1, 7).toArray());
            }
        }
        try (HookedTransformer m = HfCheckpoint.load(dir, LoadOptions.defaults())) {
            KvCache kv = m.newKvCache(1);
            for (int t = 0; t < 3; t++) {
                m.run(new int[][] {{t + 1}}, ForwardOptions.builder().kvCache(kv).build());
            }
            assertThat(m.packedWeightBytes()).as("one position at a time packs nothing").isZero();
        }
    }

    /**
     * {@link WeightPacking#ALL} on 16-bit checkpoints loaded without processing: bfloat16 matrices are
     * copied as bfloat16 (2 bytes per element, half what a float32 copy takes), half precision into
     * float32; a decoding step reads the copies the prompt's pass made and gets the full pass's bits at
     * its position, and generation with the KV cache and the copies chooses what full passes choose.
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"gpt2/hf-bf16", "gpt_neox/hf-bf16", "llama/hf-bf16", "gemma/hf-bf16", "llama/hf-f16"})
    void sixteenBitCheckpointsDecodeFromTheirPackedCopiesWithTheFullPassesBits(String folder) throws IOException {
        Path dir = Path.of("src/test/resources/reference/families").resolve(folder);
        ForwardOptions all = ForwardOptions.builder().packedWeights(WeightPacking.ALL).build();
        try (HookedTransformer m = HfCheckpoint.load(dir, LoadOptions.noProcessing())) {
            MatrixOperand wIn = preparedOf(m).layers.getFirst().wIn();
            int[] tokens = RandomModels.tokens(11, 1, 9, m.config().dVocab())[0];
            int[][] prompt = {java.util.Arrays.copyOf(tokens, 8)};
            KvCache kv = m.newKvCache(1);
            m.run(prompt, ForwardOptions.builder().kvCache(kv).packedWeights(WeightPacking.ALL).build());
            long bytes = m.packedWeightBytes();
            assertThat(bytes).as(folder + ": the prompt packed").isEqualTo(expectedBytes(m));
            long elements = 0;
            for (MatrixOperand o : packable(m)) {
                elements += (long) o.rows() * o.cols();
            }
            if (wIn.type() == dev.lens4j.tensor.matmul.StorageType.BF16) {
                assertThat(bytes).as(folder + ": about 2 bytes per element").isBetween(2 * elements, 3 * elements);
            } else {
                assertThat(bytes).as(folder + ": half precision packs as float32").isGreaterThanOrEqualTo(4 * elements);
            }
            Tensor step = m.run(new int[][] {{tokens[8]}}, ForwardOptions.builder().kvCache(kv).packedWeights(WeightPacking.ALL).build())
                    .logits();
            Tensor full = m.run(new int[][] {tokens}, all).logits();
            Tensor unpacked = m.run(new int[][] {tokens}, UNPACKED).logits();
            assertThat(full.toArray()).as(folder + ": packed and unpacked full passes").isEqualTo(unpacked.toArray());
            assertThat(step.select(1, 0).toArray()).as(folder + ": a step against the full pass").isEqualTo(full.select(1, 8).toArray());
            GenerationResult cached = Generator.generate(m, prompt[0], GenerationConfig.builder().maxNewTokens(4)
                    .packedWeights(WeightPacking.ALL).build());
            GenerationResult uncached = Generator.generate(m, prompt[0], GenerationConfig.builder().maxNewTokens(4)
                    .useKvCache(false).packedWeights(WeightPacking.NONE).build());
            assertThat(cached.tokens()).as(folder + ": generation").isEqualTo(uncached.tokens());
        }
    }

    /** The distinct whole matrices a pass multiplies by. */
    private static java.util.Set<MatrixOperand> packable(HookedTransformer m) {
        PreparedWeights w = preparedOf(m);
        java.util.Set<MatrixOperand> all = new java.util.LinkedHashSet<>();
        for (PreparedWeights.Layer l : w.layers) {
            all.addAll(java.util.Arrays.asList(l.qkv().w()));
            all.add(l.wO());
            all.add(l.wIn());
            all.add(l.wGate());
            all.add(l.wOut());
        }
        all.add(w.wU);
        all.remove(null);
        return all;
    }

    /**
     * Saving a checkpoint and taking weight gradients read the weights without handing their arrays
     * out, so the model keeps trusting its packed copies: the next pass multiplies from the same copies
     * (none dropped, none made again), with the bits of an unpacked pass.
     */
    @Test
    void savingACheckpointAndTakingWeightGradientsKeepThePackedCopies(@TempDir Path dir) throws IOException {
        try (HookedTransformer m = RandomModels.model(C, 17)) {
            m.forward(TOKENS);
            long bytes = m.packedWeightBytes();
            assertThat(bytes).isPositive();
            dev.lens4j.transformer.loading.LensCheckpoint.save(m, dir.resolve("ckpt"));
            ForwardResult r = m.run(TOKENS, ForwardOptions.builder().backward(LogitMetric.meanLoss(TOKENS))
                    .weightGradients(true).build());
            assertThat(r.weightGradients()).containsKey("blocks.0.mlp.W_in");
            assertThat(r.weightGradients().get("blocks.0.mlp.W_in").toArray()).as("a real gradient").isNotEqualTo(
                    new float[r.weightGradients().get("blocks.0.mlp.W_in").size()]);
            Tensor after = m.forward(TOKENS);
            assertThat(m.packedWeightBytes()).as("the packed copies kept").isEqualTo(bytes);
            assertThat(after.toArray()).isEqualTo(m.run(TOKENS, UNPACKED).logits().toArray());
            try (HookedTransformer loaded = dev.lens4j.transformer.loading.LensCheckpoint.load(dir.resolve("ckpt"))) {
                assertThat(loaded.forward(TOKENS).toArray()).as("the checkpoint").isEqualTo(after.toArray());
            }
        }
    }

    /**
     * A view with other hook switches shares the model's packed copies: it packs nothing more, holds no
     * second copy, gives the bits of a separate model built with those switches, and closing it leaves
     * the model's copies in place.
     */
    @Test
    void aViewWithOtherHookSwitchesSharesThePackedCopies() {
        try (HookedTransformer m = RandomModels.model(C, 18)) {
            Tensor logits = m.forward(TOKENS);
            long bytes = m.packedWeightBytes();
            assertThat(bytes).isPositive();
            HookedTransformer view = m.withHookSwitches(true, true, true, false);
            assertThat(view.hookPointNames()).contains("blocks.0.attn.hook_result", "blocks.1.hook_q_input")
                    .hasSizeGreaterThan(m.hookPointNames().size());
            ForwardResult r = view.runWithCache(TOKENS);
            Tensor separate;
            try (HookedTransformer other = HookedTransformer.of(m.config().withHookSwitches(true, true, true, false), m.weights(), null, null)) {
                separate = other.run(TOKENS, ForwardOptions.builder().cache(n -> true).packedWeights(WeightPacking.NONE).build()).logits();
            }
            // a cached hook_result adds the per-head results in another order than W_O's product: the bits
            // of a separate model with the same switches and cache
            assertThat(r.logits().toArray()).as("the view's logits").isEqualTo(separate.toArray());
            assertThat(r.cache().get("blocks.1.attn.hook_result").shape()).containsExactly(2, 9, 4, 48);
            assertThat(view.packedWeightBytes()).as("shared, not packed again").isEqualTo(bytes);
            assertThat(m.packedWeightBytes()).isEqualTo(bytes);
            view.close();
            assertThat(m.packedWeightBytes()).as("closing the view leaves the model's copies").isEqualTo(bytes);
            assertThat(m.forward(TOKENS).toArray()).isEqualTo(logits.toArray());
        }
        HookedTransformer closed = RandomModels.model(C, 18);
        closed.close();
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> closed.withHookSwitches(true, false, false, false))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("is closed");
    }

    /**
     * A matrix whose copy does not fit in the heap (the packing throws {@link OutOfMemoryError}) is
     * multiplied as it is from then on: {@code get} answers null, never tries it again, and the other
     * matrices are packed as usual.
     */
    @Test
    void aCopyThatDoesNotFitIsNotTriedAgainAndTheOthersArePacked() {
        TransformerWeights w = RandomModels.weights(C, 19, 0.3f);
        PreparedWeights prepared = new PreparedWeights(C, w);
        MatrixOperand tooBig = prepared.layers.getFirst().wIn();
        java.util.concurrent.atomic.AtomicInteger tries = new java.util.concurrent.atomic.AtomicInteger();
        PackedWeights packed = new PackedWeights(prepared, m -> {
            if (m.equals(tooBig)) {
                tries.incrementAndGet();
                throw new OutOfMemoryError("Java heap space (simulated)");
            }
            return dev.lens4j.tensor.matmul.PackedMatrix.pack(m);
        }, Runtime.getRuntime().maxMemory());
        assertThat(packed.get(tooBig, WeightPacking.FLOAT32)).isNull();
        assertThat(packed.get(tooBig, WeightPacking.FLOAT32)).as("not tried again").isNull();
        assertThat(tries).hasValue(1);
        MatrixOperand wOut = prepared.layers.getFirst().wOut();
        assertThat(packed.get(wOut, WeightPacking.FLOAT32)).isNotNull();
        assertThat(packed.bytes()).isEqualTo(dev.lens4j.tensor.matmul.PackedMatrix.pack(wOut).bytes());
    }

    /**
     * A decoding step packs a mapped 16-bit matrix that has no copy yet (a prompt of one token packs
     * nothing), when the packing allows it, and gets the full pass's bits; float32 matrices are not packed
     * by a step, nor 16-bit ones under {@link WeightPacking#FLOAT32}.
     */
    @Test
    void aDecodingStepPacksAMappedSixteenBitMatrixItNeeds() throws IOException {
        Path dir = Path.of("src/test/resources/reference/families/llama/hf-bf16");
        int[] tokens;
        Tensor full;
        try (HookedTransformer m = HfCheckpoint.load(dir, LoadOptions.noProcessing())) {
            tokens = RandomModels.tokens(13, 1, 3, m.config().dVocab())[0];
            full = m.run(new int[][] {tokens}, UNPACKED).logits();
        }
        for (WeightPacking packing : new WeightPacking[] {WeightPacking.AUTO, WeightPacking.FLOAT32}) {
            try (HookedTransformer m = HfCheckpoint.load(dir, LoadOptions.noProcessing())) {
                KvCache kv = m.newKvCache(1);
                for (int t = 0; t < tokens.length; t++) {
                    Tensor step = m.run(new int[][] {{tokens[t]}}, ForwardOptions.builder().kvCache(kv).packedWeights(packing)
                            .build()).logits();
                    assertThat(step.select(1, 0).toArray()).as(packing + ", step " + t).isEqualTo(full.select(1, t).toArray());
                    assertThat(m.packedWeightBytes()).as(packing + ", after step " + t)
                            .isEqualTo(packing == WeightPacking.AUTO ? expectedBytes(m) : 0);
                }
            }
        }
        try (HookedTransformer m = HfCheckpoint.load(dir.resolveSibling("hf"), LoadOptions.noProcessing())) {
            m.run(new int[][] {{tokens[0]}}, ForwardOptions.builder().kvCache(m.newKvCache(1)).build());
            assertThat(m.packedWeightBytes()).as("a float32 mapping is not packed by a step").isZero();
        }
    }

    /**
     * {@link WeightPacking#AUTO} packs all of a model's 16-bit matrices when their copies together take at
     * most half of the heap's maximum, and one byte less leaves out the last of them, the unembedding;
     * float32 matrices whatever the heap. The copies' bytes (2 per bfloat16 element and 4 per half-precision
     * one, padding included) are those the packed copies take, packed here one by one.
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"llama/hf-bf16", "llama/hf-f16", "gpt2/hf"})
    void autoPacksEverySixteenBitMatrixWhenTheirCopiesFitInHalfTheHeap(String folder) throws IOException {
        Path dir = Path.of("src/test/resources/reference/families").resolve(folder);
        try (HookedTransformer m = HfCheckpoint.load(dir, LoadOptions.noProcessing())) {
            PreparedWeights prepared = preparedOf(m);
            long copies = 0;
            for (MatrixOperand o : packable(m)) {
                copies += switch (o.type()) {
                    case BF16 -> dev.lens4j.tensor.matmul.PackedMatrix.packBfloat16(o).bytes();
                    case F16 -> dev.lens4j.tensor.matmul.PackedMatrix.pack(o).bytes();
                    default -> 0;
                };
            }
            assertThat(m.sixteenBitCopyBytes()).as(folder).isEqualTo(copies);
            MatrixOperand wIn = prepared.layers.getFirst().wIn(), wU = prepared.wU;
            boolean sixteen = copies > 0;
            PackedWeights roomy = new PackedWeights(prepared, dev.lens4j.tensor.matmul.PackedMatrix::pack, 2 * copies);
            PackedWeights tight = new PackedWeights(prepared, dev.lens4j.tensor.matmul.PackedMatrix::pack, 2 * copies - 1);
            assertThat(roomy.autoPacksSixteenBit()).as(folder + ": exactly half the heap").isEqualTo(sixteen);
            assertThat(roomy.autoSixteenBitBytes()).as(folder + ": exactly half the heap").isEqualTo(copies);
            assertThat(tight.autoPacksSixteenBit()).as(folder + ": a byte more than half").isFalse();
            assertThat(roomy.get(wIn, WeightPacking.AUTO) != null).as(folder + ": AUTO with room").isTrue();
            assertThat(roomy.get(wU, WeightPacking.AUTO) != null).as(folder + ": AUTO with room").isTrue();
            assertThat(tight.get(wIn, WeightPacking.AUTO) != null).as(folder + ": AUTO a byte short, the first layer").isTrue();
            assertThat(tight.get(wU, WeightPacking.AUTO) != null).as(folder + ": AUTO a byte short, the unembedding")
                    .isEqualTo(!sixteen);
            assertThat(tight.autoSixteenBitBytes()).as(folder + ": all but the unembedding")
                    .isEqualTo(sixteen ? copies - copyBytes(wU) : 0);
            assertThat(tight.get(wU, WeightPacking.ALL)).as(folder + ": ALL whatever the heap").isNotNull();
            assertThat(tight.get(wIn, WeightPacking.FLOAT32) != null).as(folder + ": FLOAT32").isEqualTo(!sixteen);
        }
    }

    /**
     * Under a heap too small for all of them, {@link WeightPacking#AUTO} packs the 16-bit matrices that fit
     * in half of it, taken in the order of the layers, each if it still fits beside those before it: with
     * room for the first three exactly those three; with room for one matrix smaller than the first, the
     * first one that small (the larger ones before it skipped); with room for none, none. Each set is
     * checked through {@code get} on every matrix, and a model decoding with the partial set gets the
     * full pass's bits and holds exactly those copies.
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"llama/hf-bf16", "llama/hf-f16"})
    void autoPacksTheSixteenBitMatricesThatFitInHalfTheHeapInLayerOrder(String folder) throws Exception {
        Path dir = Path.of("src/test/resources/reference/families").resolve(folder);
        try (HookedTransformer m = HfCheckpoint.load(dir, LoadOptions.noProcessing())) {
            PreparedWeights prepared = preparedOf(m);
            java.util.List<MatrixOperand> order = new java.util.ArrayList<>(packable(m));
            assertThat(order).as(folder + ": all 16-bit").allMatch(o -> o.type() != dev.lens4j.tensor.matmul.StorageType.F32);
            long firstThree = copyBytes(order.get(0)) + copyBytes(order.get(1)) + copyBytes(order.get(2));
            checkAutoSet(prepared, order, 2 * firstThree, java.util.Set.of(0, 1, 2), folder + ": the first three");
            int smaller = 1;
            while (copyBytes(order.get(smaller)) >= copyBytes(order.getFirst())) {
                smaller++;
            }
            // a grouped-query model's W_K is narrower than its W_Q
            assertThat(smaller).as(folder + ": W_K after W_Q").isEqualTo(1);
            checkAutoSet(prepared, order, 2 * copyBytes(order.get(smaller)), java.util.Set.of(smaller),
                    folder + ": room for W_K only");
            long least = order.stream().mapToLong(PackedWeightsTest::copyBytes).min().orElseThrow();
            checkAutoSet(prepared, order, 2 * least - 1, java.util.Set.of(), folder + ": room for none");

            // a model whose default packing holds the first three: decoding gets the full pass's bits
            PackedWeights partial = new PackedWeights(prepared, PackedWeights::copyOf, 2 * firstThree);
            HookedTransformer view = m.withPackedWeights(partial);
            int[] tokens = RandomModels.tokens(17, 1, 5, m.config().dVocab())[0];
            Tensor full = view.run(new int[][] {tokens}, UNPACKED).logits();
            KvCache kv = view.newKvCache(1);
            for (int t = 0; t < tokens.length; t++) {
                Tensor step = view.run(new int[][] {{tokens[t]}}, ForwardOptions.builder().kvCache(kv).build()).logits();
                assertThat(step.select(1, 0).toArray()).as(folder + ", step " + t).isEqualTo(full.select(1, t).toArray());
            }
            assertThat(view.autoPackedSixteenBitBytes()).as(folder).isEqualTo(firstThree);
            assertThat(view.packsSixteenBitWeights()).as(folder).isFalse();
            assertThat(view.packedWeightBytes()).as(folder + ": the copies held after decoding").isEqualTo(firstThree);
            // a pass of many positions multiplies the packed three and the mapped rest, with the same bits
            assertThat(view.forward(new int[][] {tokens}).toArray()).as(folder + ": a full pass by default")
                    .isEqualTo(full.toArray());
            assertThat(view.packedWeightBytes()).as(folder + ": nothing more packed").isEqualTo(firstThree);
        }
    }

    /** Checks which of {@code order} {@link WeightPacking#AUTO} packs under a heap maximum, by index. */
    private static void checkAutoSet(PreparedWeights prepared, java.util.List<MatrixOperand> order, long maxHeap,
                                     java.util.Set<Integer> expected, String what) {
        PackedWeights pw = new PackedWeights(prepared, dev.lens4j.tensor.matmul.PackedMatrix::pack, maxHeap);
        long bytes = 0;
        for (int i = 0; i < order.size(); i++) {
            boolean packed = pw.get(order.get(i), WeightPacking.AUTO) != null;
            assertThat(packed).as(what + ": matrix " + i + " of " + order.size()).isEqualTo(expected.contains(i));
            bytes += packed ? copyBytes(order.get(i)) : 0;
        }
        assertThat(pw.autoSixteenBitBytes()).as(what + ": bytes").isEqualTo(bytes).isLessThanOrEqualTo(maxHeap / 2);
        assertThat(pw.autoPacksSixteenBit()).as(what).isFalse();
    }

    /** The bytes of a 16-bit matrix's packed copy (bfloat16 2 per element, half precision widened to 4). */
    private static long copyBytes(MatrixOperand o) {
        return dev.lens4j.tensor.matmul.PackedMatrix.packedBytes(o.rows(), o.cols(), o.type());
    }

    @Test
    void aWritableSegmentIsNeverPacked() {
        TransformerWeights w = RandomModels.weights(C, 16, 0.3f);
        Map<String, Tensor> sd = new LinkedHashMap<>(w.stateDict());
        java.lang.foreign.Arena arena = java.lang.foreign.Arena.ofConfined();
        try (arena) {
            float[] a = sd.get("blocks.0.mlp.W_in").toArray();
            java.lang.foreign.MemorySegment seg = arena.allocate((long) a.length * Float.BYTES, 64);
            java.lang.foreign.MemorySegment.copy(a, 0, seg, java.lang.foreign.ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN), 0, a.length);
            Tensor inSegment = Tensor.wrap(seg, C.dModel(), C.dMlp());
            sd.put("blocks.0.mlp.W_in", inSegment);
            try (HookedTransformer m = HookedTransformer.of(C, TransformerWeights.fromStateDict(C, sd, "segment"), null, null)) {
                m.forward(TOKENS);
                long bytes = m.packedWeightBytes();
                inSegment.set(6f, 1, 1);                                    // a write Tensor cannot report for memory
                assertThat(m.forward(TOKENS).toArray()).as("the write into the segment").containsExactly(fresh(m).toArray());
                assertThat(m.packedWeightBytes()).isEqualTo(bytes);
            }
        }
    }
}
