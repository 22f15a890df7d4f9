/**
 * Machine learning on event streams: score rows with a pre-trained model ({@code Score}, a PMML
 * file evaluated with pmml4s, Apache-2.0), adding the prediction and the class probabilities to
 * each row; and learn an online model per key in event time ({@code Learn}, least squares with
 * Commons Math).
 */
package dev.streamtemplates.transforms.ml;
