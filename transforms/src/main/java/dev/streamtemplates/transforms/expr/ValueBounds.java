package dev.streamtemplates.transforms.expr;

import com.google.protobuf.ByteString;
import dev.cel.common.values.CelByteString;
import dev.cel.runtime.CelEvaluationException;
import dev.cel.runtime.CelFunctionBinding;
import dev.cel.runtime.CelStandardFunctions;
import dev.cel.runtime.CelStandardFunctions.StandardFunction.Overload.Arithmetic;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Bounds the size of the values an expression builds, so that a short expression over a large
 * field cannot exhaust the heap: {@code [s, s, s, ...].join()} over a 1 MB field, or {@code s + s +
 * s + ...}. CEL's own limits bound the expression's size and its iterations, but not its values,
 * and cel-java has no option for it; so the few functions that make a value larger than all
 * their inputs together are replaced by versions that check the size of the result <em>before</em>
 * building it: string, bytes and list concatenation ({@code +}, also used by the {@code map} and
 * {@code filter} macros) and the strings extension's {@code join}. Every other function we offer
 * returns a value no larger than its inputs (see {@link RowExpression}'s choice of extensions).
 *
 * <p>The result that would exceed a bound is never built: the evaluation fails with a message
 * naming the function and the size, and the caller dead-letters the record, as for any other
 * evaluation failure.
 */
final class ValueBounds {
  /** The longest string, in characters, or bytes value an expression may build. */
  static final int MAX_CHARS = 1 << 20;
  /** The longest list an expression may build. */
  static final int MAX_ELEMENTS = 100_000;

  private static final Set<Arithmetic> REPLACED =
      Set.of(Arithmetic.ADD_STRING, Arithmetic.ADD_BYTES, Arithmetic.ADD_LIST);

  /** The strings extension's overloads of {@code join}, which {@link #bindings()} replaces. */
  static final String LIST_JOIN = "list_join";
  static final String LIST_JOIN_STRING = "list_join_string";

  private ValueBounds() {}

  /** CEL's standard functions without the concatenations that {@link #bindings()} replaces. */
  static CelStandardFunctions standardFunctions() {
    return CelStandardFunctions.newBuilder()
        .filterFunctions((function, overload) -> !REPLACED.contains(overload))
        .build();
  }

  /** Bounded concatenation and join, under CEL's own overload ids. */
  static List<CelFunctionBinding> bindings() {
    return List.of(
        CelFunctionBinding.from("add_string", String.class, String.class, ValueBounds::concat),
        // Bytes are CelByteString or protobuf's ByteString, depending on the runtime's options;
        // one overload id takes one binding, so it accepts both.
        CelFunctionBinding.from("add_bytes", List.of(Object.class, Object.class), args -> concatBytes(args[0], args[1])),
        CelFunctionBinding.from("add_list", List.class, List.class, ValueBounds::concat),
        CelFunctionBinding.from(LIST_JOIN, List.class, list -> join(list, "")),
        CelFunctionBinding.from(LIST_JOIN_STRING, List.class, String.class, ValueBounds::join));
  }

  private static String concat(String a, String b) throws CelEvaluationException {
    check("+", (long) a.length() + b.length(), MAX_CHARS, "characters");
    return a.concat(b);
  }

  private static Object concatBytes(Object a, Object b) throws CelEvaluationException {
    if (a instanceof CelByteString && b instanceof CelByteString) {
      check("+", (long) ((CelByteString) a).size() + ((CelByteString) b).size(), MAX_CHARS, "bytes");
      return ((CelByteString) a).concat((CelByteString) b);
    }
    if (a instanceof ByteString && b instanceof ByteString) {
      check("+", (long) ((ByteString) a).size() + ((ByteString) b).size(), MAX_CHARS, "bytes");
      return ((ByteString) a).concat((ByteString) b);
    }
    throw new CelEvaluationException("+ needs two bytes values");
  }

  private static List<Object> concat(List<?> a, List<?> b) throws CelEvaluationException {
    check("+", (long) a.size() + b.size(), MAX_ELEMENTS, "elements");
    List<Object> both = new ArrayList<>(a.size() + b.size());
    both.addAll(a);
    both.addAll(b);
    return both;
  }

  private static String join(List<?> parts, String separator) throws CelEvaluationException {
    long length = parts.isEmpty() ? 0 : (long) separator.length() * (parts.size() - 1);
    for (int i = 0; i < parts.size(); i++) {
      Object part = parts.get(i);
      if (!(part instanceof String)) {
        throw new CelEvaluationException(
            "join() needs a list of strings, but element " + i + " is " + (part == null ? "null" : "not a string"));
      }
      length += ((String) part).length();
    }
    check("join()", length, MAX_CHARS, "characters");
    return String.join(separator, parts.stream().map(String.class::cast).toList());
  }

  private static void check(String function, long size, int limit, String unit)
      throws CelEvaluationException {
    if (size > limit) {
      throw new CelEvaluationException(
          String.format(
              "%s would build a value of %,d %s, more than the %,d an expression may build",
              function, size, unit, limit));
    }
  }
}
