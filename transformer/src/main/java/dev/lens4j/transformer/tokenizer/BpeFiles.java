package dev.lens4j.transformer.tokenizer;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Reading a BPE vocabulary and its merges, in both formats: GPT-2's {@code vocab.json} +
 * {@code merges.txt}, and the {@code model} of a {@code tokenizer.json}. Every fault is a
 * {@link TokenizerFileException} naming the file and the entry.
 */
final class BpeFiles {

    /** Token ids must be below this, so that a corrupt id cannot make us allocate gigabytes. */
    static final int MAX_ID = 1 << 24;

    private BpeFiles() {
    }

    /**
     * A vocabulary.
     *
     * @param ids token id by text
     * @param byId token text by id, null in gaps
     */
    record Vocab(TokenIndex ids, String[] byId) {
        /** @return the token's id, or -1 */
        int id(String token) {
            return ids.get(token);
        }
    }

    /**
     * One merge.
     *
     * @param a the left token
     * @param b the right token
     * @param where where it is in its file, for messages ({@code line 3}, {@code model.merges[2]})
     */
    record Merge(String a, String b, String where) {
    }

    /**
     * A token-to-id JSON object: ids distinct integers in [0, {@value #MAX_ID}), tokens valid text.
     *
     * @param f the object ({@code vocab.json}'s top level, or {@code model.vocab})
     * @return the vocabulary
     * @throws TokenizerFileException for a bad id, a repeated id, or an empty vocabulary
     */
    static Vocab vocab(JsonField f) throws TokenizerFileException {
        Map<String, Object> json = f.object();
        String what = f.path().isEmpty() ? "the vocabulary" : f.path();
        if (json.isEmpty()) {
            throw new TokenizerFileException(f.file(), what + " is empty");
        }
        int size = 0;
        for (Map.Entry<String, Object> e : json.entrySet()) {
            Object v = e.getValue();
            if (!(v instanceof Long l) || l < 0 || l >= MAX_ID) {
                throw new TokenizerFileException(f.file(), (f.path().isEmpty() ? "token " : f.path() + " entry ")
                        + JsonField.quoted(e.getKey()) + " must have an integer id in [0, " + MAX_ID + "), found "
                        + (v instanceof String s ? JsonField.quoted(s) : String.valueOf(v)));
            }
            size = Math.max(size, (int) (long) l + 1);
        }
        String[] byId = new String[size];
        for (Map.Entry<String, Object> e : json.entrySet()) {
            int id = (int) (long) (Long) e.getValue();
            if (byId[id] != null) {
                String[] two = {byId[id], e.getKey()};
                java.util.Arrays.sort(two); // the message names them in a fixed order
                throw new TokenizerFileException(f.file(), "id " + id + " is used by both " + JsonField.quoted(two[0])
                        + " and " + JsonField.quoted(two[1]));
            }
            byId[id] = e.getKey();
        }
        return new Vocab(new TokenIndex(byId), byId);
    }

    /**
     * The lines of merges.txt: an optional {@code #version} first line, then "left right" per line.
     *
     * @param file the file, for messages
     * @param text its content
     * @return the merges in rank order
     * @throws TokenizerFileException for a line that is not two tokens separated by one space
     */
    static List<Merge> mergesTxt(String file, String text) throws TokenizerFileException {
        List<Merge> out = new ArrayList<>(text.length() / 8 + 1);
        int lineNo = 0;
        for (int start = 0; start < text.length(); ) {
            int nl = text.indexOf('\n', start);
            int end = nl < 0 ? text.length() : nl;
            lineNo++;
            int stop = end > start && text.charAt(end - 1) == '\r' ? end - 1 : end;
            if (stop > start && !(lineNo == 1 && text.startsWith("#version", start))) {
                int sp = text.indexOf(' ', start);
                boolean twoTokens = sp > start && sp < stop - 1;
                if (twoTokens) {
                    int sp2 = text.indexOf(' ', sp + 1);
                    twoTokens = sp2 < 0 || sp2 >= stop;
                }
                if (!twoTokens) {
                    throw new TokenizerFileException(file, "line " + lineNo
                            + ": a merge must be two tokens separated by one space, found "
                            + JsonField.quoted(text.substring(start, stop)));
                }
                out.add(new Merge(text.substring(start, sp), text.substring(sp + 1, stop), "line " + lineNo));
            }
            start = end + 1;
        }
        return out;
    }

    /**
     * {@code model.merges}: {@code "a b"} strings (older files) or {@code ["a", "b"]} pairs (newer files).
     *
     * @param f the merges field
     * @return the merges in rank order
     * @throws TokenizerFileException for an element of neither form
     */
    static List<Merge> mergesJson(JsonField f) throws TokenizerFileException {
        List<JsonField> list = f.list();
        List<Merge> out = new ArrayList<>(list.size());
        for (JsonField m : list) {
            if (m.value() instanceof String s) {
                String[] parts = s.split(" ", -1);
                if (parts.length != 2 || parts[0].isEmpty() || parts[1].isEmpty()) {
                    throw m.error("must be two tokens separated by one space, found " + JsonField.quoted(s));
                }
                out.add(new Merge(parts[0], parts[1], m.path()));
            } else if (m.value() instanceof List<?> pair && pair.size() == 2
                    && pair.get(0) instanceof String a && pair.get(1) instanceof String b) {
                out.add(new Merge(a, b, m.path()));
            } else {
                throw m.error("must be a string \"a b\" or a pair [\"a\", \"b\"], found "
                        + JsonField.describe(m.value()));
            }
        }
        return out;
    }

    /**
     * The merge table on ids: each merge's tokens and its result ({@code a} + {@code b} without its
     * continuing-subword prefix) must be in the vocabulary.
     *
     * @param vocab the vocabulary
     * @param merges the merges in rank order
     * @param prefix the continuing-subword prefix, or null
     * @param file the merges' file, for messages
     * @return the table
     * @throws TokenizerFileException naming the first merge with a token the vocabulary lacks
     */
    static MergeTable mergeTable(Vocab vocab, List<Merge> merges, String prefix, String file)
            throws TokenizerFileException {
        MergeTable table = new MergeTable(merges.size());
        for (int rank = 0; rank < merges.size(); rank++) {
            Merge m = merges.get(rank);
            String b = m.b();
            if (prefix != null && !prefix.isEmpty()) {
                if (!b.startsWith(prefix)) {
                    throw new TokenizerFileException(file, m.where() + ": merge " + JsonField.quoted(m.a() + " " + b)
                            + " has a right token without the continuing_subword_prefix " + JsonField.quoted(prefix));
                }
                b = b.substring(prefix.length());
            }
            String merged = m.a() + b;
            int left = vocab.id(m.a());
            int right = vocab.id(m.b());
            int result = vocab.id(merged);
            if (left < 0 || right < 0 || result < 0) {
                String missing = left < 0 ? m.a() : right < 0 ? m.b() : merged;
                throw new TokenizerFileException(file, m.where() + ": merge " + JsonField.quoted(m.a() + " " + m.b())
                        + (left >= 0 && right >= 0 ? " produces " : " names ")
                        + JsonField.quoted(missing) + ", which is not in the vocabulary");
            }
            table.put(left, right, rank, result);
        }
        return table;
    }

    /**
     * A GPT-2 tokenizer from vocab.json and merges.txt. The vocabulary must number its tokens
     * 0..n-1 without gaps and hold a token for each of the 256 bytes (a byte-level BPE cannot spell
     * text otherwise); {@code <|endoftext|>}, if it has one, is read as one token wherever it appears.
     *
     * @param vocabName vocab.json, for messages
     * @param vocabBytes its content
     * @param mergesName merges.txt, for messages
     * @param mergesBytes its content
     * @param source the tokenizer's source, for messages
     * @return the pipeline
     * @throws TokenizerFileException naming the file and the fault
     */
    static Pipeline vocabAndMerges(String vocabName, byte[] vocabBytes, String mergesName, byte[] mergesBytes,
                                   String source) throws TokenizerFileException {
        Vocab vocab = vocab(JsonField.parse(vocabName, vocabBytes));
        List<Merge> merges = mergesTxt(mergesName, JsonField.utf8(mergesName, mergesBytes));
        String[] byId = vocab.byId();
        List<Integer> gaps = new ArrayList<>();
        for (int id = 0; id < byId.length && gaps.size() < 5; id++) {
            if (byId[id] == null) {
                gaps.add(id);
            }
        }
        if (!gaps.isEmpty()) {
            throw new TokenizerFileException(vocabName, "has " + (byId.length - vocab.ids().size())
                    + " unused ids below its largest id " + (byId.length - 1) + " (first: " + gaps
                    + "); a GPT-2 vocabulary numbers its tokens 0.." + (vocab.ids().size() - 1));
        }
        List<String> missing = new ArrayList<>();
        for (int b = 0; b < 256; b++) {
            if (vocab.id(String.valueOf(ByteLevel.byteToChar(b))) < 0) {
                missing.add(String.format("0x%02X (%s)", b, JsonField.quoted(String.valueOf(ByteLevel.byteToChar(b)))));
            }
        }
        if (!missing.isEmpty()) {
            throw new TokenizerFileException(vocabName, "has no token for " + missing.size() + " of the 256 bytes (first: "
                    + String.join(", ", missing.subList(0, Math.min(5, missing.size())))
                    + "); a byte-level BPE needs one for every byte");
        }
        MergeTable table = mergeTable(vocab, merges, null, mergesName);
        List<AddedVocabulary.Token> added = new ArrayList<>();
        int eot = vocab.id(Gpt2Tokenizer.END_OF_TEXT);
        if (eot >= 0) {
            added.add(new AddedVocabulary.Token(eot, Gpt2Tokenizer.END_OF_TEXT, false, false, false, true, true));
        }
        Bpe model = new Bpe(byId, vocab.ids(), table, -1, false, false, false, null, null, source);
        return new Pipeline(new AddedVocabulary(added, null), null, new PreTokenizer.ByteLevel(false, true), model,
                new Decoder.ByteLevel(), PostProcessor.NONE, source);
    }
}
