/**
 * Temporal sequence detection (CEP): the immutable, serializable {@code Pattern} DSL, {@code
 * SkipStrategy}, and the {@code Sequence} transform. The compiler is in {@code cep.nfa}, the per-
 * key runtime in {@code cep.runtime}.
 */
package dev.streamtemplates.transforms.cep;
