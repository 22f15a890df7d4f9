/**
 * Record formats (JSON, Avro, Confluent Avro, XML, CSV) to and from schema Rows, with every
 * unreadable record a dead letter that says why.
 */
package dev.streamtemplates.transforms.format;
