package dev.lens4j.transformer.tokenizer;

import dev.lens4j.tensor.internal.Json;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Reads the fixtures written by tools/tokenizer/gpt2_reference.py. */
final class Gpt2Fixtures {

    /** One reference case: a text and its token ids. */
    record Case(String text, int[] ids) {
        @Override
        public String toString() {
            String t = text.length() > 40 ? text.substring(0, 40) + "..." : text;
            return t.replace("\n", "\\n").replace("\r", "\\r").replace("\t", "\\t");
        }
    }

    private Gpt2Fixtures() {
    }

    static String resource(String name) {
        try (InputStream in = Gpt2Fixtures.class.getResourceAsStream("/tokenizer/" + name)) {
            if (in == null) {
                throw new IllegalStateException("missing test resource /tokenizer/" + name);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static Map<String, Object> reference() {
        return Json.parseObject(resource("gpt2-reference.json"));
    }

    /** The cases of one section of gpt2-reference.json: "encode", "encode_ordinary" or "decode". */
    static List<Case> cases(String section) {
        List<Case> out = new ArrayList<>();
        for (Object o : (List<?>) reference().get(section)) {
            Map<?, ?> m = (Map<?, ?>) o;
            out.add(new Case((String) m.get("text"), ints((List<?>) m.get("ids"))));
        }
        return out;
    }

    static int[] ints(List<?> list) {
        int[] a = new int[list.size()];
        for (int i = 0; i < a.length; i++) {
            a[i] = ((Number) list.get(i)).intValue();
        }
        return a;
    }
}
