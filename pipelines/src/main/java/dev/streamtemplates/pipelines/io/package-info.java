/**
 * Source and sink types of the spec format ({@code type: file | kafka | stdout}), each a {@code
 * SourceProvider} or {@code SinkProvider} with its own schema, found with {@code ServiceLoader};
 * the Kafka timestamp policies and the transaction-recovering producer.
 */
package dev.streamtemplates.pipelines.io;
