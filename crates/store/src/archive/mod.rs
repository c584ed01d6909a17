//! Image archives: docker-archive and OCI layout/archive save and load.
