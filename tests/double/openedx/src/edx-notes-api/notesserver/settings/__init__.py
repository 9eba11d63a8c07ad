"""Settings package of the notes variant of the Open edX contract test double."""
