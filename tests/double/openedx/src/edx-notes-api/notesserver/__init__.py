"""notesserver of the Open edX contract test double (stands in for edx-notes-api)."""
