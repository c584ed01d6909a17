//! Loading compose files (filled in by the loader work).
