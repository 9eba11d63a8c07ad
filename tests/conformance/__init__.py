"""Conformance of our app tier with Tutor's reference deployment of the same images (docs/conformance.md)."""
