/** Online models over event streams: learn per key in event time ({@code Learn}). */
package dev.streamtemplates.transforms.ml;
