package dev.lens4j.transformer;

import dev.lens4j.tensor.Tensor;

/**
 * A differentiable scalar of a forward pass's logits: what a backward pass differentiates
 * (TransformerLens's {@code run_with_cache(incl_bwd=True)} calls {@code backward()} on the model's
 * scalar output, the loss; attribution patching and EAP on a metric such as a logit difference).
 *
 * <pre>{@code
 * ForwardResult r = model.run(tokens, ForwardOptions.builder()
 *         .cache(n -> true).backward(LogitMetric.meanLoss(tokens)).build());
 * Tensor g = r.cache().get("blocks.0.attn.hook_z_grad");    // d loss / d z, [batch, pos, head_index, d_head]
 * }</pre>
 *
 * <p>Implementations compute the value and its gradient with respect to every logit; the gradient
 * must be exact (a finite-difference check in the tests is a good guard).
 */
public interface LogitMetric {

    /**
     * The metric of one pass.
     *
     * @param logits {@code [batch, pos, d_vocab]}
     * @return the value
     */
    double value(Tensor logits);

    /**
     * The gradient of {@link #value} with respect to the logits.
     *
     * @param logits {@code [batch, pos, d_vocab]}
     * @return {@code [batch, pos, d_vocab]}
     */
    Tensor gradient(Tensor logits);

    /**
     * {@link #value(Tensor)}, computed so that it is the same bits on every platform when
     * {@code reproducible} is set ({@link ForwardOptions#reproducible()} passes it). The default
     * ignores the flag: a metric that uses {@link Math}'s exp or log should override this and use
     * functions that are the same everywhere when asked ({@link dev.lens4j.tensor.kernel.ReproducibleKernels#exp},
     * {@link StrictMath}), as the built-in metrics do.
     *
     * @param logits {@code [batch, pos, d_vocab]}
     * @param reproducible whether the result must be the same bits on every platform
     * @return the value
     */
    default double value(Tensor logits, boolean reproducible) {
        return value(logits);
    }

    /**
     * {@link #gradient(Tensor)}, computed reproducibly when asked (see {@link #value(Tensor, boolean)}).
     *
     * @param logits {@code [batch, pos, d_vocab]}
     * @param reproducible whether the result must be the same bits on every platform
     * @return {@code [batch, pos, d_vocab]}
     */
    default Tensor gradient(Tensor logits, boolean reproducible) {
        return gradient(logits);
    }

    /**
     * The positions whose logits the metric reads, per sequence, for logits of {@code batch}
     * sequences of {@code pos} positions, or null (the default) when it may read any. A pass run with
     * {@link ForwardOptions.Builder#logitPositions} set to them computes only those logits (the
     * unembedding is about a fifth of a GPT-2-small pass at 128 positions) and its backward pass skips
     * the rows of the unembedding whose gradient is zero; the metric's value and gradient are the same
     * bits. A metric that returns positions must read no logit elsewhere (those are NaN in such a pass).
     *
     * <pre>{@code
     * int[][] at = metric.positionsRead(tokens.length, tokens[0].length);   // a logit difference: {{pos - 1}, ...}
     * model.run(tokens, ForwardOptions.builder().backward(metric).logitPositions(at).build());
     * }</pre>
     *
     * @param batch the sequences of the logits
     * @param pos the positions of each sequence
     * @return {@code [batch][k]} positions in {@code [0, pos)}, or null for every position
     */
    default int[][] positionsRead(int batch, int pos) {
        return null;
    }

    /**
     * A metric's value and its gradient with respect to the logits, from one evaluation.
     *
     * @param value the metric's value
     * @param gradient {@code [batch, pos, d_vocab]}, the gradient with respect to the logits
     */
    record Evaluation(double value, Tensor gradient) {}

    /**
     * {@link #value(Tensor, boolean)} and {@link #gradient(Tensor, boolean)} together, the same bits as
     * the two calls: what a backward pass asks for. The default makes the two calls; a metric whose
     * value and gradient share work (the cross-entropy's softmax) should override it and do the work once.
     *
     * @param logits {@code [batch, pos, d_vocab]}
     * @param reproducible whether the results must be the same bits on every platform
     * @return the value and the gradient
     */
    default Evaluation evaluate(Tensor logits, boolean reproducible) {
        return new Evaluation(value(logits, reproducible), gradient(logits, reproducible));
    }

    /**
     * The mean next-token cross-entropy over every position but the last of every sequence
     * (TransformerLens's loss: {@code -log p(tokens[b, t + 1])} averaged over {@code [batch, pos - 1]}).
     *
     * @param tokens {@code [batch][pos]}, the tokens the logits were computed from; pos at least 2
     * @return the metric
     */
    static LogitMetric meanLoss(int[][] tokens) {
        if (tokens == null || tokens.length == 0 || tokens[0] == null || tokens[0].length < 2) {
            throw new IllegalArgumentException("the loss needs a batch of sequences of at least 2 tokens");
        }
        int[][] targets = new int[tokens.length][];
        for (int b = 0; b < tokens.length; b++) {
            if (tokens[b] == null || tokens[b].length != tokens[0].length) {
                throw new IllegalArgumentException("ragged batch: sequence " + b + " has "
                        + (tokens[b] == null ? 0 : tokens[b].length) + " tokens but sequence 0 has " + tokens[0].length);
            }
            targets[b] = new int[tokens[b].length];
            System.arraycopy(tokens[b], 1, targets[b], 0, tokens[b].length - 1);
            targets[b][tokens[b].length - 1] = -1;
        }
        return new CrossEntropyMetric(targets, "mean next-token loss");
    }

    /**
     * The mean cross-entropy of chosen targets: {@code -log p(targets[b][t])} at the positions whose
     * target is not negative, averaged over them (a training loss that ignores some positions, such as
     * the last, or padding). With every position's target the next token and the last ignored, this
     * is {@link #meanLoss}.
     *
     * @param targets {@code [batch][pos]}: the token to predict at each position, or -1 to ignore it
     * @return the metric (0, with a zero gradient, when every target is ignored)
     */
    static LogitMetric crossEntropy(int[][] targets) {
        if (targets == null || targets.length == 0 || targets[0] == null) {
            throw new IllegalArgumentException("the cross-entropy needs targets for at least one sequence");
        }
        for (int b = 0; b < targets.length; b++) {
            if (targets[b] == null || targets[b].length != targets[0].length) {
                throw new IllegalArgumentException("ragged targets: sequence " + b + " has "
                        + (targets[b] == null ? 0 : targets[b].length) + " but sequence 0 has " + targets[0].length);
            }
        }
        return new CrossEntropyMetric(targets, "mean cross-entropy of the targets");
    }

    /**
     * The cross-entropy {@code -log p(target)} at one position (for reports of a loss's parts).
     *
     * @param logits {@code [batch, pos, d_vocab]}
     * @param b the sequence
     * @param t the position
     * @param target the token
     * @return the loss in nats
     */
    static double tokenLoss(Tensor logits, int b, int t, int target) {
        int V = logits.dim(2);
        if (logits.isHeap() && logits.isContiguous() && logits.rank() == 3) {
            // the row in place: a training step asks for every position's loss
            int o = logits.heapOffset() + (b * logits.dim(1) + t) * V;
            return -CrossEntropyMetric.logSoftmaxAt(logits.heapArray(), o, V, target, true);
        }
        float[] row = logits.select(0, b).select(0, t).toArray();
        return -CrossEntropyMetric.logSoftmaxAt(row, 0, V, target, true);
    }


    /**
     * The difference of two logits at one position, summed over the batch:
     * {@code sum_b logits[b, pos[b], correct[b]] - logits[b, pos[b], incorrect[b]]} (the usual metric of
     * indirect-object identification, divided by nothing so that its gradient is per sequence).
     *
     * @param pos the position of each sequence
     * @param correct the token whose logit counts positively, per sequence
     * @param incorrect the token whose logit counts negatively, per sequence
     * @return the metric
     */
    static LogitMetric logitDifference(int[] pos, int[] correct, int[] incorrect) {
        if (pos.length != correct.length || pos.length != incorrect.length) {
            throw new IllegalArgumentException("logitDifference needs one position, correct and incorrect token per sequence, got "
                    + pos.length + ", " + correct.length + " and " + incorrect.length);
        }
        return new LogitMetric() {
            @Override
            public double value(Tensor logits) {
                checkBatch(logits);
                double sum = 0;
                for (int b = 0; b < pos.length; b++) {
                    sum += (double) logits.get(b, pos[b], correct[b]) - logits.get(b, pos[b], incorrect[b]);
                }
                return sum;
            }

            @Override
            public Tensor gradient(Tensor logits) {
                checkBatch(logits);
                Tensor g = Tensor.zeros(logits.shape());
                for (int b = 0; b < pos.length; b++) {
                    g.set(g.get(b, pos[b], correct[b]) + 1f, b, pos[b], correct[b]);
                    g.set(g.get(b, pos[b], incorrect[b]) - 1f, b, pos[b], incorrect[b]);
                }
                return g;
            }

            @Override
            public int[][] positionsRead(int batch, int positions) {
                int[][] at = new int[pos.length][];
                for (int b = 0; b < pos.length; b++) {
                    if (pos[b] < 0 || pos[b] >= positions) {
                        throw new IllegalArgumentException("logitDifference reads position " + pos[b] + " of sequence " + b
                                + ", outside the " + positions + " positions of the pass");
                    }
                    at[b] = new int[] {pos[b]};
                }
                return batch == pos.length ? at : null;
            }

            private void checkBatch(Tensor logits) {
                if (logits.rank() != 3 || logits.dim(0) != pos.length) {
                    throw new IllegalArgumentException("logitDifference was built for a batch of " + pos.length
                            + " sequences, got logits " + dev.lens4j.tensor.Shapes.str(logits.shape()));
                }
                positionsRead(pos.length, logits.dim(1));
                for (int b = 0; b < pos.length; b++) {
                    for (int t : new int[] {correct[b], incorrect[b]}) {
                        if (t < 0 || t >= logits.dim(2)) {
                            throw new IllegalArgumentException("logitDifference compares token " + t + " in sequence " + b
                                    + ", outside the vocabulary [0, " + logits.dim(2) + ") of the logits");
                        }
                    }
                }
            }

            @Override
            public String toString() {
                return "logit difference";
            }
        };
    }
}
