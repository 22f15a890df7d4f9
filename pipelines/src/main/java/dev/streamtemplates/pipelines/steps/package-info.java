/**
 * Step types of the spec format, one {@code StepProvider} each with a config record and a schema
 * file ({@code step-schemas/<Type>.schema.json}); each adapts one transform of {@code
 * transforms}.
 */
package dev.streamtemplates.pipelines.steps;
