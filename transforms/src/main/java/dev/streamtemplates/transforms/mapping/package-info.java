/**
 * Field mapping: computed fields from CEL expressions, select, drop and rename ({@code
 * MapFields}).
 */
package dev.streamtemplates.transforms.mapping;
