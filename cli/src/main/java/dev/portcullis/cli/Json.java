package dev.portcullis.cli;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.jr.ob.JSON;
import java.io.IOException;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The JSON the command line reads and writes, through jackson-jr (a small, well-kept reader and writer; the full
 * Jackson would slow every start): objects become {@link Map}s (in order), arrays {@link List}s, numbers
 * {@link BigDecimal}, and {@code true}, {@code false}, {@code null} themselves.
 */
public final class Json {

    private static final JsonFactory FACTORY = new JsonFactory();
    private static final JSON JR = JSON.builder(FACTORY)
            .enable(JSON.Feature.USE_BIG_DECIMAL_FOR_FLOATS, JSON.Feature.WRITE_NULL_PROPERTIES)
            .build();

    private Json() {}

    /** The value {@code text} holds; a {@link IllegalArgumentException} saying where when it is not JSON. */
    public static Object parse(String text) {
        try (JsonParser parser = FACTORY.createParser(text)) {
            if (parser.nextToken() == null) {
                throw new IllegalArgumentException("not JSON: the text ends where a value should be");
            }
            Object value = JR.anyFrom(parser);
            if (parser.nextToken() != null) {
                throw new IllegalArgumentException("not JSON: text after the value at character "
                        + parser.currentTokenLocation().getCharOffset());
            }
            return decimals(value);
        } catch (IOException e) {
            String message = String.valueOf(e.getMessage()).lines().findFirst().orElse("");
            throw new IllegalArgumentException("not JSON: " + message, e);
        }
    }

    /** Every number as a {@link BigDecimal}, so readers need one case only. */
    private static Object decimals(Object value) {
        if (value instanceof Number n && !(value instanceof BigDecimal)) {
            return new BigDecimal(n.toString());
        }
        if (value instanceof Map<?, ?> map) {
            Map<String, Object> out = new LinkedHashMap<>();
            map.forEach((k, v) -> out.put(String.valueOf(k), decimals(v)));
            return out;
        }
        if (value instanceof List<?> list) {
            List<Object> out = new ArrayList<>(list.size());
            list.forEach(v -> out.add(decimals(v)));
            return out;
        }
        return value;
    }

    @SuppressWarnings("unchecked")
    public static Map<String, Object> object(String text) {
        Object value = parse(text);
        if (!(value instanceof Map)) {
            throw new IllegalArgumentException("expected a JSON object");
        }
        return (Map<String, Object>) value;
    }

    @SuppressWarnings("unchecked")
    public static List<Object> array(String text) {
        Object value = parse(text);
        if (!(value instanceof List)) {
            throw new IllegalArgumentException("expected a JSON array");
        }
        return (List<Object>) value;
    }

    /** {@code value} (maps, lists, strings, numbers, booleans, null) as JSON text. */
    public static String write(Object value) {
        try {
            return JR.asString(value);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot write as JSON: " + e.getMessage(), e);
        }
    }

    /** A string member of {@code object}, or null. */
    public static String str(Map<String, Object> object, String name) {
        Object v = object.get(name);
        return v == null ? null : v.toString();
    }

    /** A number member of {@code object} as a long, or {@code otherwise}. */
    public static long num(Map<String, Object> object, String name, long otherwise) {
        Object v = object.get(name);
        return v instanceof BigDecimal b ? b.longValue() : otherwise;
    }

    @SuppressWarnings("unchecked")
    public static List<Map<String, Object>> objects(Object value) {
        List<Map<String, Object>> out = new ArrayList<>();
        if (value instanceof List<?> list) {
            for (Object o : list) {
                if (o instanceof Map) {
                    out.add((Map<String, Object>) o);
                }
            }
        }
        return out;
    }
}
