package dev.streamtemplates.transforms.expr;

import dev.cel.common.CelAbstractSyntaxTree;
import dev.cel.common.ast.CelConstant;
import dev.cel.common.ast.CelExpr;
import dev.cel.common.navigation.CelNavigableExpr;

/**
 * Checks, when an expression is compiled, every regular expression written as a literal in a
 * {@code matches} call ({@code name.matches('^[A-Z')}): CEL compiles it only when the expression
 * runs, so a bad one used to send every record to the dead letters. It is compiled here with RE2J,
 * the engine CEL runs it with.
 */
final class LiteralRegexes {
  private LiteralRegexes() {}

  /** @throws ExpressionException naming the origin, the literal and RE2's reason */
  static void check(String origin, CelAbstractSyntaxTree ast) {
    CelNavigableExpr.fromExpr(ast.getExpr()).allNodes()
        .filter(node -> node.getKind() == CelExpr.ExprKind.Kind.CALL)
        .map(node -> node.expr().call())
        .filter(call -> "matches".equals(call.function()))
        .forEach(call -> {
          // s.matches(re) has a target and one argument; matches(s, re) has two arguments.
          CelExpr pattern = call.target().isPresent() ? call.args().get(0) : call.args().size() > 1 ? call.args().get(1) : null;
          if (pattern == null || pattern.getKind() != CelExpr.ExprKind.Kind.CONSTANT
              || pattern.constant().getKind() != CelConstant.Kind.STRING_VALUE) {
            return;
          }
          String regex = pattern.constant().stringValue();
          try {
            com.google.re2j.Pattern.compile(regex);
          } catch (com.google.re2j.PatternSyntaxException e) {
            throw new ExpressionException(origin + ": the regular expression '" + regex + "' is not valid: " + e.getDescription());
          }
        });
  }
}
