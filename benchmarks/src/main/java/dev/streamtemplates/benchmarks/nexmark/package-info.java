/**
 * Nexmark: a seeded event generator (persons, auctions, bids, card transactions), the queries
 * written twice (as template specs and as hand-written Beam), checksums that cross-check the two,
 * and the runner that times them.
 */
package dev.streamtemplates.benchmarks.nexmark;
