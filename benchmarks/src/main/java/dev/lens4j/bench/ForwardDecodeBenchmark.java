package dev.lens4j.bench;

import dev.lens4j.tensor.Parallel;
import dev.lens4j.tensor.Tensor;
import dev.lens4j.transformer.ForwardOptions;
import dev.lens4j.transformer.HookedTransformer;
import dev.lens4j.transformer.KvCache;
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

import java.util.Arrays;
import java.util.concurrent.TimeUnit;

/**
 * KV-cached greedy decoding on a GPT-2-small-shaped model with random weights (tied unembedding):
 * tokens per second of one-position passes after a 16-token prompt. Each step reads every weight
 * once (124M floats, 497 MB), so the memory bandwidth bounds it: about 15 GB/s on one core and
 * 30 GB/s on two of the reference machine, i.e. 30 and 60 tokens per second.
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

    private static final int PROMPT = 16;
    private static final int STEPS = 32;

    /** Threads of lens4j's pool. */
    @Param({"1", "2"})
    public int threads;

    private HookedTransformer model;
    private int[] prompt;
    private KvCache kv;
    private ForwardOptions options;
    private int next;

    /** Builds the model and checks cached decoding against full passes. */
    @Setup(Level.Trial)
    public void setUp() {
        Parallel.setThreads(threads);
        model = ForwardModels.gpt2Small(1);
        prompt = ForwardModels.tokens(3, 1, PROMPT, model.config().dVocab())[0];
        int[] generated = model.generate(prompt, GenerationConfig.builder().maxNewTokens(8).build()).tokens();
        Tensor full = model.forward(new int[][] {Arrays.copyOf(generated, generated.length - 1)});
        for (int i = 0; i < 8; i++) {
            int expected = Sampler.argmax(full.select(0, 0).select(0, PROMPT - 1 + i).toArray());
            if (generated[PROMPT + i] != expected) {
                throw new IllegalStateException("cached step " + i + " chose " + generated[PROMPT + i] + ", a full pass " + expected);
            }
        }
        kv = model.newKvCache(1);
        options = ForwardOptions.builder().kvCache(kv).build();
    }

    /** Runs the prompt into a fresh KV cache (not timed). */
    @Setup(Level.Invocation)
    public void prefill() {
        kv.clear();
        Tensor logits = model.run(new int[][] {prompt}, options).logits();
        next = Sampler.argmax(logits.select(0, 0).select(0, PROMPT - 1).toArray());
    }

    /** Frees the model. */
    @TearDown(Level.Trial)
    public void tearDown() {
        model.close();
    }

    /** @return the last token; one operation is one generated token */
    @Benchmark
    @OperationsPerInvocation(STEPS)
    public int decode() {
        int token = next;
        for (int i = 0; i < STEPS; i++) {
            Tensor logits = model.run(new int[][] {{token}}, options).logits();
            token = Sampler.argmax(logits.toArray());
        }
        return token;
    }
}
