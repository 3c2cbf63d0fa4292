"""The fault and bad-input matrix (issue #7)."""
