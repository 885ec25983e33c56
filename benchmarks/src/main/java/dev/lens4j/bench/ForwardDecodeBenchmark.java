package dev.lens4j.bench;

import dev.lens4j.tensor.Parallel;
import dev.lens4j.tensor.Tensor;
import dev.lens4j.transformer.ForwardOptions;
import dev.lens4j.transformer.HookedTransformer;
import dev.lens4j.transformer.KvCache;
import dev.lens4j.transformer.WeightPacking;
import dev.lens4j.transformer.generation.GenerationConfig;
import dev.lens4j.transformer.generation.Sampler;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;

/**
 * KV-cached greedy decoding on a GPT-2-small-shaped model with random weights (tied unembedding):
 * tokens per second of one-position passes after a 16-token prompt ({@code -p prompt=N} for another
 * length: at 1,000 positions the attention over the cached keys and values is part of the cost). Each
 * step reads every weight once (124M floats, 497 MB), so the memory bandwidth bounds it: about 16 GB/s
 * on one core and 32 GB/s on two of the reference machine, i.e. 33 and 66 tokens per second.
 *
 * <p>{@code -p model=DIR} decodes a Hugging Face folder loaded without processing instead (e.g. the
 * bfloat16 Pythia of {@code tools/bench/make_bench_models.py}); by default its passes keep packed copies of
 * 16-bit weights that fit in half the heap ({@link WeightPacking#AUTO}), and {@code -p packing=FLOAT32}
 * multiplies them from the mapping:
 * <pre>{@code
 * java -jar benchmarks/target/benchmarks.jar ForwardDecodeBenchmark \
 *     -p model=$HOME/.cache/lens4j/bench-models/pythia-bf16 -p packing=AUTO,FLOAT32
 * }</pre>
 *
 * <p>Set-up checks that the cached steps choose the same tokens as full passes over the sequence.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 4)
@Measurement(iterations = 5, time = 4)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-Xmx6g"})
public class ForwardDecodeBenchmark {

    private static final int STEPS = 32;

    /** Threads of lens4j's pool. */
    @Param({"1", "2"})
    public int threads;

    /** {@code gpt2-random}, or a Hugging Face folder loaded without processing. */
    @Param({"gpt2-random"})
    public String model;

    /** The passes' {@link WeightPacking}. */
    @Param({"AUTO"})
    public String packing;

    /** Tokens of the prompt the steps follow (they and the 32 steps must fit the model's context). */
    @Param({"16"})
    public int prompt;

    private HookedTransformer lens;
    private int[] promptTokens;
    private KvCache kv;
    private ForwardOptions options;
    private int next;

    /** Builds the model and checks cached decoding against full passes. */
    @Setup(Level.Trial)
    public void setUp() {
        Parallel.setThreads(threads);
        try {
            lens = ForwardModels.load(model, "none");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        WeightPacking wp = WeightPacking.valueOf(packing);
        if (prompt < 1 || prompt + STEPS > lens.config().nCtx()) {
            throw new IllegalArgumentException("-p prompt=" + prompt + ": 1 to " + (lens.config().nCtx() - STEPS)
                    + " tokens (the model's context is " + lens.config().nCtx() + " and each invocation decodes " + STEPS + ")");
        }
        promptTokens = ForwardModels.tokens(3, 1, prompt, lens.config().dVocab())[0];
        int[] generated = lens.generate(promptTokens, GenerationConfig.builder().maxNewTokens(8).packedWeights(wp).build()).tokens();
        Tensor full = lens.forward(new int[][] {Arrays.copyOf(generated, generated.length - 1)});
        for (int i = 0; i < 8; i++) {
            int expected = Sampler.argmax(full.select(0, 0).select(0, prompt - 1 + i).toArray());
            if (generated[prompt + i] != expected) {
                throw new IllegalStateException("cached step " + i + " chose " + generated[prompt + i] + ", a full pass " + expected);
            }
        }
        kv = lens.newKvCache(1);
        options = ForwardOptions.builder().kvCache(kv).packedWeights(wp).build();
    }

    /** Runs the prompt into a fresh KV cache (not timed). */
    @Setup(Level.Invocation)
    public void prefill() {
        kv.clear();
        Tensor logits = lens.run(new int[][] {promptTokens}, options).logits();
        next = Sampler.argmax(logits.select(0, 0).select(0, prompt - 1).toArray());
    }

    /** Frees the model. */
    @TearDown(Level.Trial)
    public void tearDown() {
        lens.close();
    }

    /** @return the last token; one operation is one generated token */
    @Benchmark
    @OperationsPerInvocation(STEPS)
    public int decode() {
        int token = next;
        for (int i = 0; i < STEPS; i++) {
            Tensor logits = lens.run(new int[][] {{token}}, options).logits();
            token = Sampler.argmax(logits.toArray());
        }
        return token;
    }
}
