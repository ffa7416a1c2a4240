//! The I/O side: providers read live state in bulk and carry out the steps they are given.

pub mod aws;
pub mod kubernetes;
