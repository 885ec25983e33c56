package dev.lens4j.transformer.tokenizer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;

/**
 * A tokenizer read from Hugging Face's {@code tokenizer.json} (and {@code tokenizer_config.json}),
 * giving the ids and decodes of the {@code tokenizers} library: byte-level BPE (GPT-2, GPT-NeoX /
 * Pythia, Llama 3, Qwen2, with their split regexes) and SentencePiece-style BPE (Llama 2, Mistral,
 * Gemma: "▁" for spaces, byte fallback, unknown token), with added and special tokens read as one
 * token wherever they appear. See {@code docs/TOKENIZERS.md} for the components supported; any other
 * is refused with a {@link TokenizerFileException} naming it.
 *
 * <p>Special tokens come from tokenizer_config.json and are resolved as TransformerLens does:
 * BOS is {@code bos_token}, else {@code eos_token}; padding is {@code pad_token}, else
 * {@code eos_token}. {@link #toTokens(String, boolean)} follows TransformerLens's {@code to_tokens}:
 * the tokenizer as transformers loads it with {@code add_bos_token=True}, or, for a tokenizer without
 * a BOS token (Qwen2), the BOS text put in front of the input. Without tokenizer_config.json, BOS is
 * the token the post-processor puts first, else {@code <|endoftext|>}, and EOS and padding are
 * {@code <|endoftext|>} if the vocabulary has it.
 *
 * <pre>{@code
 * HfTokenizer tok = HfTokenizer.fromFolder(Path.of("Llama-3.2-1B"));
 * tok.encode("Hello world");                  // the ids without special tokens
 * tok.toTokens("Hello world");                // [<|begin_of_text|>, ...]
 * tok.encodeWithSpecialTokens("Hello world"); // as transformers' tokenizer(text)["input_ids"]
 * }</pre>
 *
 * <p>Instances are immutable apart from a cache and safe to share between threads.
 */
public final class HfTokenizer implements Tokenizer {

    private final Pipeline pipeline;
    /** What transformers' {@code tokenizer(text)} adds. */
    private final PostProcessor withSpecial;
    /** What TransformerLens's tokenizer (loaded with add_bos_token=True) adds. */
    private final PostProcessor forTransformerLens;
    private final OptionalInt bos;
    private final OptionalInt eos;
    private final OptionalInt pad;
    private final OptionalInt unk;
    private final boolean defaultPrependBos;
    private final String source;

    private HfTokenizer(Pipeline pipeline, PostProcessor withSpecial, PostProcessor forTransformerLens, OptionalInt bos,
                        OptionalInt eos, OptionalInt pad, OptionalInt unk, boolean defaultPrependBos, String source) {
        this.pipeline = pipeline;
        this.withSpecial = withSpecial;
        this.forTransformerLens = forTransformerLens;
        this.bos = bos;
        this.eos = eos;
        this.pad = pad;
        this.unk = unk;
        this.defaultPrependBos = defaultPrependBos;
        this.source = source;
    }

    /**
     * Reads a tokenizer.json alone, with the special-token rules for a missing tokenizer_config.json.
     *
     * @param tokenizerJson the file
     * @return the tokenizer
     * @throws NoSuchFileException if the file is missing
     * @throws TokenizerFileException if it is malformed or uses a component lens4j does not support
     * @throws IOException if it cannot be read
     */
    public static HfTokenizer fromTokenizerJson(Path tokenizerJson) throws IOException {
        return fromFiles(tokenizerJson, null);
    }

    /**
     * Reads a tokenizer.json and, optionally, its tokenizer_config.json.
     *
     * @param tokenizerJson the tokenizer.json file
     * @param tokenizerConfig the tokenizer_config.json file, or null
     * @return the tokenizer
     * @throws NoSuchFileException if a file is missing
     * @throws TokenizerFileException if a file is malformed, uses a component lens4j does not
     *     support, or names a special token the vocabulary lacks
     * @throws IOException if a file cannot be read
     */
    public static HfTokenizer fromFiles(Path tokenizerJson, Path tokenizerConfig) throws IOException {
        return read(tokenizerJson.toString(), Files.readAllBytes(tokenizerJson),
                tokenizerConfig == null ? null : tokenizerConfig.toString(),
                tokenizerConfig == null ? null : Files.readAllBytes(tokenizerConfig));
    }

    /**
     * Reads a folder's tokenizer.json and, if there is one, its tokenizer_config.json.
     *
     * @param dir a folder such as a Hugging Face model snapshot
     * @return the tokenizer
     * @throws NoSuchFileException if the folder has no tokenizer.json
     * @throws TokenizerFileException as {@link #fromFiles(Path, Path)}
     * @throws IOException if a file cannot be read
     */
    public static HfTokenizer fromFolder(Path dir) throws IOException {
        Path json = dir.resolve("tokenizer.json");
        if (!Files.isRegularFile(json)) {
            throw new NoSuchFileException(json.toString(), null, "no tokenizer.json in the folder");
        }
        Path config = dir.resolve("tokenizer_config.json");
        return fromFiles(json, Files.isRegularFile(config) ? config : null);
    }

    /**
     * Reads the two files from their contents.
     *
     * @param jsonName the tokenizer.json's name, for messages
     * @param json its content
     * @param configName the tokenizer_config.json's name, or null
     * @param config its content, or null for none
     * @return the tokenizer
     * @throws TokenizerFileException naming the file and the fault
     */
    public static HfTokenizer read(String jsonName, byte[] json, String configName, byte[] config)
            throws TokenizerFileException {
        TokenizerConfig cfg = config == null ? null : TokenizerConfig.read(configName, config);
        Pipeline p = TokenizerJson.read(jsonName, json, cfg == null ? List.of() : cfg.specialTexts());
        String source = cfg == null ? jsonName : jsonName + " + " + configName;
        if (cfg == null) {
            int[] prefix = p.postProcessor == null ? new int[0] : p.postProcessor.prefix();
            OptionalInt endOfText = tokenId(p, Gpt2Tokenizer.END_OF_TEXT);
            OptionalInt bos = prefix.length > 0 ? OptionalInt.of(prefix[0]) : endOfText;
            PostProcessor post = p.postProcessor == null ? PostProcessor.NONE : p.postProcessor;
            PostProcessor tl = new PostProcessor(bos.isPresent() ? new int[] {bos.getAsInt()} : new int[0], new int[0]);
            return new HfTokenizer(p, post, tl, bos, endOfText, endOfText, unkOf(p), true, source);
        }
        checkAddedTokensDecoder(cfg, p);
        OptionalInt bosToken = special(cfg, p, cfg.bos(), "bos_token");
        OptionalInt eosToken = special(cfg, p, cfg.eos(), "eos_token");
        OptionalInt padToken = special(cfg, p, cfg.pad(), "pad_token");
        OptionalInt unkToken = special(cfg, p, cfg.unk(), "unk_token");
        for (String s : cfg.extraSpecial()) {
            if (!tokenId(p, s).isPresent()) {
                throw new TokenizerFileException(cfg.file(), "additional special token " + JsonField.quoted(s)
                        + " is not a token of " + jsonName);
            }
        }
        // transformers rebuilds the post-processor from add_bos_token / add_eos_token when either is
        // given, or when tokenizer.json has none.
        PostProcessor post;
        if (cfg.addBos() != null || cfg.addEos() != null || p.postProcessor == null) {
            post = template(Boolean.TRUE.equals(cfg.addBos()) ? bosToken : OptionalInt.empty(),
                    Boolean.TRUE.equals(cfg.addEos()) ? eosToken : OptionalInt.empty());
        } else {
            post = p.postProcessor;
        }
        // TransformerLens loads the tokenizer again with add_bos_token=True.
        PostProcessor tl = template(bosToken, Boolean.TRUE.equals(cfg.addEos()) ? eosToken : OptionalInt.empty());
        OptionalInt eos = eosToken.isPresent() ? eosToken : tokenId(p, Gpt2Tokenizer.END_OF_TEXT);
        OptionalInt bos = bosToken.isPresent() ? bosToken : eos;
        OptionalInt pad = padToken.isPresent() ? padToken : eos;
        return new HfTokenizer(p, post, tl, bos, eos, pad, unkToken.isPresent() ? unkToken : unkOf(p), true,
                source);
    }

    private static PostProcessor template(OptionalInt before, OptionalInt after) {
        return new PostProcessor(before.isPresent() ? new int[] {before.getAsInt()} : new int[0],
                after.isPresent() ? new int[] {after.getAsInt()} : new int[0]);
    }

    /** The id of a config special token, which must be a token of tokenizer.json. */
    private static OptionalInt special(TokenizerConfig cfg, Pipeline p, String text, String key)
            throws TokenizerFileException {
        if (text == null) {
            return OptionalInt.empty();
        }
        OptionalInt id = tokenId(p, text);
        if (id.isEmpty()) {
            throw new TokenizerFileException(cfg.file(), key + " " + JsonField.quoted(text) + " is not a token of "
                    + p.source + " (transformers would add it as a new token; lens4j refuses, since the model has "
                    + "no embedding for it)");
        }
        return id;
    }

    private static OptionalInt unkOf(Pipeline p) {
        return p.model.unk >= 0 ? OptionalInt.of(p.model.unk) : OptionalInt.empty();
    }

    /** The id of a token's text: an added token, else a model token. */
    private static OptionalInt tokenId(Pipeline p, String text) {
        for (AddedVocabulary.Token t : p.added.tokens()) {
            if (t.content().equals(text)) {
                return OptionalInt.of(t.id());
            }
        }
        int id = p.model.vocab.get(text);
        return id < 0 ? OptionalInt.empty() : OptionalInt.of(id);
    }

    /** added_tokens_decoder must describe tokenizer.json's added tokens as they are. */
    private static void checkAddedTokensDecoder(TokenizerConfig cfg, Pipeline p) throws TokenizerFileException {
        for (Map.Entry<Integer, AddedVocabulary.Token> e : cfg.addedTokensDecoder().entrySet()) {
            AddedVocabulary.Token want = e.getValue();
            AddedVocabulary.Token have = p.added.get(e.getKey());
            String at = "added_tokens_decoder[\"" + e.getKey() + "\"] (" + JsonField.quoted(want.content()) + ")";
            if (have == null || !have.content().equals(want.content())) {
                throw new TokenizerFileException(cfg.file(), at + " is not an added token of " + p.source
                        + (have == null ? "" : " (there it is " + JsonField.quoted(have.content()) + ")"));
            }
            if (have.lstrip() != want.lstrip() || have.rstrip() != want.rstrip() || have.singleWord() != want.singleWord()) {
                throw new TokenizerFileException(cfg.file(), at + " has lstrip/rstrip/single_word " + want.lstrip() + "/"
                        + want.rstrip() + "/" + want.singleWord() + " but " + p.source + " has " + have.lstrip() + "/"
                        + have.rstrip() + "/" + have.singleWord());
            }
        }
    }

    @Override
    public int[] encode(String text) {
        return pipeline.encode(text, true);
    }

    /**
     * Encodes with the special tokens transformers adds, like {@code tokenizer(text)["input_ids"]}:
     * tokenizer.json's post-processor, or the BOS / EOS of {@code add_bos_token} /
     * {@code add_eos_token} when tokenizer_config.json sets them.
     *
     * @param text the text
     * @return the ids {@code [pos]}
     * @throws IllegalArgumentException as {@link #encode(String)}
     */
    public int[] encodeWithSpecialTokens(String text) {
        return withSpecial.apply(encode(text));
    }

    /**
     * As TransformerLens's {@code to_tokens} for one string: with {@code prependBos}, the ids of the
     * tokenizer loaded with {@code add_bos_token=True}, or for a tokenizer without a BOS token the
     * BOS (here the EOS) text put before the input; without it, the same with the first token removed
     * if that tokenizer puts one, or the plain ids.
     */
    @Override
    public int[] toTokens(String text, boolean prependBos) {
        boolean tokenizerPrependsBos = forTransformerLens.prefix().length + forTransformerLens.suffix().length > 0;
        if (tokenizerPrependsBos) {
            int[] ids = forTransformerLens.apply(encode(text));
            return prependBos ? ids : Arrays.copyOfRange(ids, 1, ids.length);
        }
        if (!prependBos) {
            return encode(text);
        }
        int b = bos.orElseThrow(() -> new IllegalArgumentException(
                "prependBos is true but " + this + " has no beginning-of-sequence token"));
        return encode(pipeline.tokenText(b) + text);
    }

    @Override
    public String decode(int[] ids) {
        return pipeline.decode(ids);
    }

    /**
     * The token's text as the vocabulary spells it ({@code "Ġworld"}, {@code "▁world"},
     * {@code "<0x0A>"}), like Hugging Face's {@code convert_ids_to_tokens}.
     *
     * @param id a token id
     * @return the vocabulary entry
     * @throws IllegalArgumentException if the id is not a token of this vocabulary
     */
    public String rawToken(int id) {
        return pipeline.tokenText(id);
    }

    /**
     * The id of a vocabulary entry, like Hugging Face's {@code convert_tokens_to_ids}.
     *
     * @param token the entry as the vocabulary spells it
     * @return its id, if it is one
     */
    public OptionalInt tokenToId(String token) {
        return tokenId(pipeline, token);
    }

    @Override
    public int vocabSize() {
        return pipeline.vocabSize;
    }

    @Override
    public OptionalInt bosTokenId() {
        return bos;
    }

    @Override
    public OptionalInt eosTokenId() {
        return eos;
    }

    @Override
    public OptionalInt padTokenId() {
        return pad;
    }

    @Override
    public OptionalInt unkTokenId() {
        return unk;
    }

    @Override
    public boolean defaultPrependBos() {
        return defaultPrependBos;
    }

    /**
     * The same tokenizer with another default for prepending BOS (TransformerLens's
     * {@code default_prepend_bos}, false for some families).
     *
     * @param prepend whether {@link #toTokens(String)} puts BOS first
     * @return the tokenizer with that default
     */
    public HfTokenizer withDefaultPrependBos(boolean prepend) {
        return new HfTokenizer(pipeline, withSpecial, forTransformerLens, bos, eos, pad, unk, prepend, source);
    }

    @Override
    public List<String> specialTokens() {
        return pipeline.added.tokens().stream().filter(AddedVocabulary.Token::special)
                .map(AddedVocabulary.Token::content).toList();
    }

    @Override
    public String kind() {
        return (isByteLevel() ? "byte-level BPE" : "SentencePiece-style BPE") + " (tokenizer.json)";
    }

    private boolean isByteLevel() {
        return pipeline.decoder instanceof Decoder.ByteLevel
                || (pipeline.decoder instanceof Decoder.Sequence s && s.decoders().stream().anyMatch(d -> d instanceof Decoder.ByteLevel));
    }

    @Override
    public String toString() {
        return "HfTokenizer[" + kind() + ", " + vocabSize() + " tokens, " + pipeline.model.mergeCount() + " merges, from "
                + source + "]";
    }
}
