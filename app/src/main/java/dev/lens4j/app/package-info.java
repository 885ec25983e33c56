/**
 * The {@code lens4j} command-line application ({@link dev.lens4j.app.Main}, on picocli): the main job, the
 * induction-circuit investigation with its console and HTML report, and the {@code inspect},
 * {@code tokens}, {@code cache}, {@code attention}, {@code train} and {@code bench} commands. A user
 * error ends as one line starting with {@code lens4j:} and exit status 2 (usage) or 1 (anything else).
 */
package dev.lens4j.app;
