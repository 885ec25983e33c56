package dev.lens4j.transformer.tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A {@code tokenizer.json} decoder: turns the tokens' texts back into text, as Hugging Face's
 * {@code decoders} module does. Each works on the list of token strings ({@code decode_chain}); the
 * final text is their concatenation.
 */
sealed interface Decoder {

    /**
     * @param tokens the token strings so far
     * @return the token strings after this decoder
     */
    List<String> decodeChain(List<String> tokens);

    /**
     * Byte-level characters back to bytes, then UTF-8 with one U+FFFD per ill-formed part. A token
     * with any character outside the byte alphabet (an added token such as "<|endoftext|>")
     * contributes its own UTF-8 bytes.
     */
    record ByteLevel() implements Decoder {
        @Override
        public List<String> decodeChain(List<String> tokens) {
            int total = 0;
            for (String t : tokens) {
                total += t.length() * 3;
            }
            byte[] buf = new byte[total];
            int n = 0;
            for (String t : tokens) {
                boolean byteLevel = true;
                for (int k = 0; k < t.length() && byteLevel; k++) {
                    byteLevel = dev.lens4j.transformer.tokenizer.ByteLevel.charToByte(t.charAt(k)) >= 0;
                }
                if (byteLevel) {
                    for (int k = 0; k < t.length(); k++) {
                        buf[n++] = (byte) dev.lens4j.transformer.tokenizer.ByteLevel.charToByte(t.charAt(k));
                    }
                } else {
                    byte[] b = t.getBytes(StandardCharsets.UTF_8);
                    System.arraycopy(b, 0, buf, n, b.length);
                    n += b.length;
                }
            }
            return List.of(Utf8.decodeLossy(buf, n));
        }
    }

    /** The replacement ("▁") back to spaces; the first token loses a leading one unless the scheme is "never". */
    record Metaspace(int replacement, PreTokenizer.Scheme scheme) implements Decoder {
        @Override
        public List<String> decodeChain(List<String> tokens) {
            List<String> out = new ArrayList<>(tokens.size());
            for (int i = 0; i < tokens.size(); i++) {
                String t = tokens.get(i);
                StringBuilder b = new StringBuilder(t.length());
                for (int k = 0; k < t.length(); ) {
                    int cp = t.codePointAt(k);
                    if (cp != replacement) {
                        b.appendCodePoint(cp);
                    } else if (i != 0 || scheme == PreTokenizer.Scheme.NEVER) {
                        b.append(' ');
                    }
                    k += Character.charCount(cp);
                }
                out.add(b.toString());
            }
            return out;
        }
    }

    /** Replaces every match of a pattern in each token. */
    record Replace(Pattern pattern, String content) implements Decoder {
        @Override
        public List<String> decodeChain(List<String> tokens) {
            List<String> out = new ArrayList<>(tokens.size());
            for (String t : tokens) {
                Matcher m = pattern.matcher(t);
                StringBuilder b = new StringBuilder(t.length());
                int last = 0;
                while (Regexes.find(m, pattern)) {
                    b.append(t, last, m.start()).append(content);
                    last = m.end();
                }
                out.add(b.append(t, last, t.length()).toString());
            }
            return out;
        }
    }

    /**
     * Runs of byte tokens ({@code <0x41>}) become the text of their bytes; a run that is not valid
     * UTF-8 becomes one U+FFFD per byte.
     */
    record ByteFallback() implements Decoder {
        @Override
        public List<String> decodeChain(List<String> tokens) {
            List<String> out = new ArrayList<>(tokens.size());
            byte[] run = new byte[tokens.size()];
            int n = 0;
            for (String t : tokens) {
                int b = byteOf(t);
                if (b >= 0) {
                    run[n++] = (byte) b;
                    continue;
                }
                n = flush(run, n, out);
                out.add(t);
            }
            flush(run, n, out);
            return out;
        }

        private static int flush(byte[] run, int n, List<String> out) {
            if (n > 0) {
                String s = Utf8.decodeStrict(run, n);
                if (s != null) {
                    out.add(s);
                } else {
                    for (int k = 0; k < n; k++) {
                        out.add("\uFFFD");
                    }
                }
            }
            return 0;
        }

        /**
         * The byte of a token spelled {@code <0xHH>} (six UTF-8 bytes, the two inside parsed as Rust's
         * {@code u8::from_str_radix(_, 16)} does, which also takes "+A"), or -1.
         */
        static int byteOf(String t) {
            if (t.length() != 6 || !t.startsWith("<0x") || t.charAt(5) != '>') {
                return -1;
            }
            char a = t.charAt(3);
            char c = t.charAt(4);
            int lo = Character.digit(c, 16);
            if (lo < 0 || c > 0x7F) {
                return -1;
            }
            if (a == '+') {
                return lo;
            }
            int hi = Character.digit(a, 16);
            return hi < 0 || a > 0x7F ? -1 : hi * 16 + lo;
        }
    }

    /** All tokens into one string. */
    record Fuse() implements Decoder {
        @Override
        public List<String> decodeChain(List<String> tokens) {
            return List.of(String.join("", tokens));
        }
    }

    /** Removes up to {@code start} leading and {@code stop} trailing occurrences of a character from each token. */
    record Strip(int content, int start, int stop) implements Decoder {
        @Override
        public List<String> decodeChain(List<String> tokens) {
            List<String> out = new ArrayList<>(tokens.size());
            for (String t : tokens) {
                int[] cps = t.codePoints().toArray();
                int from = 0;
                for (int i = 0; i < Math.min(start, cps.length) && cps[i] == content; i++) {
                    from = i + 1;
                }
                int to = cps.length;
                for (int i = 0; i < stop && cps.length - i - 1 >= 0 && cps[cps.length - i - 1] == content; i++) {
                    to = cps.length - i - 1;
                }
                out.add(from >= to ? "" : new String(cps, from, to - from));
            }
            return out;
        }
    }

    /** Several decoders, each on the previous one's tokens. */
    record Sequence(List<Decoder> decoders) implements Decoder {
        @Override
        public List<String> decodeChain(List<String> tokens) {
            for (Decoder d : decoders) {
                tokens = d.decodeChain(tokens);
            }
            return tokens;
        }
    }

    /**
     * Reads a decoder from tokenizer.json.
     *
     * @param f the {@code decoder} field (or an element of a Sequence's)
     * @return the decoder, or null for JSON null
     * @throws TokenizerFileException for an unknown type or a malformed field, named
     */
    static Decoder read(JsonField f) throws TokenizerFileException {
        if (f.isNull()) {
            return null;
        }
        String type = f.type();
        return switch (type) {
            case "ByteLevel" -> {
                // add_prefix_space, trim_offsets and use_regex do not change decoding
                f.onlyFields("a ByteLevel decoder", Set.of("type", "add_prefix_space", "trim_offsets", "use_regex"));
                yield new ByteLevel();
            }
            case "Metaspace" -> {
                PreTokenizer.Metaspace m = PreTokenizer.readMetaspace(f);
                yield new Metaspace(m.replacement(), m.scheme());
            }
            case "Replace" -> {
                f.onlyFields("a Replace decoder", Set.of("type", "pattern", "content"));
                yield new Replace(Normalizer.pattern(f.required("pattern")), f.required("content").string());
            }
            case "ByteFallback" -> {
                f.onlyFields("ByteFallback", Set.of("type"));
                yield new ByteFallback();
            }
            case "Fuse" -> {
                f.onlyFields("Fuse", Set.of("type"));
                yield new Fuse();
            }
            case "Strip" -> {
                f.onlyFields("a Strip decoder", Set.of("type", "content", "start", "stop"));
                yield new Strip(f.required("content").character(), f.required("start").integer(Integer.MAX_VALUE),
                        f.required("stop").integer(Integer.MAX_VALUE));
            }
            case "Sequence" -> {
                f.onlyFields("a Sequence decoder", Set.of("type", "decoders"));
                yield new Sequence(f.sequence("decoders", Decoder::read));
            }
            default -> throw f.get("type").error("is " + JsonField.quoted(type) + ", a decoder lens4j does not "
                    + "support (supported: ByteLevel, Metaspace, Replace, ByteFallback, Fuse, Strip, Sequence)");
        };
    }
}
