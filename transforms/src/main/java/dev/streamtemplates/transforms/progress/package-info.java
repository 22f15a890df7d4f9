/**
 * Live counts of a run in this JVM ({@code Progress}): the Beam counters of what sources read,
 * sinks write and steps dead-letter, also kept where the launcher can read them while the pipeline
 * runs. A leaf package, so that every other package, {@code deadletter} included, may use it.
 */
package dev.streamtemplates.transforms.progress;
