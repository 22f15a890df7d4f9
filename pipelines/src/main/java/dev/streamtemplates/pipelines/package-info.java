/**
 * From a resolved spec to a Beam pipeline: {@code SpecGraph} checks the graph (names, types,
 * configs, references, order) and reports every error at once; {@code TemplatePipeline} assembles
 * sources, steps, sinks and the dead-letter sink.
 */
package dev.streamtemplates.pipelines;
