/**
 * Event time: timestamps from a field or ingestion ({@code EventTime}), the buffer-and-release
 * order every stateful DoFn shares ({@code EventTimeOrder}), the refusal where event-time timers
 * are missing ({@code EventTimeTimers}), and rows taken out of their windows so that the next
 * step sees plain events ({@code Rewindow}).
 */
package dev.streamtemplates.transforms.time;
