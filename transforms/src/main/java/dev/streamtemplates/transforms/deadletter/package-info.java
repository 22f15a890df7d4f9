/**
 * Dead letters: one readable record for every failure ({@code DeadLetter}), with the step, the
 * reason, the payload and its event time.
 */
package dev.streamtemplates.transforms.deadletter;
