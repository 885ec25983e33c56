package dev.lens4j.app;

import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/** Parses a {@code --names REGEX} option, with a one-line message for a malformed expression. */
final class RegexConverter implements ITypeConverter<Pattern> {

    @Override
    public Pattern convert(String value) {
        try {
            return Pattern.compile(value);
        } catch (PatternSyntaxException e) {
            throw new TypeConversionException("'" + value + "' is not a regular expression: " + e.getDescription()
                    + (e.getIndex() >= 0 ? " at index " + e.getIndex() : ""));
        }
    }
}
