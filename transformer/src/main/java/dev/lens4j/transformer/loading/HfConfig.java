package dev.lens4j.transformer.loading;

import dev.lens4j.tensor.internal.Json;
import dev.lens4j.transformer.AttentionType;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Typed reads of a Hugging Face {@code config.json}, each failure a {@link CheckpointFormatException}
 * naming the file and the key. Reads both the layout of transformers 5 ({@code rope_parameters},
 * {@code layer_types}) and the older one ({@code rope_theta}, {@code rope_scaling},
 * {@code rotary_pct}), since checkpoints on disk were saved by either.
 */
public final class HfConfig {

    private final Map<String, Object> m;
    private final String source;

    /**
     * Wraps a parsed {@code config.json}.
     *
     * @param m the parsed {@code config.json}
     * @param source the file it came from, for messages
     */
    public HfConfig(Map<String, Object> m, String source) {
        this.m = m;
        this.source = source;
    }

    /**
     * Returns the file, for messages.
     *
     * @return the file, for messages
     */
    public String source() {
        return source;
    }

    /**
     * Returns the parsed JSON object.
     *
     * @return the parsed JSON object
     */
    public Map<String, Object> json() {
        return m;
    }

    /**
     * Whether the config has a key with a non-null value.
     *
     * @param key a key
     * @return whether the config has it with a non-null value
     */
    public boolean has(String key) {
        return m.get(key) != null;
    }

    /**
     * Returns {@code model_type}, or null.
     *
     * @return {@code model_type}, or null
     */
    public String modelType() {
        Object t = m.get("model_type");
        return t instanceof String s ? s : null;
    }

    /**
     * Returns the first entry of {@code architectures}, or null.
     *
     * @return the first entry of {@code architectures}, or null
     */
    public String architecture() {
        Object a = m.get("architectures");
        if (a instanceof List<?> l && !l.isEmpty() && l.get(0) instanceof String s) {
            return s;
        }
        return null;
    }

    /**
     * An error naming this file.
     *
     * @param message what is wrong
     * @return the exception to throw
     */
    public CheckpointFormatException error(String message) {
        return new CheckpointFormatException(source, message);
    }

    /**
     * A required positive integer.
     *
     * @param key the key
     * @return its value
     * @throws CheckpointFormatException if missing or not a positive integer below 2^31
     */
    public int positiveInt(String key) throws CheckpointFormatException {
        Integer v = optPositiveInt(key);
        if (v == null) {
            throw error("missing key \"" + key + "\"");
        }
        return v;
    }

    /**
     * An optional positive integer.
     *
     * @param key the key
     * @return its value, or null when absent or null
     * @throws CheckpointFormatException if present but not a positive integer below 2^31
     */
    public Integer optPositiveInt(String key) throws CheckpointFormatException {
        Object v = m.get(key);
        if (v == null) {
            return null;
        }
        if (!(v instanceof Long l) || l <= 0 || l > Integer.MAX_VALUE) {
            throw error("\"" + key + "\" must be a positive integer below 2^31, got " + Json.write(v));
        }
        return (int) (long) l;
    }

    /**
     * A finite number.
     *
     * @param key the key
     * @param dflt the value when absent
     * @return its value
     * @throws CheckpointFormatException if present but not a finite number
     */
    public double number(String key, double dflt) throws CheckpointFormatException {
        return number(m, key, dflt);
    }

    private double number(Map<?, ?> map, String key, double dflt) throws CheckpointFormatException {
        Object v = map.get(key);
        if (v == null) {
            return dflt;
        }
        if (!(v instanceof Number n) || !Double.isFinite(n.doubleValue())) {
            throw error("\"" + key + "\" must be a finite number, got " + Json.write(v));
        }
        return n.doubleValue();
    }

    /**
     * A positive finite number (an epsilon, a soft cap).
     *
     * @param key the key
     * @param dflt the value when absent
     * @return its value
     * @throws CheckpointFormatException if present but not a positive finite number
     */
    public double positiveNumber(String key, double dflt) throws CheckpointFormatException {
        double v = number(key, dflt);
        if (!(v > 0)) {
            throw error("\"" + key + "\" must be a positive number, got " + Json.write(m.get(key)));
        }
        return v;
    }

    /**
     * A positive number that float32 holds (a norm's epsilon: lens4j computes in float32, where 1e300
     * is infinite and 1e-50 zero).
     *
     * @param key the key
     * @param dflt the value when absent
     * @return its value
     * @throws CheckpointFormatException if present but not such a number
     */
    public float float32(String key, float dflt) throws CheckpointFormatException {
        Object v = m.get(key);
        if (v == null) {
            return dflt;
        }
        if (!(v instanceof Number n) || !(n.floatValue() > 0) || !Float.isFinite(n.floatValue())) {
            throw error("\"" + key + "\" must be a positive number that float32 holds, got " + Json.write(v));
        }
        return n.floatValue();
    }

    /**
     * A boolean.
     *
     * @param key the key
     * @param dflt the value when absent
     * @return its value
     * @throws CheckpointFormatException if present but not a boolean
     */
    public boolean bool(String key, boolean dflt) throws CheckpointFormatException {
        Object v = m.get(key);
        if (v == null) {
            return dflt;
        }
        if (!(v instanceof Boolean b)) {
            throw error("\"" + key + "\" must be true or false, got " + Json.write(v));
        }
        return b;
    }

    /**
     * A string.
     *
     * @param key the key
     * @param dflt the value when absent
     * @return its value
     * @throws CheckpointFormatException if present but not a string
     */
    public String string(String key, String dflt) throws CheckpointFormatException {
        Object v = m.get(key);
        if (v == null) {
            return dflt;
        }
        if (!(v instanceof String s)) {
            throw error("\"" + key + "\" must be a string, got " + Json.write(v));
        }
        return s;
    }

    /**
     * Refuses a value lens4j does not implement.
     *
     * @param key the key
     * @param value the refused value
     * @param what what that value means
     * @throws CheckpointFormatException if the config has {@code key: value}
     */
    public void refuse(String key, Object value, String what) throws CheckpointFormatException {
        if (value.equals(m.get(key))) {
            throw error("\"" + key + "\": " + Json.write(value) + " (" + what + ") is not supported by lens4j");
        }
    }

    /**
     * Rotary settings, from {@code rope_parameters} (transformers 5) or {@code rope_theta},
     * {@code rope_scaling}, {@code rotary_pct} / {@code partial_rotary_factor}, {@code rotary_emb_base}
     * (older configs).
     *
     * @param theta base (theta)
     * @param type {@code "default"} or {@code "llama3"} (others are refused)
     * @param factor llama3 {@code factor}
     * @param lowFreqFactor llama3 {@code low_freq_factor}
     * @param highFreqFactor llama3 {@code high_freq_factor}
     * @param originalMaxPositions llama3 {@code original_max_position_embeddings}
     * @param partialRotaryFactor the fraction of each head that rotates
     */
    public record Rope(double theta, String type, double factor, double lowFreqFactor, double highFreqFactor,
                       int originalMaxPositions, double partialRotaryFactor) {}

    /**
     * Reads the rotary settings.
     *
     * @param defaultTheta the base when the config gives none
     * @return the settings
     * @throws CheckpointFormatException for a rope type lens4j does not implement (named) or a bad value
     */
    public Rope rope(double defaultTheta) throws CheckpointFormatException {
        Map<?, ?> params = m.get("rope_parameters") instanceof Map<?, ?> p ? p : null;
        Map<?, ?> scaling = m.get("rope_scaling") instanceof Map<?, ?> s ? s : null;
        if (m.get("rope_parameters") != null && params == null) {
            throw error("\"rope_parameters\" must be an object, got " + Json.write(m.get("rope_parameters")));
        }
        if (m.get("rope_scaling") != null && scaling == null) {
            throw error("\"rope_scaling\" must be an object or null, got " + Json.write(m.get("rope_scaling")));
        }
        double theta = number("rope_theta", number("rotary_emb_base", defaultTheta));
        double partial = number("partial_rotary_factor", number("rotary_pct", 1.0));
        Map<?, ?> r = params != null ? params : scaling;
        if (params != null) {
            theta = number(params, "rope_theta", theta);
            partial = number(params, "partial_rotary_factor", partial);
        }
        String type = "default";
        if (r != null) {
            Object t = r.get("rope_type") != null ? r.get("rope_type") : r.get("type");
            if (t != null) {
                if (!(t instanceof String s)) {
                    throw error("\"rope_type\" must be a string, got " + Json.write(t));
                }
                type = s;
            }
        }
        if (!(theta > 0)) {
            throw error("rope_theta must be positive, got " + theta);
        }
        if (!(partial > 0 && partial <= 1)) {
            throw error("partial_rotary_factor (rotary_pct) must be in (0, 1], got " + partial);
        }
        switch (type) {
            case "default":
                return new Rope(theta, type, 1, 1, 4, 0, partial);
            case "llama3":
                double factor = number(r, "factor", Double.NaN);
                double low = number(r, "low_freq_factor", Double.NaN);
                double high = number(r, "high_freq_factor", Double.NaN);
                double orig = number(r, "original_max_position_embeddings", Double.NaN);
                if (Double.isNaN(factor) || Double.isNaN(low) || Double.isNaN(high) || Double.isNaN(orig)) {
                    throw error("llama3 rope scaling needs factor, low_freq_factor, high_freq_factor and original_max_position_embeddings");
                }
                return new Rope(theta, type, factor, low, high, (int) orig, partial);
            default:
                throw error("rope type \"" + type + "\" is not supported by lens4j (default, llama3)");
        }
    }

    /**
     * Each layer's attention type from {@code layer_types} ({@code "full_attention"},
     * {@code "sliding_attention"}), or null when the config has none.
     *
     * @param nLayers the number of layers
     * @return the types, or null
     * @throws CheckpointFormatException for a malformed list or an unknown type (named)
     */
    public List<AttentionType> layerTypes(int nLayers) throws CheckpointFormatException {
        Object v = m.get("layer_types");
        if (v == null) {
            return null;
        }
        if (!(v instanceof List<?> l) || l.size() != nLayers) {
            throw error("\"layer_types\" must be a list of " + nLayers + " entries, got " + Json.write(v));
        }
        List<AttentionType> out = new ArrayList<>();
        for (Object t : l) {
            if ("full_attention".equals(t)) {
                out.add(AttentionType.GLOBAL);
            } else if ("sliding_attention".equals(t)) {
                out.add(AttentionType.LOCAL);
            } else {
                throw error("layer type " + Json.write(t) + " is not supported (full_attention, sliding_attention)");
            }
        }
        return out;
    }
}
