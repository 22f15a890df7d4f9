/**
 * Filter and threshold: keep events by a CEL condition ({@code Filter}), route them by conditions
 * ({@code Route}), and alert on a value beyond a limit, optionally only on crossing per key
 * ({@code Threshold}).
 */
package dev.streamtemplates.transforms.filter;
