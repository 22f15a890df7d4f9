/**
 * Windowed aggregation ({@code WindowedAggregate}): tumbling, sliding (by slices), session, count
 * and global windows; count, sum, mean, variance, quantiles, distinct counts; having and top-N;
 * late data by policy.
 */
package dev.streamtemplates.transforms.aggregate;
