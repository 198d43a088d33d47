"""Helpers shared by the test layers: polling with a deadline, HTTP calls, process control."""
