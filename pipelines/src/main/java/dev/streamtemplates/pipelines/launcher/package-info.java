/**
 * The command line: {@code bin/run}'s {@code Main}, options and parameters, the catalogue, the
 * runner bundle's defaults, and secrets kept out of everything printed.
 */
package dev.streamtemplates.pipelines.launcher;
