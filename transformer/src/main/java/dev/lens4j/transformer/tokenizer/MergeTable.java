package dev.lens4j.transformer.tokenizer;

import java.util.Arrays;

/**
 * The BPE merge ranks ({@code bpe_ranks} of OpenAI's {@code encoder.py}): for a pair of adjacent
 * token ids, its rank (lower merges first) and the id of the merged token. An open-addressing hash
 * table on the pair packed into a {@code long}, so that looking a pair up allocates nothing.
 */
final class MergeTable {

    /** No merge for a pair; larger than every rank. */
    static final int NONE = Integer.MAX_VALUE;

    private static final long EMPTY = -1L;

    private final long[] keys;
    private final int[] ranks;
    private final int[] mergedIds;
    private final int mask;
    private int size;

    /**
     * @param expected the number of merges that will be put
     */
    MergeTable(int expected) {
        int capacity = Integer.highestOneBit(Math.max(4, expected) * 2 - 1) << 1; // load <= 0.5
        keys = new long[capacity];
        Arrays.fill(keys, EMPTY);
        ranks = new int[capacity];
        mergedIds = new int[capacity];
        mask = capacity - 1;
    }

    private static long key(int left, int right) {
        return ((long) left << 32) | (right & 0xFFFFFFFFL);
    }

    private int slot(long key) {
        long h = key * 0x9E3779B97F4A7C15L;
        int i = (int) (h ^ (h >>> 32)) & mask;
        while (keys[i] != EMPTY && keys[i] != key) {
            i = (i + 1) & mask;
        }
        return i;
    }

    /**
     * Adds a merge; a later merge of the same pair replaces the earlier one, as in encoder.py's
     * {@code dict(zip(bpe_merges, range(...)))}.
     */
    void put(int left, int right, int rank, int mergedId) {
        long k = key(left, right);
        int i = slot(k);
        if (keys[i] == EMPTY) {
            if (size + 1 > (mask + 1) / 2) {
                throw new IllegalStateException("MergeTable sized for fewer merges");
            }
            keys[i] = k;
            size++;
        }
        ranks[i] = rank;
        mergedIds[i] = mergedId;
    }

    /**
     * @return the pair's rank, or {@link #NONE} if the pair never merges
     */
    int rank(int left, int right) {
        int i = slot(key(left, right));
        return keys[i] == EMPTY ? NONE : ranks[i];
    }

    /**
     * @return the id of the token the pair merges into; only for a pair that has a rank
     */
    int merged(int left, int right) {
        return mergedIds[slot(key(left, right))];
    }

    /**
     * @return the number of distinct pairs
     */
    int size() {
        return size;
    }
}
