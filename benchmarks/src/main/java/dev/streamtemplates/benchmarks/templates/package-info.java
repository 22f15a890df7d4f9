/**
 * The catalogue templates measured as a user runs them: seeded input generators that write, for
 * each template, files of its sources' schemas and formats ({@link TemplateInputs}), the runner
 * that times {@code bin/run} over them on each embedded runner ({@link TemplatesBenchmark}), and
 * the results table and chart ({@link TemplatesChart}). Run with {@code bin/bench-templates}.
 */
package dev.streamtemplates.benchmarks.templates;
