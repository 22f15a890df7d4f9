/**
 * Sequence detection (CEP) benchmarks: the automaton alone under JMH, and the Sequence step
 * against Flink CEP on the same events.
 */
package dev.streamtemplates.benchmarks.cep;
