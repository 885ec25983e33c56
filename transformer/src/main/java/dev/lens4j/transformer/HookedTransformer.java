package dev.lens4j.transformer;

import dev.lens4j.hooks.ActivationCache;
import dev.lens4j.hooks.ForwardHooks;
import dev.lens4j.hooks.HookPoint;
import dev.lens4j.hooks.HookRegistry;
import dev.lens4j.hooks.HookSpec;
import dev.lens4j.tensor.Functional;
import dev.lens4j.tensor.Shapes;
import dev.lens4j.tensor.Tensor;
import dev.lens4j.tensor.internal.StorageWatch;
import dev.lens4j.transformer.generation.GenerationConfig;
import dev.lens4j.transformer.generation.GenerationResult;
import dev.lens4j.transformer.generation.Generator;
import dev.lens4j.transformer.tokenizer.Tokenizer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Predicate;

/**
 * A decoder-only transformer (GPT-2, GPT-NeoX/Pythia, Llama, Mistral, Qwen2, Gemma, Gemma 2, ...; see
 * {@link TransformerConfig}) whose forward pass exposes TransformerLens's hook points, under
 * TransformerLens's names and shapes, so that an analysis reads the same here as in Python. The model
 * is assembled from components (embedding, norms, attention, MLP, blocks, unembedding) that own their
 * weights' operands and their hook points; {@link #hookPoints} lists every point with its shape.
 *
 * <pre>{@code
 * try (HookedTransformer model = ...) {                                  // e.g. loaded from a checkpoint
 *     int[][] tokens = {model.tokenizer().toTokens("The cat sat on the")};
 *     Tensor logits = model.forward(tokens);                             // [1, 6, 50257]
 *     ForwardResult run = model.runWithCache(tokens, n -> n.endsWith("hook_pattern"));
 *     Tensor pattern = run.cache().get("pattern", 5);                     // [1, 12, 6, 6]
 *     Tensor ablated = model.runWithHooks(tokens,
 *             HookSpec.of("blocks.5.attn.hook_z", (z, p) -> z.mul(0f)));
 * }
 * }</pre>
 *
 * <p>Hooks are scoped. Hooks given to {@link #runWithHooks} or in {@link ForwardOptions} belong to
 * that one call, never to the model, so several threads may run different interventions on one
 * model at the same time, and nothing is left behind when a call throws. Hooks that should apply to
 * every call go in {@link #hooks()}, preferably in a try-with-resources block.
 *
 * <p>TransformerLens's LayerNorm module is called three times per block (once each for the query,
 * key and value inputs), so a hook on {@code ln1.hook_scale} or {@code ln1.hook_normalized} fires
 * three times there; here it fires once, except with {@code use_split_qkv_input}, where the three
 * inputs differ and it fires three times (query, key, value) as in TransformerLens. The values are
 * the same.
 *
 * <p>With {@code use_hook_tokens} ({@link TransformerConfig#withHookTokens}) the first hook point is
 * {@code hook_tokens} {@code [batch, pos]}: the token ids, as a float32 tensor, before the embedding.
 * A hook may replace them (or change them in place) with other ids of the same shape; every value must
 * be an integer in {@code [0, d_vocab)}, else the pass throws an {@link IllegalArgumentException}
 * naming the hook point, the position and the value. The ids the hooks leave are the ones embedded.
 * It fires in every pass that starts from tokens, including each pass of {@link #generate} (then on
 * the new positions only), but not in {@link #runFromResidual}, which has no tokens.
 *
 * <p>A model is thread-safe for forward passes. Its weights are read-only during a pass; see
 * {@link #of} for how they are laid out. Between passes they may be changed through {@link #weights()}
 * ({@code set}, {@code copyFrom}, or the raw arrays of {@code heapArray()} and the like): a pass of many
 * positions multiplies by copies of the float32 matrices packed for the GEMM
 * ({@link ForwardOptions.Builder#packedWeights}), which are made again after a {@code set} or
 * {@code copyFrom} and never used again once a matrix's raw array has been handed out, so every pass
 * sees the weights as they are.
 */
public final class HookedTransformer implements AutoCloseable {

    private final TransformerConfig cfg;
    private final PreparedWeights prepared;
    private final Tokenizer tokenizer;
    private final AutoCloseable owner;
    private final ParameterCount parameterCount;
    private final Engine engine;
    /** The weight matrices packed for the GEMM, made as passes need them and watched for writes. */
    private final PackedWeights packedWeights;
    /** False for a view ({@link #withHookSwitches}), which shares its model's packed copies and leaves them at close. */
    private final boolean ownsPackedWeights;
    private final HookPoints points;
    private final HookRegistry registry;
    private final AtomicBoolean closed = new AtomicBoolean();
    /** The arrays of the last closed cache, for the next cached pass ({@link ActivationCache#close()}). */
    private final ReusableArrays reusable = new ReusableArrays();

    private HookedTransformer(TransformerConfig cfg, PreparedWeights prepared, Tokenizer tokenizer, AutoCloseable owner,
                              ParameterCount parameterCount, PackedWeights shared) {
        this.cfg = cfg;
        this.prepared = prepared;
        this.tokenizer = tokenizer;
        this.owner = owner;
        this.parameterCount = parameterCount;
        this.engine = new Engine(cfg, prepared);
        this.ownsPackedWeights = shared == null;
        this.packedWeights = shared != null ? shared : new PackedWeights(prepared);
        this.points = engine.points;
        this.registry = new HookRegistry(points.names(), points.switchedOff());
    }

    /**
     * Builds a model from a config and weights in TransformerLens layout.
     *
     * <p>The weights are used where they are (heap arrays or views of a memory-mapped checkpoint),
     * except that the forward pass needs {@code W_Q}, {@code W_K} and {@code W_V} side by side as one
     * {@code [d_model, 3 * n_heads * d_head]} matrix: when they are not already views of such a matrix
     * (as a GPT-2 checkpoint's {@code c_attn} is), they are copied into one once, and
     * {@link #weights()} then returns views of that copy (likewise {@code b_Q}, {@code b_K},
     * {@code b_V}, and vectors that were not contiguous heap arrays). Change weights through
     * {@link #weights()} (or through the tensors passed in, which share their storage), never through a
     * {@code float[]} held from before the model was built: the model watches its weights' storage for
     * writes from when it is built, to keep its packed copies current.
     *
     * @param cfg the config
     * @param weights the weights, checked against the config
     * @param tokenizer the tokenizer, or null
     * @param owner what to close with the model (for example the memory-mapped checkpoint the weights
     *              are views of), or null
     * @return the model, whose {@link #parameterCount()} is that of {@code weights}
     * @throws IllegalArgumentException if a weight is missing or has the wrong shape (named)
     */
    public static HookedTransformer of(TransformerConfig cfg, TransformerWeights weights, Tokenizer tokenizer, AutoCloseable owner) {
        if (weights == null) {
            throw new IllegalArgumentException("config and weights are required");
        }
        return of(cfg, weights, tokenizer, owner, ParameterCount.of(weights));
    }

    /**
     * Builds a model from weights processed from a checkpoint, with the checkpoint's parameter count,
     * which the processed weights no longer show (folding removes the LayerNorm weights, centring unties
     * {@code W_U}); otherwise as {@link #of(TransformerConfig, TransformerWeights, Tokenizer, AutoCloseable)}.
     *
     * @param cfg the config
     * @param weights the weights, checked against the config
     * @param tokenizer the tokenizer, or null
     * @param owner what to close with the model, or null
     * @param parameterCount the checkpoint's parameter count, which {@link #parameterCount()} returns
     * @return the model
     * @throws IllegalArgumentException if a weight is missing or has the wrong shape (named)
     */
    public static HookedTransformer of(TransformerConfig cfg, TransformerWeights weights, Tokenizer tokenizer, AutoCloseable owner,
                                       ParameterCount parameterCount) {
        if (cfg == null || weights == null || parameterCount == null) {
            throw new IllegalArgumentException("config, weights and parameter count are required");
        }
        // the prepared operands only read the weights: building them over weights another model already
        // watches (a second model over the same weights, such as EAP-IG's graph view) leaves that model's
        // packed copies trusted
        PreparedWeights prepared = StorageWatch.reading(() -> new PreparedWeights(cfg, weights));
        return new HookedTransformer(cfg, prepared, tokenizer, owner, parameterCount, null);
    }

    /**
     * This model with TransformerLens's optional hook switches set otherwise ({@code use_attn_result},
     * {@code use_split_qkv_input}, {@code use_hook_mlp_in}, {@code use_attn_in}; see
     * {@link TransformerConfig#withHookSwitches}): a view over the same weights that also shares this
     * model's packed weight copies, so it neither packs them again nor holds a second copy (EAP-IG's
     * graph view of GPT-2 small held 494 MB of its own). Its hooks are its own. Closing it leaves this
     * model, its weights and its packed copies as they are; close this model only after its views.
     *
     * @param attnResult record per-head results ({@code hook_result})
     * @param splitQkvInput per-head Q/K/V inputs
     * @param hookMlpIn record {@code hook_mlp_in}
     * @param attnIn per-head attention input
     * @return the view
     * @throws IllegalStateException if this model is closed
     */
    public HookedTransformer withHookSwitches(boolean attnResult, boolean splitQkvInput, boolean hookMlpIn, boolean attnIn) {
        requireOpen();
        return new HookedTransformer(cfg.withHookSwitches(attnResult, splitQkvInput, hookMlpIn, attnIn), prepared, tokenizer,
                null, parameterCount, packedWeights);
    }

    /**
     * This model with or without {@code hook_tokens} (TransformerLens's {@code use_hook_tokens}; see
     * {@link TransformerConfig#withHookTokens}): a view over the same weights and packed copies, as
     * {@link #withHookSwitches} makes.
     *
     * @param hookTokens whether the view has {@code hook_tokens}, the token ids before the embedding
     * @return the view
     * @throws IllegalStateException if this model is closed
     */
    public HookedTransformer withHookTokens(boolean hookTokens) {
        requireOpen();
        return new HookedTransformer(cfg.withHookTokens(hookTokens), prepared, tokenizer, null, parameterCount, packedWeights);
    }

    /**
     * The same model with another model's packed copies: for tests, which give one made for another heap size.
     *
     * @param packed the packed copies of this model's weights ({@link PackedWeights} of its prepared weights)
     * @return the view; closing it leaves {@code packed} as it is
     */
    HookedTransformer withPackedWeights(PackedWeights packed) {
        requireOpen();
        return new HookedTransformer(cfg, prepared, tokenizer, null, parameterCount, packed);
    }

    /**
     * Returns the config.
     *
     * @return the config
     */
    public TransformerConfig config() {
        return cfg;
    }

    /**
     * Returns how many parameters the model has: the count of the checkpoint it was loaded from, the
     * same whatever weight processing was applied, or of the weights it was built from (see
     * {@link ParameterCount} for what is counted).
     *
     * @return the parameter count and whether {@code W_U} is tied
     */
    public ParameterCount parameterCount() {
        return parameterCount;
    }

    /**
     * Returns the weights the forward pass reads (see {@link #of} for how they may differ from those passed in).
     *
     * @return the weights the forward pass reads (see {@link #of} for how they may differ from those passed in)
     */
    public TransformerWeights weights() {
        return prepared.weights;
    }

    /**
     * The memory held now by the model's packed weight matrices ({@link ForwardOptions.Builder#packedWeights}):
     * copies of its matrices in the GEMM's panel layout (float32, or bfloat16 for a bfloat16 matrix),
     * made by the first pass of more than 4 positions that multiplies by each (or by the first decoding
     * step, for a mapped 16-bit matrix), dropped by the first pass
     * after the matrix's raw array is handed out and when the model is closed. Zero before such a pass,
     * and for 16-bit weights unless a pass allowed them ({@link WeightPacking#ALL}, or the default
     * {@link WeightPacking#AUTO} for those that fit: {@link #autoPackedSixteenBitBytes()}). The copy of a
     * memory-mapped matrix replaces its mapped pages in the process's resident set (they are released
     * once it is made).
     *
     * @return bytes
     */
    public long packedWeightBytes() {
        return packedWeights.bytes();
    }

    /**
     * Whether the default {@link WeightPacking#AUTO} packs every one of this model's 16-bit matrices: true
     * when it has bfloat16 or half-precision matrices in a read-only mapping (a 16-bit checkpoint loaded
     * without processing) and their copies together take at most half of the heap's maximum
     * ({@link Runtime#maxMemory()}) when the model is built. Otherwise {@code AUTO} packs those that fit in
     * that half, in the order of the layers ({@link #autoPackedSixteenBitBytes()}), and multiplies the rest
     * from the mapping, where a decoding step reads bfloat16 at a third of the speed or less (run with a
     * larger {@code -Xmx}, or ask for {@link WeightPacking#ALL}).
     *
     * @return whether passes with the default packing copy all of the 16-bit matrices
     */
    public boolean packsSixteenBitWeights() {
        return packedWeights.autoPacksSixteenBit();
    }

    /**
     * The bytes of the copies the default {@link WeightPacking#AUTO} makes of this model's 16-bit matrices,
     * decided when the model is built: {@link #sixteenBitCopyBytes()} when they all fit in half of the heap's
     * maximum ({@link #packsSixteenBitWeights()}); otherwise the copies of the matrices that fit there,
     * taken in the order of the layers (each layer's attention, then its MLP; the unembedding last), each
     * packed if it still fits beside those before it. A decoding step's time then falls in proportion to
     * the bytes packed, instead of staying at the mapping's speed until the whole model fits.
     *
     * @return bytes, 0 when the model has no 16-bit matrices in a read-only mapping or none fits
     */
    public long autoPackedSixteenBitBytes() {
        return packedWeights.autoSixteenBitBytes();
    }

    /**
     * The bytes that the packed copies of this model's 16-bit matrices would take together (bfloat16 kept
     * 2 bytes per element, half precision widened to 4, the panels' padding included), whether or not they
     * are packed.
     *
     * @return bytes; 0 when the model has no 16-bit matrices in a read-only mapping
     */
    public long sixteenBitCopyBytes() {
        return packedWeights.sixteenBitCopyBytes();
    }

    /**
     * Returns the tokenizer.
     *
     * @return the tokenizer
     * @throws IllegalStateException if the model was built without one
     */
    public Tokenizer tokenizer() {
        if (tokenizer == null) {
            throw new IllegalStateException("model " + cfg.modelName() + " has no tokenizer");
        }
        return tokenizer;
    }

    /**
     * Returns true when the model has a tokenizer.
     *
     * @return true when the model has a tokenizer
     */
    public boolean hasTokenizer() {
        return tokenizer != null;
    }

    // ------------------------------------------------------------------ tokenizer shortcuts
    // TransformerLens's model.to_tokens / to_str_tokens, delegating to tokenizer().

    /**
     * A text as token ids, with the beginning-of-sequence token first: TransformerLens's
     * {@code model.to_tokens(text)} for one string ({@link Tokenizer#toTokens(String)}).
     *
     * @param text the text
     * @return {@code [pos]} token ids
     * @throws IllegalStateException if the model has no tokenizer
     */
    public int[] toTokens(String text) {
        return tokenizer().toTokens(text);
    }

    /**
     * A text as token ids: {@code model.to_tokens(text, prepend_bos=prependBos)}.
     *
     * @param text the text
     * @param prependBos whether to put the beginning-of-sequence token first
     * @return {@code [pos]} token ids
     * @throws IllegalStateException if the model has no tokenizer
     */
    public int[] toTokens(String text, boolean prependBos) {
        return tokenizer().toTokens(text, prependBos);
    }

    /**
     * The text of each token of a text, beginning-of-sequence token first: TransformerLens's
     * {@code model.to_str_tokens(text)}.
     *
     * <pre>{@code
     * model.toStrTokens("moon river");   // [<|bos|>,  moon,  river]
     * }</pre>
     *
     * @param text the text
     * @return one string per token
     * @throws IllegalStateException if the model has no tokenizer
     */
    public List<String> toStrTokens(String text) {
        return tokenizer().toStrTokens(text);
    }

    /**
     * The text of each token of a text: {@code model.to_str_tokens(text, prepend_bos=prependBos)}.
     *
     * @param text the text
     * @param prependBos whether to put the beginning-of-sequence token first
     * @return one string per token
     * @throws IllegalStateException if the model has no tokenizer
     */
    public List<String> toStrTokens(String text, boolean prependBos) {
        return tokenizer().toStrTokens(text, prependBos);
    }

    /**
     * The text of each of the given tokens: {@code model.to_str_tokens(tokens)}.
     *
     * @param tokens token ids {@code [pos]}
     * @return one string per token
     * @throws IllegalStateException if the model has no tokenizer
     */
    public List<String> toStrTokens(int[] tokens) {
        return tokenizer().toStrTokens(tokens);
    }

    /**
     * Returns the model's own hooks, which fire on every pass. Once the model is closed, adding one
     * throws an {@link IllegalStateException}.
     *
     * @return the model's own hooks, which fire on every pass
     */
    public HookRegistry hooks() {
        return registry;
    }

    /**
     * Returns every hook point name, in firing order.
     *
     * @return every hook point name, in firing order
     */
    public List<String> hookPointNames() {
        return points.names();
    }

    /**
     * Every hook point with the shape of its value for a plain forward pass.
     *
     * @param batch sequences
     * @param pos positions per sequence
     * @return names and shapes in firing order, e.g. {@code blocks.0.attn.hook_pattern [batch, n_heads, pos, pos]}
     */
    public List<HookShape> hookPoints(int batch, int pos) {
        if (batch < 1 || pos < 1) {
            throw new IllegalArgumentException("batch and pos must be at least 1, got " + batch + " and " + pos);
        }
        List<HookShape> out = new ArrayList<>();
        for (HookPoint p : points.all) {
            out.add(new HookShape(p.name(), points.shape(p, batch, pos, pos), points.dimNames(p)));
        }
        return out;
    }

    // ------------------------------------------------------------------ forward passes

    /**
     * The logits of a batch of token sequences.
     *
     * @param tokens {@code [batch][pos]}, every row the same length, ids in {@code [0, d_vocab)}
     * @return logits {@code [batch, pos, d_vocab]}
     * @throws IllegalArgumentException for an empty or ragged batch, an id outside the vocabulary
     *     (naming it and its position), or more positions than n_ctx
     */
    public Tensor forward(int[][] tokens) {
        return run(tokens, ForwardOptions.defaults()).output();
    }

    /**
     * A forward pass with options: hooks, a cache, an attention mask, a KV cache, stopping early.
     *
     * @param tokens {@code [batch][pos]}
     * @param options the options; {@code startAtLayer} must be 0 (use {@link #runFromResidual} to start later)
     * @return the logits (or residual stream when stopping early) and the cache
     */
    public ForwardResult run(int[][] tokens, ForwardOptions options) {
        checkTokens(tokens);
        if (options.startAtLayer() != 0) {
            throw new IllegalArgumentException("startAtLayer " + options.startAtLayer() + " needs a residual stream as input; use runFromResidual");
        }
        return execute(tokens, null, tokens.length, tokens[0].length, options);
    }

    /**
     * A forward pass that starts at a block, from a residual stream (TransformerLens's
     * {@code start_at_layer}); the embedding hooks do not fire, nor does {@code hook_tokens}, since
     * there are no tokens.
     *
     * @param residual {@code [batch, pos, d_model]}: the residual stream entering block {@code options.startAtLayer()}
     * @param options the options
     * @return the logits (or residual stream when stopping early) and the cache
     */
    public ForwardResult runFromResidual(Tensor residual, ForwardOptions options) {
        if (residual == null || residual.rank() != 3 || residual.dim(2) != cfg.dModel() || residual.dim(0) < 1 || residual.dim(1) < 1) {
            throw new IllegalArgumentException("residual stream must have shape [batch, pos, " + cfg.dModel() + "] with batch, pos >= 1, got "
                    + (residual == null ? "null" : Shapes.str(residual.shape())));
        }
        return execute(null, residual, residual.dim(0), residual.dim(1), options);
    }

    /**
     * A forward pass with hooks that apply to this call only (TransformerLens's {@code run_with_hooks}).
     *
     * @param tokens {@code [batch][pos]}
     * @param hooks the hooks, fired after the model's own
     * @return logits {@code [batch, pos, d_vocab]}
     */
    public Tensor runWithHooks(int[][] tokens, HookSpec... hooks) {
        return run(tokens, ForwardOptions.builder().hooks(hooks).build()).output();
    }

    /**
     * A forward pass that records activations (TransformerLens's {@code run_with_cache}). Closing the
     * cache once it has been read ({@code try (ActivationCache c = model.runWithCache(t).cache())}) lets
     * this model's next cached pass write its activations into the closed cache's arrays instead of
     * allocating new ones ({@link ActivationCache#close()}).
     *
     * @param tokens {@code [batch][pos]}
     * @param namesFilter the hook point names to record; the cache holds only these
     * @return the logits and the cache
     * @throws IllegalArgumentException before running, if the cache and logits cannot fit in the JVM's heap
     *     beside the weights (see {@link CacheEstimate}); the message gives the estimate and what to change
     */
    public ForwardResult runWithCache(int[][] tokens, Predicate<String> namesFilter) {
        if (namesFilter == null) {
            throw new IllegalArgumentException("namesFilter is null; use n -> true to cache every hook point");
        }
        return run(tokens, ForwardOptions.builder().cache(namesFilter).build());
    }

    /**
     * A forward pass that records every activation.
     *
     * @param tokens {@code [batch][pos]}
     * @return the logits and the cache of every hook point
     */
    public ForwardResult runWithCache(int[][] tokens) {
        return runWithCache(tokens, name -> true);
    }

    /**
     * A forward pass that records every activation, then a backward pass of a metric of the logits
     * that records every activation's gradient beside it, as {@code <name>_grad} (TransformerLens's
     * {@code run_with_cache(incl_bwd=True)}, where the model's output is the loss; here the metric
     * says what is differentiated). The backward hooks of the model run too.
     *
     * <pre>{@code
     * ForwardResult r = model.runWithCache(tokens, LogitMetric.meanLoss(tokens));
     * double loss = r.metric();
     * Tensor dZ = r.cache().get("blocks.1.attn.hook_z_grad");   // d loss / d z: [batch, pos, head_index, d_head]
     * }</pre>
     *
     * @param tokens {@code [batch][pos]}
     * @param metric the scalar to differentiate, e.g. {@link LogitMetric#meanLoss}
     * @return the logits, the metric's value and the cache of every hook point and its gradient
     * @throws IllegalArgumentException before running, if the cache cannot fit in the heap (see {@link CacheEstimate})
     */
    public ForwardResult runWithCache(int[][] tokens, LogitMetric metric) {
        if (metric == null) {
            throw new IllegalArgumentException("metric is null; use runWithCache(tokens) for activations without gradients");
        }
        return run(tokens, ForwardOptions.builder().cache(name -> true).backward(metric).build());
    }

    /**
     * The loss of predicting each next token (TransformerLens's {@code loss_per_token}).
     *
     * @param tokens {@code [batch][pos]} with pos at least 2
     * @return {@code [batch, pos - 1]} losses in nats: entry {@code [b, t]} is {@code -log p(tokens[b][t + 1])}
     */
    public Tensor perTokenLoss(int[][] tokens) {
        checkTokens(tokens);
        if (tokens[0].length < 2) {
            throw new IllegalArgumentException("the loss needs at least 2 positions, got " + tokens[0].length);
        }
        return Functional.perTokenLoss(forward(tokens), tokens);
    }

    /**
     * Returns the mean of {@link #perTokenLoss}.
     *
     * @param tokens {@code [batch][pos]} with pos at least 2
     * @return the mean of {@link #perTokenLoss}
     */
    public float loss(int[][] tokens) {
        return perTokenLoss(tokens).mean();
    }

    /**
     * A cache of keys and values for incremental decoding ({@link ForwardOptions.Builder#kvCache}).
     *
     * @param batch the number of sequences it holds
     * @return an empty cache
     */
    public KvCache newKvCache(int batch) {
        return new KvCache(cfg, batch);
    }

    /**
     * Continues a prompt, with a KV cache unless the config says otherwise. The model's hooks and the
     * given hooks fire in every pass (after the first pass, with one position).
     *
     * @param prompt token ids {@code [pos]}
     * @param config how to generate
     * @param hooks hooks for every pass of this generation
     * @return the prompt followed by the new tokens
     * @throws IllegalArgumentException if prompt plus new tokens exceed n_ctx, or the prompt is bad
     */
    public GenerationResult generate(int[] prompt, GenerationConfig config, HookSpec... hooks) {
        return Generator.generate(this, prompt, config, hooks);
    }

    // ------------------------------------------------------------------ internals

    /** @throws IllegalStateException if the model is closed */
    private void requireOpen() {
        if (closed.get()) {
            throw new IllegalStateException("model " + cfg.modelName() + " is closed");
        }
    }

    private ForwardResult execute(int[][] tokens, Tensor residual, int batch, int pos, ForwardOptions o) {
        requireOpen();
        int layers = cfg.nLayers();
        int start = o.startAtLayer() < 0 ? layers + o.startAtLayer() : o.startAtLayer();
        if (start < 0 || start > layers) {
            throw new IllegalArgumentException("startAtLayer " + o.startAtLayer() + " is outside [0, " + layers + "]");
        }
        boolean stopped = o.stopAtLayer() != null;
        int stop = !stopped ? layers : o.stopAtLayer() < 0 ? layers + o.stopAtLayer() : o.stopAtLayer();
        if (stop < start || stop > layers) {
            throw new IllegalArgumentException("stopAtLayer " + o.stopAtLayer() + " is outside [" + start + ", " + layers + "]");
        }
        KvCache kv = o.kvCache();
        int past = 0;
        if (kv != null) {
            if (start != 0 || stopped) {
                throw new IllegalArgumentException("a KV cache needs a pass over every layer; got startAtLayer " + o.startAtLayer()
                        + ", stopAtLayer " + o.stopAtLayer());
            }
            kv.checkCompatible(batch, layers, cfg.nKvHeads() * cfg.dHead());
            past = kv.length();
        }
        if (past + pos > cfg.nCtx()) {
            throw new IllegalArgumentException((past > 0 ? past + " cached + " : "") + pos + " positions exceed n_ctx " + cfg.nCtx());
        }
        int[][] mask = o.attentionMask();
        if (mask != null) {
            checkMask(mask, batch, past + pos);
        }
        LogitMetric metric = o.backward();
        if (metric != null && (stopped || kv != null)) {
            throw new IllegalArgumentException("a backward pass needs the logits of a pass over the whole sequence: "
                    + (stopped ? "stopAtLayer " + o.stopAtLayer() + " stops before them" : "a KV-cached step is not supported"));
        }
        int[] logitRows = o.logitPositions() == null ? null : logitRows(o.logitPositions(), batch, pos, stopped);
        if (logitRows != null && metric != null) {
            requireLogitsTheMetricReads(metric, logitRows, batch, pos);
        }
        if (o.cacheFilter() != null) {
            // before any work: a cache that cannot fit would otherwise end in an OutOfMemoryError after seconds
            // (a backward pass records each point's gradient beside its activation: twice the bytes)
            CacheEstimate e = CacheEstimate.of(this, batch, pos, o.cacheFilter());
            if (metric != null) {
                e = new CacheEstimate(e.batch(), e.pos(), 2 * e.hookPoints(), 2 * e.cacheBytes(), e.largest(), e.largestBytes(),
                        2 * e.logitsBytes());
            }
            e.requireFits(this, Runtime.getRuntime().maxMemory());
        }
        ForwardHooks hooks = ForwardHooks.resolve(points.all, registry, o.hooks(), o.cacheFilter(), metric != null, layers);
        if (kv != null) {
            kv.ensureCapacity(past + pos);
        }
        WeightGradients wg = o.weightGradients() ? new WeightGradients() : null;
        Pass pass = new Pass(cfg, points, hooks, batch, pos, mask, kv, metric != null, wg, o.reproducible(),
                o.packedWeights() == WeightPacking.NONE ? null : packedWeights, o.packedWeights());
        pass.logitRows = logitRows;
        if (hooks.caching()) {
            pass.reusable = reusable;
        }
        float[] resid;
        Tensor out;
        try {
            resid = tokens != null ? engine.embed(pass, tokens) : residual.copy().heapArray();
            out = engine.run(pass, resid, start, stop, !stopped);
        } finally {
            if (hooks.caching()) {
                reusable.clear(); // what this pass did not take: a shape it does not run
            }
        }
        if (kv != null) {
            kv.advance(pos);
        }
        if (metric == null) {
            return new ForwardResult(out, cacheOf(hooks, pass, out), stopped);
        }
        LogitMetric.Evaluation ev = metric.evaluate(out, o.reproducible());
        double value = ev.value();
        Tensor dLogits = ev.gradient();
        dLogits.requireShape("the gradient of " + metric, out.shape());
        float[] dIn = engine.backward(pass, Pass.compact(dLogits.contiguous()), start, tokens != null);
        return new ForwardResult(out, cacheOf(hooks, pass, out), false, value, wg == null ? null : wg.byName(prepared.weights),
                Tensor.of(dIn, batch, pos, cfg.dModel()));
    }

    /**
     * The pass's cache, which gives back to this model's next cached pass, when it is closed, the
     * arrays the pass allocated for it ({@link Pass#arrayFor}) that it holds: not one a hook replaced,
     * not the pass's output (a pass stopped early returns a residual it may also have cached), each once.
     */
    private ActivationCache cacheOf(ForwardHooks hooks, Pass pass, Tensor out) {
        AtomicReference<List<float[]>> giveBack = new AtomicReference<>(List.of());
        ActivationCache cache = hooks.cache(() -> {
            if (!closed.get() && !giveBack.get().isEmpty()) {
                reusable.give(giveBack.get());
            }
        });
        if (pass.forCache.isEmpty()) {
            return cache;
        }
        Set<float[]> held = Collections.newSetFromMap(new IdentityHashMap<>());
        for (Tensor t : cache.asMap().values()) {
            if (t.isHeap() && t.isContiguous()) {
                held.add(t.heapArray());
            }
        }
        if (out.isHeap() && out.isContiguous()) {
            held.remove(out.heapArray());
        }
        List<float[]> arrays = new ArrayList<>();
        for (float[] a : pass.forCache) {
            if (held.remove(a)) { // once, though a residual is cached as one block's resid_post and the next's resid_pre
                arrays.add(a);
            }
        }
        giveBack.set(List.copyOf(arrays));
        return cache;
    }

    /**
     * Refuses logit positions that leave out one the metric says it reads: the pass leaves those logits NaN, and
     * the metric and its gradient would be NaN without a word.
     */
    private static void requireLogitsTheMetricReads(LogitMetric metric, int[] logitRows, int batch, int pos) {
        int[][] read = metric.positionsRead(batch, pos);
        if (read == null) {
            return; // the metric does not say; the option's contract is the caller's
        }
        for (int b = 0; b < read.length; b++) {
            for (int t : read[b]) {
                if (Arrays.binarySearch(logitRows, b * pos + t) < 0) {
                    throw new IllegalArgumentException("logitPositions leaves out position " + t + " of sequence " + b
                            + ", which the metric reads (its logits would be NaN, and so would the metric): give at least "
                            + "metric.positionsRead(" + batch + ", " + pos + ")");
                }
            }
        }
    }

    /** {@link ForwardOptions#logitPositions} as increasing rows {@code b * pos + t} without repeats, checked. */
    private static int[] logitRows(int[][] positions, int batch, int pos, boolean stopped) {
        if (stopped) {
            throw new IllegalArgumentException("logitPositions needs a pass that ends in logits; stopAtLayer stops before them");
        }
        if (positions.length != batch) {
            throw new IllegalArgumentException("logitPositions has " + positions.length + " rows but the batch has " + batch
                    + " sequences");
        }
        boolean[] wanted = new boolean[batch * pos];
        int count = 0;
        for (int b = 0; b < batch; b++) {
            for (int i = 0; i < positions[b].length; i++) {
                int t = positions[b][i];
                if (t < 0 || t >= pos) {
                    throw new IllegalArgumentException("logitPositions[" + b + "][" + i + "] is " + t + ", outside the " + pos
                            + " positions [0, " + pos + ") of the pass");
                }
                if (!wanted[b * pos + t]) {
                    wanted[b * pos + t] = true;
                    count++;
                }
            }
        }
        int[] rows = new int[count];
        for (int r = 0, j = 0; r < wanted.length; r++) {
            if (wanted[r]) {
                rows[j++] = r;
            }
        }
        return rows;
    }

    private void checkTokens(int[][] tokens) {
        if (tokens == null || tokens.length == 0) {
            throw new IllegalArgumentException("tokens must hold at least one sequence");
        }
        int pos = tokens[0] == null ? 0 : tokens[0].length;
        if (pos == 0) {
            throw new IllegalArgumentException("sequence 0 is empty; every sequence needs at least one token");
        }
        int v = cfg.dVocab();
        for (int b = 0; b < tokens.length; b++) {
            if (tokens[b] == null || tokens[b].length != pos) {
                throw new IllegalArgumentException("ragged batch: sequence " + b + " has " + (tokens[b] == null ? 0 : tokens[b].length)
                        + " tokens but sequence 0 has " + pos + "; pad them to one length and pass an attention mask");
            }
            for (int t = 0; t < pos; t++) {
                int id = tokens[b][t];
                if (id < 0 || id >= v) {
                    throw new IllegalArgumentException("token id " + id + " at [" + b + ", " + t + "] is outside the vocabulary [0, " + v + ")");
                }
            }
        }
        if (pos > cfg.nCtx()) {
            throw new IllegalArgumentException("sequence of " + pos + " tokens is longer than n_ctx " + cfg.nCtx());
        }
    }

    private static void checkMask(int[][] mask, int batch, int keys) {
        if (mask.length != batch) {
            throw new IllegalArgumentException("attention mask has " + mask.length + " rows but the batch has " + batch + " sequences");
        }
        for (int b = 0; b < batch; b++) {
            if (mask[b] == null || mask[b].length != keys) {
                throw new IllegalArgumentException("attention mask row " + b + " has " + (mask[b] == null ? 0 : mask[b].length)
                        + " entries, expected " + keys + " (cached + new positions)");
            }
            for (int s = 0; s < keys; s++) {
                if (mask[b][s] != 0 && mask[b][s] != 1) {
                    throw new IllegalArgumentException("attention mask [" + b + ", " + s + "] is " + mask[b][s] + "; it must be 0 or 1");
                }
            }
        }
    }

    /**
     * Closes what owns the weights' memory (for example the checkpoint mapping); the model must not be
     * used afterwards. Closing twice is harmless.
     *
     * @throws UncheckedIOException if closing the owner failed with an I/O error
     * @throws IllegalStateException if closing the owner failed otherwise
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        registry.close("model " + cfg.modelName() + " is closed");
        reusable.clear();
        if (ownsPackedWeights) {
            packedWeights.clear();
        }
        if (owner == null) {
            return;
        }
        try {
            owner.close();
        } catch (IOException e) {
            throw new UncheckedIOException("closing " + cfg.modelName() + " failed", e);
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException("closing " + cfg.modelName() + " failed", e);
        }
    }

    @Override
    public String toString() {
        return "HookedTransformer[" + cfg.modelName() + ": " + cfg.nLayers() + " layers, d_model " + cfg.dModel() + ", "
                + cfg.nHeads() + " heads, d_vocab " + cfg.dVocab() + "]";
    }
}
