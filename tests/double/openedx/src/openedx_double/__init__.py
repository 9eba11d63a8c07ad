"""Contract test double of the Open edX image: the interface openedx-deploy's roles use, not Open edX itself."""
