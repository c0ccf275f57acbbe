"""Building and reading the messages of the profile: the permit, the envelope and its documents."""
