/**
 * The spec format: YAML parsed and checked against JSON Schemas with every error at once ({@code
 * TemplateSpec}), parameters, paths ({@code SpecNode}), and typed binding of a node to its type's
 * config record ({@code SpecBinder}, {@code Durations}, {@code FieldList}).
 */
package dev.streamtemplates.pipelines.spec;
