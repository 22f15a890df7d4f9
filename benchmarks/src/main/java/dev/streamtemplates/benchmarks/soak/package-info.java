/**
 * The soak job: a template fed by a live generator for minutes on Flink, measuring throughput,
 * latency and checkpoint size.
 */
package dev.streamtemplates.benchmarks.soak;
