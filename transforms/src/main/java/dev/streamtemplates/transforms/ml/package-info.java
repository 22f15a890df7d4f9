/**
 * Machine learning: score rows with a pre-trained model ({@code Score}, a PMML file evaluated
 * with pmml4s, Apache-2.0), adding the prediction and the class probabilities to each row.
 */
package dev.streamtemplates.transforms.ml;
