package dev.lens4j.transformer.tokenizer;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.OptionalInt;

/**
 * GPT-2's byte-level BPE tokenizer, token for token the same as OpenAI's {@code encoder.py} and
 * Hugging Face's {@code GPT2Tokenizer}.
 *
 * <p>Encoding: the text is split with GPT-2's pre-tokenisation pattern (contractions, letters,
 * digits, other symbols, whitespace; see {@link ByteLevel#PRE_TOKENIZE}), each piece's UTF-8
 * bytes become one single-byte token each, and the BPE merges are applied to them in rank order,
 * as Hugging Face's tokenizers does (which gives the same tokens as {@code encoder.py}'s
 * {@code bpe} on GPT-2's files). Pieces already seen come from a cache. It runs on the same
 * pipeline as {@link HfTokenizer}.
 *
 * <p>Special tokens: the literal text {@code <|endoftext|>} (id 50256 in GPT-2) is read as that one
 * token wherever it appears, as Hugging Face's tokenizers and TransformerLens do (OpenAI's
 * {@code encoder.py} would spell it out as 7 ordinary tokens; {@link #encodeOrdinary(String)}
 * does that). It is the beginning-of-sequence, end-of-sequence and padding token, as in TransformerLens for GPT-2.
 * A vocab.json must number its tokens 0..n-1 and have a token for each of the 256 bytes.
 *
 * <p>Decoding maps each token's characters back to bytes and decodes them as UTF-8, replacing
 * each maximal ill-formed subsequence with one U+FFFD as Python's {@code errors="replace"} does
 * (so a token holding part of a character, such as one of the two tokens of {@code "日"}, decodes
 * to U+FFFD on its own).
 *
 * <p>Instances are immutable apart from the piece cache and safe to share between threads.
 *
 * <pre>{@code
 * Gpt2Tokenizer tok = Gpt2Tokenizer.gpt2();
 * int[] ids = tok.encode("Hello world");   // [15496, 995]
 * tok.decode(ids);                         // "Hello world"
 * tok.toStrTokens("naïve");                // [<|endoftext|>, na, ïve]
 * }</pre>
 */
public final class Gpt2Tokenizer implements Tokenizer {

    /** GPT-2's only special token. */
    public static final String END_OF_TEXT = "<|endoftext|>";

    /** Where lens4j ships GPT-2's files, relative to this class. */
    private static final String BUNDLED = "gpt2/";

    /** The tokenizer of {@link #gpt2()}, loaded on first use. */
    private static volatile Gpt2Tokenizer bundled;

    private final Pipeline pipeline;
    private final OptionalInt endOfText;

    private Gpt2Tokenizer(Pipeline pipeline) {
        this.pipeline = pipeline;
        AddedVocabulary.Token eot = pipeline.added.tokens().isEmpty() ? null : pipeline.added.tokens().getFirst();
        this.endOfText = eot == null ? OptionalInt.empty() : OptionalInt.of(eot.id());
    }

    /**
     * The GPT-2 tokenizer (50,257 tokens, 50,000 merges) from the files shipped with lens4j, OpenAI's
     * {@code encoder.json} and {@code vocab.bpe}. Loaded once; later calls return the same instance.
     *
     * @return the GPT-2 tokenizer
     * @throws UncheckedIOException if the bundled files are missing from the class path
     */
    public static Gpt2Tokenizer gpt2() {
        Gpt2Tokenizer t = bundled;
        if (t == null) {
            synchronized (Gpt2Tokenizer.class) {
                t = bundled;
                if (t == null) {
                    try {
                        String where = "class-path resource " + Gpt2Tokenizer.class.getPackageName().replace('.', '/')
                                + "/" + BUNDLED;
                        t = new Gpt2Tokenizer(BpeFiles.vocabAndMerges(where + "vocab.json", resource("vocab.json"),
                                where + "merges.txt", resource("merges.txt"), "lens4j's bundled GPT-2 files"));
                    } catch (IOException e) {
                        // A packaging error, not something a caller can fix.
                        throw new UncheckedIOException("the GPT-2 tokenizer files shipped with lens4j cannot be read", e);
                    }
                    bundled = t;
                }
            }
        }
        return t;
    }

    private static byte[] resource(String name) throws IOException {
        try (InputStream in = Gpt2Tokenizer.class.getResourceAsStream(BUNDLED + name)) {
            if (in == null) {
                throw new NoSuchFileException(BUNDLED + name, null, "no such class-path resource");
            }
            return in.readAllBytes();
        }
    }

    /**
     * Loads a GPT-2-style tokenizer from OpenAI's or Hugging Face's two files. {@code <|endoftext|>},
     * if the vocabulary has it, becomes the special, beginning-, end-of-sequence and padding token.
     *
     * @param vocabJson {@code vocab.json} (OpenAI's {@code encoder.json}): token text to id, ids
     *     0..n-1 without gaps, a token for each of the 256 bytes
     * @param mergesTxt {@code merges.txt} (OpenAI's {@code vocab.bpe}): an optional {@code #version}
     *     line, then one merge per line, two tokens separated by a space, highest priority first
     * @return the tokenizer
     * @throws java.nio.file.NoSuchFileException if a file is missing
     * @throws TokenizerFileException if a file is malformed; the message names the file and the fault
     * @throws IOException if a file cannot be read
     */
    public static Gpt2Tokenizer load(Path vocabJson, Path mergesTxt) throws IOException {
        return read(vocabJson.toString(), Files.readAllBytes(vocabJson), mergesTxt.toString(), Files.readAllBytes(mergesTxt));
    }

    /**
     * {@link #load(Path, Path)} from the files' contents.
     *
     * @param vocabName vocab.json's name, for messages
     * @param vocabJson its content
     * @param mergesName merges.txt's name, for messages
     * @param mergesTxt its content
     * @return the tokenizer
     * @throws TokenizerFileException if a file is malformed; the message names the file and the fault
     */
    public static Gpt2Tokenizer read(String vocabName, byte[] vocabJson, String mergesName, byte[] mergesTxt)
            throws TokenizerFileException {
        return new Gpt2Tokenizer(BpeFiles.vocabAndMerges(vocabName, vocabJson, mergesName, mergesTxt,
                vocabName + " + " + mergesName));
    }

    @Override
    public int[] encode(String text) {
        return pipeline.encode(text, true);
    }

    /**
     * Encodes text reading special-token text such as {@code <|endoftext|>} as ordinary characters,
     * exactly as OpenAI's {@code encoder.py} does (tiktoken's {@code encode_ordinary}).
     *
     * @param text the text
     * @return the token ids {@code [pos]}
     * @throws IllegalArgumentException if the text has an unpaired surrogate
     */
    public int[] encodeOrdinary(String text) {
        return pipeline.encode(text, false);
    }

    @Override
    public String decode(int[] ids) {
        return pipeline.decode(ids);
    }

    /**
     * The token's text as the vocabulary spells it, with GPT-2's byte characters
     * ({@code "Ġworld"} for {@code " world"}), like Hugging Face's {@code convert_ids_to_tokens}.
     *
     * @param id a token id
     * @return the vocabulary entry
     * @throws IllegalArgumentException if the id is not a token of this vocabulary
     */
    public String rawToken(int id) {
        return pipeline.tokenText(id);
    }

    @Override
    public int vocabSize() {
        return pipeline.vocabSize;
    }

    /**
     * The number of distinct merges, 50,000 for GPT-2.
     *
     * @return the number of BPE merges
     */
    public int mergeCount() {
        return pipeline.model.mergeCount();
    }

    /**
     * The special tokens: {@code <|endoftext|>} if the vocabulary has it.
     *
     * @return the texts read as one token wherever they appear
     */
    @Override
    public List<String> specialTokens() {
        return pipeline.added.tokens().stream().map(AddedVocabulary.Token::content).toList();
    }

    @Override
    public OptionalInt bosTokenId() {
        return endOfText;
    }

    @Override
    public OptionalInt eosTokenId() {
        return endOfText;
    }

    @Override
    public OptionalInt padTokenId() {
        return endOfText;
    }

    @Override
    public String kind() {
        return "GPT-2 byte-level BPE";
    }

    @Override
    public String toString() {
        return "Gpt2Tokenizer[" + vocabSize() + " tokens, " + mergeCount() + " merges, from " + pipeline.source + "]";
    }
}
