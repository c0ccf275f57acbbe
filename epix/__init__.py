"""EPIX pilot conformance harness: messages, validation, signatures and a simulated partner."""

__version__ = "0.1.0"
PROFILE_VERSION = "1"
