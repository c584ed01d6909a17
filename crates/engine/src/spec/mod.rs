//! OCI runtime spec generation from an image configuration and `run` options.
