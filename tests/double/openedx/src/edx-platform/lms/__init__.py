"""lms: package of the Open edX contract test double (stands in for edx-platform's lms)."""
