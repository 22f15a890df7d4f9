/**
 * Filter and threshold: keep events by a CEL condition ({@code Filter}), route them by conditions
 * ({@code Route}), alert on a value beyond a limit, optionally only on crossing per key
 * ({@code Threshold}), and keep one event per key and span of event time ({@code Deduplicate}).
 */
package dev.streamtemplates.transforms.filter;
