package dev.lens4j.transformer.train;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.ByteBuffer;
import java.nio.file.NoSuchFileException;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPInputStream;

/**
 * An English text split into documents, with a fixed held-out share: what the lesson's models of
 * English ({@link LessonRecipes}) are trained and evaluated on.
 *
 * <p>The shipped corpus, {@link #web()}, is text from the World English Bible (public domain), as
 * {@code tools/corpus/make_web_corpus.py} extracts it from Debian's {@code sword-text-web} package:
 * 1,394 chapters, 915,546 words, footnotes and headings removed, straight quotes, one paragraph per
 * line and a blank line between chapters (see the README beside it). Every
 * {@value #HELD_OUT_EVERY}th chapter (chapters 19, 39, 59, ... counting from 0) is held out: the
 * tokenizer and the models never see it, and held-out losses are measured on it. Interleaving keeps
 * the held-out text like the training text (every book contributes), and whole chapters keep a
 * verse from leaking into both sides.
 */
public final class TextCorpus {

    /** The class-path resource of the shipped corpus (gzip, UTF-8). */
    public static final String WEB_RESOURCE = "/dev/lens4j/transformer/corpus/web.txt.gz";

    /** One chapter in this many is held out. */
    public static final int HELD_OUT_EVERY = 20;

    /** What separates two documents in the text. */
    public static final String SEPARATOR = "\n\n";

    private final String name;
    private final List<String> documents;

    /**
     * A corpus of documents.
     *
     * @param name what it is, for messages and records
     * @param documents the documents in order, none empty and none containing {@link #SEPARATOR}
     * @throws IllegalArgumentException if there are fewer than {@value #HELD_OUT_EVERY} documents or one is malformed
     */
    public TextCorpus(String name, List<String> documents) {
        if (documents.size() < HELD_OUT_EVERY) {
            throw new IllegalArgumentException(name + " has " + documents.size() + " documents; at least " + HELD_OUT_EVERY
                    + " are needed to hold one out");
        }
        for (int i = 0; i < documents.size(); i++) {
            String d = documents.get(i);
            if (d.isBlank() || d.contains(SEPARATOR)) {
                throw new IllegalArgumentException(name + ": document " + i + " is empty or contains a blank line");
            }
        }
        this.name = name;
        this.documents = List.copyOf(documents);
    }

    /**
     * The shipped corpus: text from the World English Bible.
     *
     * @return the corpus
     * @throws IOException if the resource cannot be read
     */
    public static TextCorpus web() throws IOException {
        try (InputStream in = TextCorpus.class.getResourceAsStream(WEB_RESOURCE)) {
            if (in == null) {
                throw new NoSuchFileException(WEB_RESOURCE, null, "no such class-path resource");
            }
            return read(in, "web");
        }
    }

    /**
     * Reads a corpus: gzip-compressed UTF-8 text whose documents are separated by blank lines.
     *
     * @param gzip the compressed text, read to its end (not closed)
     * @param name what it is, for messages
     * @return the corpus
     * @throws IOException if reading fails, or the text is not gzip or not UTF-8
     */
    public static TextCorpus read(InputStream gzip, String name) throws IOException {
        byte[] bytes = new GZIPInputStream(gzip).readAllBytes();
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw new IOException(name + " is not UTF-8 text: " + e.getMessage(), e);
        }
        List<String> docs = new ArrayList<>();
        for (String d : text.split(SEPARATOR)) {
            String t = d.strip();
            if (!t.isEmpty()) {
                docs.add(t);
            }
        }
        return new TextCorpus(name, docs);
    }

    /**
     * Returns the corpus' name.
     *
     * @return the name
     */
    public String name() {
        return name;
    }

    /**
     * Returns every document, in order.
     *
     * @return the documents
     */
    public List<String> documents() {
        return documents;
    }

    /**
     * Whether a document is held out.
     *
     * @param index the document's index, from 0
     * @return true for every {@value #HELD_OUT_EVERY}th document (19, 39, ...)
     */
    public static boolean isHeldOut(int index) {
        return index % HELD_OUT_EVERY == HELD_OUT_EVERY - 1;
    }

    /**
     * Returns the training text: the documents not held out, joined by {@link #SEPARATOR}.
     *
     * @return the training text
     */
    public String trainingText() {
        return join(false);
    }

    /**
     * Returns the held-out text: every {@value #HELD_OUT_EVERY}th document, joined by {@link #SEPARATOR}.
     *
     * @return the held-out text
     */
    public String heldOutText() {
        return join(true);
    }

    private String join(boolean heldOut) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < documents.size(); i++) {
            if (isHeldOut(i) == heldOut) {
                b.append(b.isEmpty() ? "" : SEPARATOR).append(documents.get(i));
            }
        }
        return b.toString();
    }

    @Override
    public String toString() {
        return name + " (" + documents.size() + " documents)";
    }
}
