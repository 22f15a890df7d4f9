/**
 * Windowed aggregation ({@code WindowedAggregate}): tumbling, sliding (by slices), session, count
 * and global windows; count, sum, mean, variance, quantiles, distinct counts; having and top-N;
 * late data by policy. Per-event (OVER) windows: each event with its key's aggregates over the
 * last range of event time or the last rows ({@code PerEventAggregate}).
 */
package dev.streamtemplates.transforms.aggregate;
