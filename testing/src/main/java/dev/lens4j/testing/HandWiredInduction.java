package dev.lens4j.testing;

import dev.lens4j.transformer.Normalization;
import dev.lens4j.tensor.Tensor;
import dev.lens4j.transformer.HookedTransformer;
import dev.lens4j.transformer.TransformerConfig;
import dev.lens4j.transformer.TransformerWeights;
import dev.lens4j.transformer.train.CheckpointWriter;
import dev.lens4j.transformer.train.WordTokenizer;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A two-layer attention-only model whose induction circuit is wired by hand, so that the tests of
 * the assertions know every answer in advance.
 *
 * <p>The residual stream has four one-hot subspaces: the token ({@code TOK}), the position
 * ({@code POS}), the previous token ({@code PREV}) and the output ({@code OUT}). Head L0H0 is a
 * previous-token head: its QK circuit matches position {@code i} with key position {@code i - 1},
 * its OV circuit copies the attended token into {@code PREV}. Head L1H0 is an induction head: its
 * query is the current token, its key the {@code PREV} subspace (K-composition with L0H0), and its
 * OV circuit copies the attended token into {@code OUT}, which the unembedding reads. Heads L0H1 and
 * L1H1 have zero weights: uniform attention, no output. There is no LayerNorm and no bias.
 *
 * <p>It is the positive control of every claim lens4j makes about induction: a perfect mechanism, so
 * each claim's bar must be within its reach (the testing module's own tests and the main job's
 * tests run on it). Vocabulary: BOS (id 0) and 31 words {@code " w1" .. " w31"}; n_ctx 24.
 *
 * <pre>{@code
 * try (HookedTransformer model = HandWiredInduction.model()) {
 *     assertThatHead(model, 1, 0).hasInductionScoreAbove(0.9);
 * }
 * }</pre>
 */
public final class HandWiredInduction {

    static final int VOCAB = 32;
    static final int N_CTX = 24;
    static final int D_HEAD = 32;
    static final int TOK = 0;
    static final int POS = VOCAB;
    static final int PREV = VOCAB + N_CTX;
    static final int OUT = 2 * VOCAB + N_CTX;
    static final int D_MODEL = 3 * VOCAB + N_CTX;
    /** Query scale: a score gap of 60 / sqrt(32), about 10.6, between the matching key and the rest. */
    static final float SHARP = 60f;
    /** Unembedding scale: the copied token's logit. */
    static final float UNEMBED = 10f;

    private HandWiredInduction() {}

    static TransformerConfig config() {
        return TransformerConfig.builder().nLayers(2).dModel(D_MODEL).nHeads(2).dHead(D_HEAD).attnOnly(true).nCtx(N_CTX).dVocab(VOCAB).normalization(Normalization.NONE).modelName("hand-wired-induction").build();
    }

    static WordTokenizer tokenizer() {
        List<String> t = new ArrayList<>();
        t.add(WordTokenizer.BOS);
        for (int i = 1; i < VOCAB; i++) {
            t.add(" w" + i);
        }
        return new WordTokenizer(t);
    }

    static TransformerWeights weights() {
        Tensor wE = Tensor.zeros(VOCAB, D_MODEL);
        Tensor wPos = Tensor.zeros(N_CTX, D_MODEL);
        Tensor wU = Tensor.zeros(D_MODEL, VOCAB);
        for (int t = 0; t < VOCAB; t++) {
            wE.set(1f, t, TOK + t);
            wU.set(UNEMBED, OUT + t, t);
        }
        for (int p = 0; p < N_CTX; p++) {
            wPos.set(1f, p, POS + p);
        }
        // layer 0, head 0: previous-token head
        Tensor[] l0 = emptyLayer();
        for (int p = 0; p < N_CTX; p++) {
            l0[0].set(SHARP, 0, POS + p, p);            // W_Q: query position p -> dim p
            if (p + 1 < D_HEAD) {
                l0[1].set(1f, 0, POS + p, p + 1);       // W_K: key position p -> dim p + 1
            }
        }
        for (int t = 0; t < VOCAB; t++) {
            l0[2].set(1f, 0, TOK + t, t);               // W_V: token t -> dim t
            l0[3].set(1f, 0, t, PREV + t);              // W_O: dim t -> PREV + t
        }
        // layer 1, head 0: induction head
        Tensor[] l1 = emptyLayer();
        for (int t = 0; t < VOCAB; t++) {
            l1[0].set(SHARP, 0, TOK + t, t);            // W_Q: current token
            l1[1].set(1f, 0, PREV + t, t);              // W_K: previous token, written by L0H0
            l1[2].set(1f, 0, TOK + t, t);               // W_V: token
            l1[3].set(1f, 0, t, OUT + t);               // W_O: into the unembedding's subspace
        }
        TransformerWeights.Builder b = TransformerWeights.builder(config());
        layer(b, 0, l0);
        layer(b, 1, l1);
        return b.put("embed.W_E", wE).put("pos_embed.W_pos", wPos).put("unembed.W_U", wU).build();
    }

    /** W_Q, W_K, W_V {@code [n_heads, d_model, d_head]} and W_O {@code [n_heads, d_head, d_model]}, all zero. */
    private static Tensor[] emptyLayer() {
        return new Tensor[] {Tensor.zeros(2, D_MODEL, D_HEAD), Tensor.zeros(2, D_MODEL, D_HEAD), Tensor.zeros(2, D_MODEL, D_HEAD),
                Tensor.zeros(2, D_HEAD, D_MODEL)};
    }

    /** Layer {@code l}'s W_Q, W_K, W_V, W_O; its biases are zero. */
    private static void layer(TransformerWeights.Builder b, int l, Tensor[] w) {
        String p = "blocks." + l + ".attn.";
        b.put(p + "W_Q", w[0]).put(p + "W_K", w[1]).put(p + "W_V", w[2]).put(p + "W_O", w[3]);
    }

    /**
     * A one-layer model that only looks like it has an induction head: head L0H0 attends exactly
     * {@code distance - 1} positions back, by position alone, and copies the token it finds there
     * into the logits (head L0H1 has zero weights). On BOS and a block of {@code distance} random
     * tokens repeated, that is where an induction head attends in the second copy, so the head's
     * attention scores as induction and the repeated half's loss falls; but the head never reads
     * which token came before, and on a block of another length it copies the wrong token. No claim
     * may call it an induction head: it is the negative control of a one-layer model.
     *
     * @param distance the block length it is tuned to, in {@code [2, 11]} (BOS and two blocks fit n_ctx 24)
     * @return a new model with the same tokenizer as {@link #model()}
     */
    public static HookedTransformer positionalCopier(int distance) {
        if (distance < 2 || 1 + 2 * distance > N_CTX) {
            throw new IllegalArgumentException("distance must be in [2, " + (N_CTX - 1) / 2 + "], got " + distance);
        }
        int tok = 0, pos = VOCAB, out = VOCAB + N_CTX, dModel = 2 * VOCAB + N_CTX, dHead = Math.max(VOCAB, N_CTX);
        TransformerConfig cfg = TransformerConfig.builder().nLayers(1).dModel(dModel).nHeads(2).dHead(dHead).attnOnly(true).nCtx(N_CTX).dVocab(VOCAB).normalization(Normalization.NONE).modelName("positional-copier-" + distance).build();
        Tensor wE = Tensor.zeros(VOCAB, dModel);
        Tensor wPos = Tensor.zeros(N_CTX, dModel);
        Tensor wU = Tensor.zeros(dModel, VOCAB);
        Tensor wQ = Tensor.zeros(2, dModel, dHead), wK = Tensor.zeros(2, dModel, dHead);
        Tensor wV = Tensor.zeros(2, dModel, dHead), wO = Tensor.zeros(2, dHead, dModel);
        for (int t = 0; t < VOCAB; t++) {
            wE.set(1f, t, tok + t);
            wU.set(UNEMBED, out + t, t);
            wV.set(1f, 0, tok + t, t);                  // W_V: token t -> dim t
            wO.set(1f, 0, t, out + t);                  // W_O: dim t -> OUT + t
        }
        for (int p = 0; p < N_CTX; p++) {
            wPos.set(1f, p, pos + p);
            wQ.set(SHARP, 0, pos + p, p);               // W_Q: query position p -> dim p
            if (p + distance - 1 < dHead) {
                wK.set(1f, 0, pos + p, p + distance - 1); // W_K: key position p matches query position p + distance - 1
            }
        }
        TransformerWeights w = TransformerWeights.builder(cfg).put("embed.W_E", wE).put("pos_embed.W_pos", wPos).put("unembed.W_U", wU)
                .put("blocks.0.attn.W_Q", wQ).put("blocks.0.attn.W_K", wK).put("blocks.0.attn.W_V", wV).put("blocks.0.attn.W_O", wO).build();
        return HookedTransformer.of(cfg, w, tokenizer(), null);
    }

    /**
     * The model, with its word tokenizer; close it when done.
     *
     * @return a new instance of the hand-wired model
     */
    public static HookedTransformer model() {
        return HookedTransformer.of(config(), weights(), tokenizer(), null);
    }

    /**
     * Writes the model as a lens4j checkpoint folder ({@code config.json}, {@code model.safetensors},
     * the vocabulary), which {@code Models.fromPretrained} and {@code ./lens4j --model DIR} load.
     *
     * @param dir the folder to write
     * @throws IOException if it cannot be written
     */
    public static void write(Path dir) throws IOException {
        CheckpointWriter.write(dir, config(), weights(), tokenizer());
    }
}
