package dev.lens4j.app;

import dev.lens4j.transformer.train.TrainingListener;
import dev.lens4j.transformer.train.TrainingProgress;

import java.io.PrintWriter;
import java.util.Locale;

/**
 * A one-line progress bar for training: step, repeated-block loss, other-token loss, steps per second
 * and time left. On a terminal it redraws in place a few times a second; otherwise (a pipe, a log file)
 * it prints one line every 10% of the run.
 */
final class ProgressBar implements TrainingListener {

    private static final int WIDTH = 24;
    private static final long REDRAW_NANOS = 150_000_000L;

    private final PrintWriter out;
    private final boolean terminal;
    private long lastDraw;
    private int lastTenth = -1;
    private TrainingProgress last;

    /**
     * @param out where to draw (the command's stderr, so that stdout stays the run's summary)
     * @param terminal whether {@code out} is a terminal that understands carriage returns
     */
    ProgressBar(PrintWriter out, boolean terminal) {
        this.out = out;
        this.terminal = terminal;
    }

    @Override
    public void onStep(TrainingProgress p) {
        last = p;
        if (terminal) {
            long now = System.nanoTime();
            if (now - lastDraw >= REDRAW_NANOS || p.step() == p.totalSteps()) {
                lastDraw = now;
                out.print("\r" + line(p));
                out.flush();
            }
        } else {
            int tenth = (int) (10L * p.step() / p.totalSteps());
            if (tenth != lastTenth) {
                lastTenth = tenth;
                out.println(line(p));
                out.flush();
            }
        }
    }

    /** Ends the bar's line (on a terminal, after drawing the last state). */
    void finish() {
        if (terminal && last != null) {
            out.print("\r" + line(last));
            out.println();
        }
        out.flush();
    }

    static String line(TrainingProgress p) {
        int filled = (int) ((long) WIDTH * p.step() / p.totalSteps());
        return String.format(Locale.ROOT, "[%s%s] %5d/%d  repeated %.3f  other %.3f  %5.1f steps/s  %s left",
                "#".repeat(filled), ".".repeat(WIDTH - filled), p.step(), p.totalSteps(),
                p.smoothedRepeatedLoss(), p.smoothedOtherLoss(), p.stepsPerSecond(), time(p.secondsLeft()));
    }

    static String time(double seconds) {
        if (!Double.isFinite(seconds)) {
            return "--:--";
        }
        long s = Math.round(seconds);
        return s >= 3600 ? String.format(Locale.ROOT, "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60) : String.format(Locale.ROOT, "%d:%02d", s / 60, s % 60);
    }
}
