//! berth's per-container monitor (conmon-like).
