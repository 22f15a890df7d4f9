/**
 * The compiler: a {@code Pattern} to an immutable, shared automaton ({@code Nfa}) with its
 * conditions compiled against the input schema.
 */
package dev.streamtemplates.transforms.cep.nfa;
