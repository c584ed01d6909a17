//! The typed project model (filled in by the model work).
