"""Settings package of the Open edX contract test double."""
