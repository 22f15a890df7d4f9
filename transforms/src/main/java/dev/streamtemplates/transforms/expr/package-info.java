/**
 * User expressions in CEL, sandboxed with bounded work and values: predicates and computed fields
 * over Rows, compiled once, with fast paths for plain comparisons and arithmetic that give CEL's
 * answers.
 */
package dev.streamtemplates.transforms.expr;
