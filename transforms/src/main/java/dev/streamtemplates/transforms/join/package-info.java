/**
 * Stream joins in event time: {@code IntervalJoin} (two streams within a bound), {@code Enrich}
 * (each event with a table's value as of its time), {@code Gather} (fan-in by id with a timeout
 * policy).
 */
package dev.streamtemplates.transforms.join;
