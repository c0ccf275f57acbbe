"""Step definitions of the conformance suite: thin calls into the library and the transport clients."""
