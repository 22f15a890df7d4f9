/**
 * The runtime: the {@code Matcher} over the automaton with per-key {@code KeyState}
 * (checkpointable, with its coder), the DoFns that drive it with timers or windows, match rows,
 * and {@code MatcherHarness} for semantic tests without a pipeline.
 */
package dev.streamtemplates.transforms.cep.runtime;
