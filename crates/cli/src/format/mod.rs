//! Output formatting: Docker-style tables, Go-style templates, human sizes and times.
