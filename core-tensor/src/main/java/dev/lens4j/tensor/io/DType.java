package dev.lens4j.tensor.io;

import java.util.Arrays;
import java.util.stream.Collectors;

/**
 * Element types of a safetensors file, named exactly as in its header ({@code "F32"}, {@code "BF16"} ...).
 *
 * <p>The constants are declared in the reference implementation's order, which is increasing alignment;
 * {@link SafetensorsWriter} relies on it to lay tensors out the way the Python library does. Every
 * type is recognised when a header is validated; {@link SafetensorsFile#readFloats(String)} converts
 * the ones for which float32 is a sensible reading (see {@link #readableAsFloat()}) and refuses the
 * others by name.
 */
public enum DType {
    /** Boolean, one byte per element; reads as 0 or 1. */
    BOOL(8, true),
    /** 4-bit float (E2M1, microscaling); recognised but not readable as float32. */
    F4(4, false),
    /** 6-bit float E2M3 (microscaling); recognised but not readable as float32. */
    F6_E2M3(6, false),
    /** 6-bit float E3M2 (microscaling); recognised but not readable as float32. */
    F6_E3M2(6, false),
    /** Unsigned 8-bit integer. */
    U8(8, true),
    /** Signed 8-bit integer. */
    I8(8, true),
    /** 8-bit float E5M2 (the top byte of an IEEE half). */
    F8_E5M2(8, true),
    /** 8-bit float E4M3 "FN" variant: no infinities, NaN is {@code S.1111.111}. */
    F8_E4M3(8, true),
    /** 8-bit power-of-two scale E8M0 (microscaling): 2^(e-127), {@code 0xFF} is NaN. */
    F8_E8M0(8, true),
    /** Signed 16-bit integer. */
    I16(16, true),
    /** Unsigned 16-bit integer. */
    U16(16, true),
    /** IEEE 754 half precision. */
    F16(16, true),
    /** bfloat16: the top 16 bits of a float32. */
    BF16(16, true),
    /** Signed 32-bit integer; reads as float32 only where every value is exact. */
    I32(32, true),
    /** Unsigned 32-bit integer; reads as float32 only where every value is exact. */
    U32(32, true),
    /** IEEE 754 single precision. */
    F32(32, true),
    /** Complex number of two float32; not readable as (real) float32. */
    C64(64, false),
    /** IEEE 754 double precision; reads as float32 rounded to nearest. */
    F64(64, true),
    /** Signed 64-bit integer; reads as float32 only where every value is exact. */
    I64(64, true),
    /** Unsigned 64-bit integer; reads as float32 only where every value is exact. */
    U64(64, true);

    private final int bits;
    private final boolean readableAsFloat;

    DType(int bits, boolean readableAsFloat) {
        this.bits = bits;
        this.readableAsFloat = readableAsFloat;
    }

    /**
     * Size of one element in bits.
     *
     * @return the size of one element in bits (4 and 6 for the sub-byte microscaling floats)
     */
    public int bitSize() {
        return bits;
    }

    /**
     * Size of one element in bytes.
     *
     * @return the size of one element in bytes
     * @throws UnsupportedOperationException for the sub-byte types {@link #F4}, {@link #F6_E2M3}, {@link #F6_E3M2}
     */
    public int byteSize() {
        if (bits % 8 != 0) {
            throw new UnsupportedOperationException(this + " elements are " + bits + " bits, not a whole number of bytes");
        }
        return bits / 8;
    }

    /**
     * Whether values of this type can be read as float32.
     *
     * @return whether {@link SafetensorsFile#readFloats(String)} can convert this type to float32
     *     (integer types still fail there if a value is not exactly representable)
     */
    public boolean readableAsFloat() {
        return readableAsFloat;
    }

    /**
     * Whether this is a floating-point type.
     *
     * @return whether this is a floating-point type (of any width, complex excluded)
     */
    public boolean isFloatingPoint() {
        return switch (this) {
            case F4, F6_E2M3, F6_E3M2, F8_E5M2, F8_E4M3, F8_E8M0, F16, BF16, F32, F64 -> true;
            default -> false;
        };
    }

    /**
     * Looks up a type by its safetensors header name.
     *
     * @param name the header's {@code dtype} string, e.g. {@code "BF16"} (case-sensitive, as in the format)
     * @return the type
     * @throws IllegalArgumentException naming the string and listing the known types
     */
    public static DType fromSafetensorsName(String name) {
        for (DType t : values()) {
            if (t.name().equals(name)) {
                return t;
            }
        }
        throw new IllegalArgumentException("unknown dtype \"" + name + "\" (known: "
                + Arrays.stream(values()).map(Enum::name).collect(Collectors.joining(", ")) + ")");
    }
}
