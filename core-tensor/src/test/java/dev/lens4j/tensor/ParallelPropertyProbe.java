package dev.lens4j.tensor;

/**
 * Run in a fresh JVM by {@link ParallelPropertiesTest}: uses {@link Parallel} twice and prints what each use
 * threw, one line each ({@code ok <threads>} when nothing).
 */
public final class ParallelPropertyProbe {

    private ParallelPropertyProbe() {}

    /**
     * Entry point.
     *
     * @param args unused
     */
    public static void main(String[] args) {
        for (int i = 0; i < 2; i++) {
            try {
                int[] sum = {0};
                Parallel.forRange(4, 1, (s, e) -> {
                    synchronized (sum) {
                        sum[0] += e - s;
                    }
                });
                System.out.println("ok " + Parallel.threads() + " " + sum[0]);
            } catch (Throwable t) {
                System.out.println(t.getClass().getName() + ": " + t.getMessage());
            }
        }
    }
}
