/**
 * Helpers every pattern family uses: name checks ({@code Names}), instants written as text
 * ({@code Instants}), and the runner capabilities a runner bundle declares ({@code
 * RunnerCapabilities}), so that no transform asks which runner it is on.
 */
package dev.streamtemplates.transforms.core;
