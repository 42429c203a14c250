"""Model manifest, downloads, verification, hardware probe and the per-stage model plan."""
