package dev.lens4j.transformer.tokenizer;

/**
 * Token text to id: an open-addressing table over the vocabulary's own strings, a third of the
 * memory of a {@code HashMap<String, Integer>} (GPT-2's 50,257 tokens take 1 MB).
 */
final class TokenIndex {

    private final String[] keys;
    private final int[] ids;
    private final int mask;
    private final int size;

    /**
     * @param byId token text by id; null entries (gaps) are skipped; the texts must be distinct
     */
    TokenIndex(String[] byId) {
        int n = 0;
        for (String t : byId) {
            if (t != null) {
                n++;
            }
        }
        int capacity = Integer.highestOneBit(Math.max(4, n) * 2 - 1) << 1; // load <= 0.5
        keys = new String[capacity];
        ids = new int[capacity];
        mask = capacity - 1;
        size = n;
        for (int id = 0; id < byId.length; id++) {
            String t = byId[id];
            if (t != null) {
                int i = slot(t);
                keys[i] = t;
                ids[i] = id;
            }
        }
    }

    private int slot(String t) {
        int h = t.hashCode() * 0x9E3779B9;
        int i = (h ^ (h >>> 16)) & mask;
        while (keys[i] != null && !keys[i].equals(t)) {
            i = (i + 1) & mask;
        }
        return i;
    }

    /**
     * @param token a token's text
     * @return its id, or -1 if it is not in the vocabulary
     */
    int get(String token) {
        int i = slot(token);
        return keys[i] == null ? -1 : ids[i];
    }

    /** @return the number of tokens */
    int size() {
        return size;
    }
}
