package dev.lens4j.app;

import dev.lens4j.report.InductionInvestigation;

import java.io.PrintWriter;
import java.util.Locale;

/**
 * A one-line progress bar per stage of the investigation ({@code ablating heads [#####......] 5/12 0:03
 * left}). On a terminal it redraws in place a few times a second and leaves the finished line with its
 * time; otherwise (a pipe, a log file) it prints one line per tenth of a stage, so logs stay short.
 * Training has its own bar ({@link ProgressBar}), whose line shows losses; this one shares its time format.
 */
final class StageProgress implements InductionInvestigation.Progress {

    private static final int WIDTH = 24;
    private static final long REDRAW_NANOS = 150_000_000L;

    private final PrintWriter out;
    private final boolean terminal;
    private String stage;
    private long stageStart;
    private long lastDraw;
    private int lastTenth;
    private boolean open;
    private int lastLength;

    /**
     * @param out where to draw (stderr, so that stdout stays the report)
     * @param terminal whether {@code out} is a terminal that understands carriage returns
     */
    StageProgress(PrintWriter out, boolean terminal) {
        this.out = out;
        this.terminal = terminal;
    }

    @Override
    public void update(String stageName, int done, int total) {
        long now = System.nanoTime();
        if (!stageName.equals(stage)) {
            finishLine();
            stage = stageName;
            stageStart = now;
            lastDraw = 0;
            lastTenth = 0;
            lastLength = 0;
        }
        if (terminal) {
            if (now - lastDraw >= REDRAW_NANOS || done >= total) {
                lastDraw = now;
                String l = line(stage, done, total, (now - stageStart) / 1e9);
                // pad over the end of a longer line drawn before ("0:12 left" becomes "0.4 s")
                out.print("\r" + l + " ".repeat(Math.max(0, lastLength - l.length())));
                lastLength = l.length();
                out.flush();
                open = true;
            }
            if (done >= total) {
                finishLine();
            }
        } else {
            int tenth = total <= 0 ? 10 : (int) (10L * done / total);
            if (tenth > lastTenth) {
                lastTenth = tenth;
                out.println(line(stage, done, total, (now - stageStart) / 1e9));
                out.flush();
            }
        }
    }

    /** Ends a bar left open on a terminal (call once the work is over, also after a failure). */
    void finishLine() {
        if (open) {
            out.println();
            out.flush();
            open = false;
        }
    }

    /**
     * A bar on the command's error stream, redrawn in place when the process runs on a terminal.
     *
     * @param err the command's error stream
     * @return the bar
     */
    static StageProgress on(PrintWriter err) {
        java.io.Console c = System.console();
        return new StageProgress(err, c != null && c.isTerminal());
    }

    /**
     * One progress line.
     *
     * @param stage what is being done
     * @param done steps done
     * @param total steps in the stage
     * @param seconds time since the stage started
     * @return e.g. {@code ablating heads           [############............]   6/12  0:01 left}
     */
    static String line(String stage, int done, int total, double seconds) {
        int filled = total <= 0 ? WIDTH : (int) ((long) WIDTH * Math.min(done, total) / total);
        int digits = String.valueOf(total).length();
        String time;
        if (done >= total) {
            time = String.format(Locale.ROOT, "%.1f s", seconds);
        } else {
            double left = done == 0 ? Double.NaN : seconds / done * (total - done);
            time = ProgressBar.time(left) + " left";
        }
        return String.format(Locale.ROOT, "%-24s [%s%s] %" + digits + "d/%d  %s", stage,
                "#".repeat(filled), ".".repeat(WIDTH - filled), done, total, time);
    }
}
