/**
 * Measured speed: templates against hand-written Beam on the same events, with JMH hot-path
 * benchmarks ({@code HotPathBenchmark}, {@code SlidingTopNBenchmark}). Results and how to run
 * them: {@code benchmarks/README.md}.
 */
package dev.streamtemplates.benchmarks;
