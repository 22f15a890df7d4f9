/**
 * Event time: timestamps from a field or ingestion ({@code EventTime}), the buffer-and-release
 * order every stateful DoFn shares ({@code EventTimeOrder}), and the refusal where event-time
 * timers are missing ({@code EventTimeTimers}).
 */
package dev.streamtemplates.transforms.time;
