//! firecamp catalog (rendering lands with the catalog issue).
