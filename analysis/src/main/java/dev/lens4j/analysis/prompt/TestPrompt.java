package dev.lens4j.analysis.prompt;

import dev.lens4j.tensor.Tensor;
import dev.lens4j.transformer.HookedTransformer;
import dev.lens4j.transformer.tokenizer.Tokenizer;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.List;

/**
 * Does the model give the right answer to a prompt? TransformerLens's {@code utils.test_prompt}: the
 * rank, logit and probability of each answer token, and the top tokens the model predicts at each
 * answer position, returned as a value ({@link Result}) whose {@link Result#render()} (and
 * {@code toString()}) is TransformerLens's print-out.
 *
 * <pre>{@code
 * TestPrompt.Result r = TestPrompt.run(model, "apple river stone cloud apple river", "stone",
 *         TestPrompt.Options.defaults().withTopK(3));
 * r.steps().get(0).answers().get(0).rank();         // 0: the model's first choice
 * System.out.print(r);                              // the shipped induction-2l model prints:
 * // Tokenized prompt: ['<|bos|>', ' apple', ' river', ' stone', ' cloud', ' apple', ' river']
 * // Tokenized answer: [' stone']
 * // Performance on answer token:
 * // Rank: 0        Logit:  5.85 Prob: 77.61% Token: | stone|
 * // Top 0th token. Logit:  5.85 Prob: 77.61% Token: | stone|
 * // Top 1th token. Logit:  1.88 Prob:  1.47% Token: | chair|
 * // Top 2th token. Logit:  1.56 Prob:  1.07% Token: | lake|
 * // Ranks of the answer tokens: [(' stone', 0)]
 * }</pre>
 *
 * <p>As in TransformerLens: a space is put before an answer that has none (unless
 * {@link Options#prependSpaceToAnswer()} is off); the prompt gets the beginning-of-sequence token
 * unless {@link Options#prependBos()} is off; one answer may span several tokens, and each of its
 * tokens is scored after the prompt and the answer's earlier tokens; several answers are scored on
 * their first token only, each against the same prompt, and the top tokens are the first answer's.
 * Logits and probabilities are float32, as TransformerLens's on the CPU; the printed numbers are
 * rounded as Python rounds them.
 *
 * <p>A rank counts the tokens ahead of the answer when the vocabulary is sorted by probability,
 * largest first. Among tokens of exactly equal probability lens4j ranks the lower id first (a stable
 * sort); PyTorch's sort makes no such promise, so exact ties can rank differently from
 * TransformerLens.
 */
public final class TestPrompt {

    private TestPrompt() {}

    /**
     * TransformerLens's keyword arguments of {@code test_prompt}.
     *
     * @param prependSpaceToAnswer put a space before an answer that does not start with one
     *                             ({@code prepend_space_to_answer}, default true)
     * @param prependBos put the beginning-of-sequence token before the prompt ({@code prepend_bos}, default true)
     * @param topK how many top tokens to report at each answer position ({@code top_k}, default 10)
     */
    public record Options(boolean prependSpaceToAnswer, boolean prependBos, int topK) {

        /** Checks the top-k count. */
        public Options {
            if (topK < 0) {
                throw new IllegalArgumentException("topK must be at least 0, got " + topK);
            }
        }

        /**
         * TransformerLens's defaults: a space before the answer, BOS before the prompt, the top 10.
         *
         * @return the defaults
         */
        public static Options defaults() {
            return new Options(true, true, 10);
        }

        /**
         * These options with another top-k count.
         *
         * @param k how many top tokens
         * @return the new options
         */
        public Options withTopK(int k) {
            return new Options(prependSpaceToAnswer, prependBos, k);
        }
    }

    /**
     * How the model scores one token at one position.
     *
     * @param token the token id
     * @param text the token's text
     * @param rank its place when the vocabulary is sorted by probability, 0 for the most likely
     * @param logit its logit
     * @param probability its probability (softmax of the logits at that position)
     */
    public record TokenScore(int token, String text, int rank, float logit, float probability) {}

    /**
     * One answer position: the predictions made at the position before it.
     *
     * @param position the index of the answer token in the full sequence (prompt, then answer), so the
     *                 prediction is read at {@code position - 1}
     * @param answers each answer's token at this position, in the order the answers were given
     * @param top the {@code topK} most likely tokens (of the first answer's sequence), most likely first
     */
    public record Step(int position, List<TokenScore> answers, List<TokenScore> top) {

        /** Copies the lists. */
        public Step {
            answers = List.copyOf(answers);
            top = List.copyOf(top);
        }
    }

    /**
     * What {@code test_prompt} prints, as a value.
     *
     * @param promptTokens the prompt's tokens as text (BOS first unless switched off)
     * @param answerTokens each answer's tokens as text (after the space was put in front)
     * @param steps one per answer token: several for a multi-token answer, one for several answers
     */
    public record Result(List<String> promptTokens, List<List<String>> answerTokens, List<Step> steps) {

        /** Copies the lists. */
        public Result {
            promptTokens = List.copyOf(promptTokens);
            answerTokens = answerTokens.stream().map(List::copyOf).toList();
            steps = List.copyOf(steps);
        }

        /**
         * Whether several answers were compared (then each is scored on its first token).
         *
         * @return true for more than one answer
         */
        public boolean multipleAnswers() {
            return answerTokens.size() > 1;
        }

        /**
         * The rank of each answer token: for one answer, its tokens' ranks in order; for several, each
         * answer's rank at the one position.
         *
         * @return the ranks, as TransformerLens's last line lists them
         */
        public List<Integer> ranks() {
            List<Integer> out = new ArrayList<>();
            for (Step s : steps) {
                for (TokenScore a : s.answers()) {
                    out.add(a.rank());
                }
            }
            return out;
        }

        /**
         * TransformerLens's print-out of {@code test_prompt}, line for line (without rich's bold).
         *
         * @return the text, ending in a newline
         */
        public String render() {
            StringBuilder b = new StringBuilder();
            b.append("Tokenized prompt: ").append(pyList(promptTokens)).append('\n');
            if (multipleAnswers()) {
                List<String> lists = answerTokens.stream().map(TestPrompt::pyList).toList();
                b.append("Tokenized answers: [").append(String.join(", ", lists)).append("]\n");
            } else {
                b.append("Tokenized answer: ").append(pyList(answerTokens.get(0))).append('\n');
            }
            for (Step s : steps) {
                b.append("Performance on answer token").append(multipleAnswers() ? "s" : "").append(":\n");
                for (TokenScore a : s.answers()) {
                    b.append("Rank: ").append(padRight(Integer.toString(a.rank()), 8))
                            .append(" Logit: ").append(padLeft(pyFixed(a.logit(), 2), 5))
                            .append(" Prob: ").append(padLeft(pyFixed(a.probability() * 100.0, 2) + "%", 6))
                            .append(" Token: |").append(a.text()).append("|\n");
                }
                for (int i = 0; i < s.top().size(); i++) {
                    TokenScore t = s.top().get(i);
                    b.append("Top ").append(i).append("th token. Logit: ").append(padLeft(pyFixed(t.logit(), 2), 5))
                            .append(" Prob: ").append(padLeft(pyFixed(t.probability() * 100.0, 2) + "%", 6))
                            .append(" Token: |").append(t.text()).append("|\n");
                }
            }
            b.append("Ranks of the answer tokens: ");
            if (multipleAnswers()) {
                List<String> perStep = new ArrayList<>();
                for (Step s : steps) {
                    perStep.add(rankTuples(s.answers()));
                }
                b.append('[').append(String.join(", ", perStep)).append(']');
            } else {
                List<TokenScore> all = new ArrayList<>();
                steps.forEach(s -> all.add(s.answers().get(0)));
                b.append(rankTuples(all));
            }
            return b.append('\n').toString();
        }

        /**
         * Returns {@link #render()}, so that jshell and a print show TransformerLens's print-out.
         *
         * @return the print-out
         */
        @Override
        public String toString() {
            return render();
        }
    }

    /**
     * {@code utils.test_prompt(prompt, answer, model)} with TransformerLens's defaults.
     *
     * @param model the model, with a tokenizer
     * @param prompt the prompt
     * @param answer the expected continuation (a space is put in front if it has none)
     * @return the scores
     * @throws IllegalArgumentException if the answer has no tokens, or prompt and answer exceed n_ctx
     * @throws IllegalStateException if the model has no tokenizer
     */
    public static Result run(HookedTransformer model, String prompt, String answer) {
        return run(model, prompt, List.of(answer), Options.defaults());
    }

    /**
     * {@code utils.test_prompt(prompt, answer, model, ...)} for one answer.
     *
     * @param model the model, with a tokenizer
     * @param prompt the prompt
     * @param answer the expected continuation
     * @param options the keyword arguments
     * @return the scores
     */
    public static Result run(HookedTransformer model, String prompt, String answer, Options options) {
        return run(model, prompt, List.of(answer), options);
    }

    /**
     * {@code utils.test_prompt(prompt, answers, model, ...)}: with one answer, each of its tokens is
     * scored; with several, their first tokens are compared at the position after the prompt.
     *
     * @param model the model, with a tokenizer
     * @param prompt the prompt
     * @param answers one or more answers
     * @param options the keyword arguments
     * @return the scores
     * @throws IllegalArgumentException for no answers, an answer with no tokens, {@code topK} above the
     *         vocabulary, or a sequence longer than n_ctx
     * @throws IllegalStateException if the model has no tokenizer
     */
    public static Result run(HookedTransformer model, String prompt, List<String> answers, Options options) {
        if (answers == null || answers.isEmpty()) {
            throw new IllegalArgumentException("test_prompt needs at least one answer");
        }
        Tokenizer tok = model.tokenizer();
        int vocab = model.config().dVocab();
        if (options.topK() > vocab) {
            throw new IllegalArgumentException("topK " + options.topK() + " is more than the vocabulary's " + vocab + " tokens");
        }
        List<String> texts = new ArrayList<>();
        for (String a : answers) {
            texts.add(options.prependSpaceToAnswer() && !a.startsWith(" ") ? " " + a : a);
        }
        boolean multiple = texts.size() > 1;
        int[] promptIds = tok.toTokens(prompt, options.prependBos());
        List<int[]> answerIds = new ArrayList<>();
        List<List<String>> answerStr = new ArrayList<>();
        for (String a : texts) {
            int[] ids = tok.toTokens(a, false);
            if (ids.length == 0) {
                throw new IllegalArgumentException("answer \"" + a + "\" has no tokens");
            }
            answerIds.add(multiple ? new int[] {ids[0]} : ids);
            answerStr.add(tok.toStrTokens(ids));
        }
        int p = promptIds.length;
        int answerLength = answerIds.get(0).length;
        int[][] tokens = new int[texts.size()][p + answerLength];
        for (int r = 0; r < tokens.length; r++) {
            System.arraycopy(promptIds, 0, tokens[r], 0, p);
            System.arraycopy(answerIds.get(r), 0, tokens[r], p, answerLength);
        }
        Tensor logits = model.forward(tokens);                    // [answers, pos, d_vocab]
        List<Step> steps = new ArrayList<>();
        for (int index = p; index < p + answerLength; index++) {
            Tensor at = logits.select(1, index - 1);               // [answers, d_vocab]: the prediction of token `index`
            Tensor probs = at.softmax(-1);
            Tensor order = probs.argsort(-1, true);                // stable: equal probabilities, lower id first
            List<TokenScore> scored = new ArrayList<>();
            for (int r = 0; r < tokens.length; r++) {
                int id = tokens[r][index];
                scored.add(new TokenScore(id, answerStr.get(r).get(index - p), rankOf(order.select(0, r), id),
                        at.get(r, id), probs.get(r, id)));
            }
            List<TokenScore> top = new ArrayList<>();
            for (int i = 0; i < options.topK(); i++) {
                int id = (int) order.get(0, i);
                top.add(new TokenScore(id, tok.decode(id), i, at.get(0, id), probs.get(0, id)));
            }
            steps.add(new Step(index, scored, top));
        }
        return new Result(tok.toStrTokens(promptIds), answerStr, steps);
    }

    /** Where {@code id} sits in a row of token ids sorted by probability. */
    private static int rankOf(Tensor order, int id) {
        for (int i = 0; i < order.size(); i++) {
            if ((int) order.get(i) == id) {
                return i;
            }
        }
        throw new IllegalStateException("token " + id + " is not in the vocabulary's order"); // cannot happen: ids were checked by forward
    }

    // ------------------------------------------------------------------ Python's formatting

    /** Python's {@code f"{v:.{decimals}f}"}: the exact binary value rounded half to even, a minus kept on a rounded-away negative. */
    static String pyFixed(double v, int decimals) {
        if (Double.isNaN(v)) {
            return "nan";
        }
        if (Double.isInfinite(v)) {
            return v > 0 ? "inf" : "-inf";
        }
        String s = new BigDecimal(v).setScale(decimals, RoundingMode.HALF_EVEN).toPlainString();
        return (v < 0 || (v == 0 && 1 / v < 0)) && !s.startsWith("-") ? "-" + s : s;
    }

    private static String padLeft(String s, int width) {
        return s.length() >= width ? s : " ".repeat(width - s.length()) + s;
    }

    private static String padRight(String s, int width) {
        return s.length() >= width ? s : s + " ".repeat(width - s.length());
    }

    private static String rankTuples(List<TokenScore> scores) {
        List<String> tuples = new ArrayList<>();
        for (TokenScore s : scores) {
            tuples.add("(" + pyRepr(s.text()) + ", " + s.rank() + ")");
        }
        return "[" + String.join(", ", tuples) + "]";
    }

    /** Python's repr of a list of strings. */
    static String pyList(List<String> strings) {
        List<String> r = new ArrayList<>();
        for (String s : strings) {
            r.add(pyRepr(s));
        }
        return "[" + String.join(", ", r) + "]";
    }

    /**
     * Python's {@code repr} of a string: single quotes unless the string has a single quote and no
     * double quote; backslash, the quote and control characters escaped; characters Python does not
     * count as printable as {@code \xhh}, {@code \\uhhhh} or {@code \Uhhhhhhhh}.
     */
    static String pyRepr(String s) {
        char quote = s.indexOf('\'') >= 0 && s.indexOf('"') < 0 ? '"' : '\'';
        StringBuilder b = new StringBuilder(s.length() + 2).append(quote);
        s.codePoints().forEach(c -> {
            if (c == quote || c == '\\') {
                b.append('\\').appendCodePoint(c);
            } else if (c == '\n') {
                b.append("\\n");
            } else if (c == '\r') {
                b.append("\\r");
            } else if (c == '\t') {
                b.append("\\t");
            } else if (c != ' ' && !printable(c)) {
                b.append(c <= 0xff ? String.format("\\x%02x", c) : c <= 0xffff ? String.format("\\u%04x", c) : String.format("\\U%08x", c));
            } else {
                b.appendCodePoint(c);
            }
        });
        return b.append(quote).toString();
    }

    /** Python's str.isprintable for one character: not in the categories Cc, Cf, Cs, Co, Cn, Zl, Zp, Zs. */
    private static boolean printable(int c) {
        return switch (Character.getType(c)) {
            case Character.CONTROL, Character.FORMAT, Character.SURROGATE, Character.PRIVATE_USE, Character.UNASSIGNED,
                 Character.LINE_SEPARATOR, Character.PARAGRAPH_SEPARATOR, Character.SPACE_SEPARATOR -> false;
            default -> true;
        };
    }
}
