//! Shared pieces of the benchmarks: an in-process server that answers fixed bytes.
