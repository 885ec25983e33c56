package dev.lens4j.transformer.train;

import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A value of {@link TrainingOptions} the trainer cannot take: a rate that is not a positive finite
 * number, a size that is not positive, sizes whose product is more than a Java array holds. The
 * message names the options at fault by their {@link TrainingOptions} component names
 * ({@code learningRate must be a positive finite number, got Infinity}); {@link #message} names them
 * otherwise, for example by command-line option.
 */
public final class TrainingOptionException extends IllegalArgumentException {

    /** Serialisation version. */
    private static final long serialVersionUID = 1L;

    private static final Pattern NAME = Pattern.compile("\\{(\\w+)}");

    /** The message with each option name written {@code {name}}. */
    private final String template;

    /**
     * Creates the exception.
     *
     * @param template the message, each option name written {@code {name}} (a {@link TrainingOptions}
     *                 component name)
     */
    public TrainingOptionException(String template) {
        super(fill(template, UnaryOperator.identity()));
        this.template = template;
    }

    /**
     * The options at fault.
     *
     * @return their {@link TrainingOptions} component names, in the order the message names them
     */
    public List<String> options() {
        List<String> out = new ArrayList<>();
        Matcher m = NAME.matcher(template);
        while (m.find()) {
            if (!out.contains(m.group(1))) {
                out.add(m.group(1));
            }
        }
        return out;
    }

    /**
     * The message with the options named another way.
     *
     * @param naming maps a {@link TrainingOptions} component name to the name to print (for example
     *               {@code learningRate} to {@code --lr})
     * @return the message
     */
    public String message(UnaryOperator<String> naming) {
        return fill(template, naming);
    }

    private static String fill(String template, UnaryOperator<String> naming) {
        return NAME.matcher(template).replaceAll(m -> Matcher.quoteReplacement(naming.apply(m.group(1))));
    }
}
